package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/unml/cadre/internal/postgres"
)

func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("migrate needs a subcommand: up, down, version or force")
	}
	sub := args[0]
	var force int
	switch {
	case (sub == "up" || sub == "down" || sub == "version") && len(args) == 1:
	case sub == "force" && len(args) == 2:
		v, err := strconv.Atoi(args[1])
		if err != nil || v < 0 {
			return usageError("migrate force needs a version number, got %q", args[1])
		}
		force = v
	default:
		return usageError("unknown or incomplete migrate command %q", args)
	}
	cfg, logger, err := setup(getenv, stderr)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	owner, err := postgres.OpenOwner(ctx, db.ownerURL)
	if err != nil {
		return err
	}
	defer owner.Close()
	mg, err := postgres.NewMigrator(owner)
	if err != nil {
		return err
	}
	defer mg.Close()
	switch sub {
	case "up":
		err = mg.Up()
	case "down":
		err = mg.Down()
	case "force":
		err = mg.Force(force)
	}
	if err != nil {
		return err
	}
	if db.appRole != "" && sub != "version" {
		if err := postgres.GrantApp(ctx, owner, db.appRole); err != nil {
			return err
		}
	}
	v, dirty, err := mg.Version()
	if err != nil {
		return err
	}
	state := "clean"
	if dirty {
		state = "dirty"
	}
	fmt.Fprintf(stdout, "schema version %d (%s)\n", v, state)
	return nil
}
