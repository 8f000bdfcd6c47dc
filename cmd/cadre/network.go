package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/reseau"
)

const networkUsage = "network import [--dry-run] FILE.csv"

// networkCmd runs `cadre network import [--dry-run] FILE.csv`.
func networkCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("network needs a subcommand: %s", networkUsage)
	}
	if sub := args[0]; sub != "import" {
		return usageError("unknown network command %q: %s", sub, networkUsage)
	}
	// Flags are accepted anywhere, so that `import FILE --dry-run` works too.
	var dryRun bool
	var files []string
	for _, a := range args[1:] {
		switch {
		case a == "--dry-run" || a == "-dry-run":
			dryRun = true
		case strings.HasPrefix(a, "-") && a != "-":
			return usageError("unknown option %q: %s", a, networkUsage)
		default:
			files = append(files, a)
		}
	}
	if len(files) != 1 {
		return usageError("network import needs one CSV file: %s", networkUsage)
	}
	path := files[0]
	plan, err := parseNetworkFile(path)
	if err != nil {
		return err
	}
	return withStore(ctx, getenv, stderr, func(store *postgres.Store) error {
		changes, err := reseau.NewService(store).Import(ctx, accounts.Operator(), plan, dryRun)
		var perr *reseau.ParseError
		if errors.As(err, &perr) {
			return fmt.Errorf("%s conflicts with the database, nothing was written:\n%w", path, err)
		} else if err != nil {
			return err
		}
		printChanges(stdout, path, changes, dryRun)
		return nil
	})
}

// parseNetworkFile reads and checks a network file; a *reseau.ParseError lists
// every problem with its line.
func parseNetworkFile(path string) (*reseau.Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	plan, err := reseau.Parse(f)
	var perr *reseau.ParseError
	if errors.As(err, &perr) {
		return nil, fmt.Errorf("%s: %d problem(s), nothing was imported:\n%w", path, len(perr.Problems), err)
	}
	return plan, err
}

func printChanges(w io.Writer, path string, changes reseau.Changes, dryRun bool) {
	switch {
	case len(changes) == 0 && dryRun:
		fmt.Fprintf(w, "dry run: %s would change nothing, the database already matches it\n", path)
		return
	case len(changes) == 0:
		fmt.Fprintf(w, "%s: no change, the database already matches it\n", path)
		return
	case dryRun:
		fmt.Fprintf(w, "dry run: importing %s would make %d change(s):\n", path, len(changes))
	default:
		fmt.Fprintf(w, "imported %s: %d change(s):\n", path, len(changes))
	}
	for _, c := range changes {
		fmt.Fprintf(w, "  ligne %d : %s\n", c.Line, c)
	}
	fmt.Fprintln(w, changes.Summary())
	if dryRun {
		fmt.Fprintln(w, "dry run: nothing was written")
	}
}
