// Command cadre is the whole Cadre application: the web server and its
// administration commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cadre:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

// exitError carries a specific exit code: 2 for usage and configuration errors.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format+"\n\n"+usage, args...)}
}

const usage = `Usage:
  cadre [serve]                  run the web server (the default)
  cadre migrate up               apply pending database migrations
  cadre migrate down             revert the last migration
  cadre migrate version          print the schema version
  cadre migrate force VERSION    record VERSION as applied, after repairing a failed migration
  cadre referentiel check FILE   validate a référentiel file, listing every problem with its line
  cadre referentiel import FILE  import a référentiel file (same content again: no change)
  cadre referentiel export [--format csv|xlsx] [--referentiel CODE[:VERSION]] [--output FILE]
                                 one row per assessable item: code, type, path, text
  cadre network import [--dry-run] FILE.csv
                                 create or update régions, Missions Locales and sites from CSV
  cadre user invite EMAIL ROLE [CODE]
                                 invite someone (the first accounts of an installation);
                                 CODE is the Mission Locale's or région's code for scoped roles
  cadre user disable EMAIL...    disable accounts: their sessions end, their pending links die
  cadre journal verify           check the journal's whole hash chain; exit 1 naming the first broken entry
  cadre journal export [--structure CODE] [--from DATE] [--to DATE] [--format csv|jsonl]
                                 the journal's entries, oldest first, for the commission
  cadre seed demo [--if-empty]   add the demo network and accounts (refused in production)
  cadre seed national [--if-empty] [--seed N] [--size national|tiny]
                                 add the national dataset, the benchmark's (refused in production)
  cadre bench [--clients N] [--duration D] [--json FILE] [--only REGEXP]
                                 measure every page at national scale (seeds an empty database first;
                                 refused in production)
  cadre version                  print the program version

Configuration comes from the environment: see README.md.`

// run is the program with its inputs explicit, so tests can drive it whole.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		if len(args) > 0 {
			return usageError("serve takes no arguments")
		}
		return serve(ctx, getenv, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args, getenv, stdout, stderr)
	case "user":
		return userCmd(ctx, args, getenv, stdout, stderr)
	case "seed":
		return seedCmd(ctx, args, getenv, stdout, stderr)
	case "bench":
		return benchCmd(ctx, args, getenv, stdout, stderr)
	case "network":
		return networkCmd(ctx, args, getenv, stdout, stderr)
	case "referentiel":
		return referentielCmd(ctx, args, getenv, stdout, stderr)
	case "journal":
		return journalCmd(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "cadre", buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return usageError("unknown command %q", cmd)
	}
}
