package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/unml/cadre/internal/export"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/referentiel"
)

// referentielCmd runs `cadre referentiel check|import|export`.
func referentielCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("referentiel needs a subcommand: check, import or export")
	}
	switch sub, args := args[0], args[1:]; sub {
	case "check":
		if len(args) != 1 {
			return usageError("referentiel check needs one file")
		}
		r, err := parseFile(args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: référentiel %s version %s is valid (%d assessable items)\n", args[0], r.Code, r.Version, len(r.Items()))
		return nil
	case "import":
		if len(args) != 1 {
			return usageError("referentiel import needs one file")
		}
		r, err := parseFile(args[0])
		if err != nil {
			return err
		}
		return withStore(ctx, getenv, stderr, func(store *postgres.Store) error {
			created, err := store.ImportReferentiel(ctx, r)
			if err != nil {
				return err
			}
			if created {
				fmt.Fprintf(stdout, "imported référentiel %s version %s (%d assessable items)\n", r.Code, r.Version, len(r.Items()))
			} else {
				fmt.Fprintf(stdout, "référentiel %s version %s is already imported with this content: nothing changed\n", r.Code, r.Version)
			}
			return nil
		})
	case "export":
		fs := flag.NewFlagSet("referentiel export", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		format := fs.String("format", "csv", "csv or xlsx")
		which := fs.String("referentiel", referentiel.DefaultCode, "CODE or CODE:VERSION (default: the latest version)")
		output := fs.String("output", "", "file to write (default: standard output)")
		if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
			return usageError("referentiel export [--format csv|xlsx] [--referentiel CODE[:VERSION]] [--output FILE]")
		}
		if !slices.Contains(export.Formats, *format) {
			return usageError("unknown export format %q: use csv or xlsx", *format)
		}
		code, version, _ := strings.Cut(*which, ":")
		return withStore(ctx, getenv, stderr, func(store *postgres.Store) error {
			r, _, err := store.Referentiel(ctx, code, version)
			if err != nil {
				return fmt.Errorf("référentiel %s: %w", *which, err)
			}
			out := stdout
			if *output != "" {
				f, err := os.Create(*output)
				if err != nil {
					return err
				}
				defer f.Close()
				out = f
			}
			if err := export.Referentiel(out, r, *format); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			if f, ok := out.(*os.File); ok && f != os.Stdout {
				return f.Close()
			}
			return nil
		})
	default:
		return usageError("unknown referentiel command %q", sub)
	}
}

// parseFile reads and validates one référentiel file; a *ValidationError lists
// every problem with its line.
func parseFile(path string) (*referentiel.Referentiel, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := referentiel.Parse(path, data)
	var verr *referentiel.ValidationError
	if errors.As(err, &verr) {
		return nil, fmt.Errorf("%d problem(s):\n%w", len(verr.Problems), err)
	}
	return r, err
}

// withStore opens the database (migrated) for the duration of fn.
func withStore(ctx context.Context, getenv func(string) string, stderr io.Writer, fn func(*postgres.Store) error) error {
	cfg, logger, err := setup(getenv, stderr)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.migrate(ctx); err != nil {
		return err
	}
	return fn(postgres.NewStore(db.pool))
}
