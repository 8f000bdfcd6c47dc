package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/config"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/national"
	"github.com/unml/cadre/internal/postgres"
)

// seedCmd runs `cadre seed demo [--if-empty]` and
// `cadre seed national [--if-empty] [--seed N] [--size national|tiny]`.
// passwordParams is the cost of the password hashes that the commands write
// (seed, user, serve's invitations and resets): auth.DefaultParams. The tests'
// TestMain lowers it to auth.TestParams, which changes no behaviour (a hash
// carries its parameters, checked whatever they are) and spares every command a
// test runs an argon2 hash of 19 MiB under -race.
var passwordParams = auth.DefaultParams

func seedCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usageSeed = "seed takes one data set: cadre seed demo [--if-empty], cadre seed national [--if-empty] [--seed N] [--size national|tiny]"
	if len(args) == 0 || (args[0] != "demo" && args[0] != "national") {
		return usageError(usageSeed)
	}
	set := args[0]
	fs := flag.NewFlagSet("seed "+set, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	ifEmpty := fs.Bool("if-empty", false, "")
	seed := fs.Int64("seed", 1, "")
	sizeName := fs.String("size", "national", "")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || (set == "demo" && (*seed != 1 || *sizeName != "national")) {
		return usageError(usageSeed)
	}
	size, ok := map[string]national.Size{"national": national.National, "tiny": national.Tiny}[*sizeName]
	if !ok {
		return usageError("--size is national or tiny")
	}
	cfg, _, err := setup(getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Env == config.Production {
		return &exitError{code: 2, err: fmt.Errorf("%s data is refused when CADRE_ENV=production: its accounts share a published password", set)}
	}
	return withStore(ctx, getenv, stderr, func(store *postgres.Store) error {
		empty, err := store.IsEmpty(ctx)
		if err != nil {
			return err
		}
		if !empty {
			if *ifEmpty {
				return nil
			}
			return fmt.Errorf("the database already holds data: %s data goes only into an empty database", set)
		}
		if set == "national" {
			start := time.Now()
			if err := national.Seed(ctx, store, size, *seed, passwordParams); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "National dataset created (seed %d) in %s; every account's password is %s.\n",
				*seed, time.Since(start).Round(100*time.Millisecond), national.Password)
			return nil
		}
		if _, err := demo.Seed(ctx, store, passwordParams); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Demo data created.")
		return nil
	})
}

// printDemoAccounts lists the demo accounts on the console when they exist.
// refuseDemoAccounts stops a production server started on a database whose demo
// accounts are enabled: their password is public.
func refuseDemoAccounts(ctx context.Context, store *postgres.Store) error {
	emails, err := store.UsersWithEmailSuffix(ctx, ".demo")
	if err != nil {
		return err
	}
	var demoAccounts []string
	for _, e := range emails {
		for _, a := range demo.Accounts {
			if a.Email == e {
				demoAccounts = append(demoAccounts, e)
			}
		}
	}
	national, err := store.UsersWithEmailSuffix(ctx, postgres.NationalEmailDomain)
	if err != nil {
		return err
	}
	if len(national) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("this database holds the national benchmark dataset (%d enabled accounts ending in %s, "+
			"whose password is public): a production server does not serve it", len(national), postgres.NationalEmailDomain)}
	}
	if len(demoAccounts) == 0 {
		return nil
	}
	return &exitError{code: 1, err: fmt.Errorf("this database holds enabled demo accounts, whose password is public (%s): "+
		"a production server does not serve them. Disable them with `cadre user disable %s`, or use a database without demo data",
		strings.Join(demoAccounts, ", "), strings.Join(demoAccounts, " "))}
}

func printDemoAccounts(ctx context.Context, store *postgres.Store, stdout io.Writer) error {
	emails, err := store.UsersWithEmailSuffix(ctx, ".demo")
	if err != nil || len(emails) == 0 {
		return err
	}
	present := map[string]bool{}
	for _, e := range emails {
		present[e] = true
	}
	fmt.Fprintf(stdout, "Demo accounts (password %s):\n", demo.Password)
	for _, a := range demo.Accounts {
		if present[a.Email] {
			scope := a.Scope
			if scope != "" {
				scope = " — " + scope
			}
			fmt.Fprintf(stdout, "  %-30s %s%s\n", a.Email, a.Role.Label(), scope)
		}
	}
	return nil
}
