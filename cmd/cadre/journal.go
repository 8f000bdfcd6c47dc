package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/export"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/postgres"
)

// journalCmd runs `cadre journal verify|export`.
func journalCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("journal needs a subcommand: verify or export")
	}
	switch sub, args := args[0], args[1:]; sub {
	case "verify":
		if len(args) > 0 {
			return usageError("journal verify takes no arguments")
		}
		return withStore(ctx, getenv, stderr, func(store *postgres.Store) error {
			n, err := journal.Verify(func(fn func(journal.Entry) error) error {
				return store.EachJournalEntry(ctx, journal.Filter{}, fn)
			})
			var broken *journal.Broken
			if errors.As(err, &broken) {
				return fmt.Errorf("the journal's chain is broken at entry %d (%s); the %d entries before it are intact", broken.Seq, broken.Reason, n)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "journal intact: %d entries, every hash and link verified\n", n)
			return nil
		})
	case "export":
		const exportUsage = "journal export [--structure CODE] [--from DATE] [--to DATE] [--format csv|jsonl]"
		fs := flag.NewFlagSet("journal export", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		format := fs.String("format", "csv", "csv or jsonl")
		structure := fs.String("structure", "", "the Mission Locale's code (default: the whole journal)")
		fromS := fs.String("from", "", "first day, YYYY-MM-DD")
		toS := fs.String("to", "", "last day, YYYY-MM-DD")
		if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
			return usageError(exportUsage)
		}
		if !slices.Contains(export.JournalFormats, *format) {
			return usageError("unknown export format %q: use csv or jsonl", *format)
		}
		var f journal.Filter
		for _, d := range []struct {
			s   string
			t   *time.Time
			opt string
		}{{*fromS, &f.From, "--from"}, {*toS, &f.To, "--to"}} {
			if d.s == "" {
				continue
			}
			t, ok := domain.ParseDate(d.s)
			if !ok {
				return usageError("%s %q is not a date: use YYYY-MM-DD", d.opt, d.s)
			}
			*d.t = t
		}
		if err := f.Check(); err != nil {
			return usageError("--to must not come before --from")
		}
		return withStore(ctx, getenv, stderr, func(store *postgres.Store) error {
			if *structure != "" {
				id, err := store.IDByCode(ctx, "structures", *structure)
				if err != nil {
					return fmt.Errorf("structure %s: %w", *structure, err)
				}
				f.StructureID = id
			}
			w, err := export.NewJournalWriter(stdout, *format)
			if err != nil {
				return err
			}
			if err := store.EachJournalEntry(ctx, f, w.Write); err != nil {
				return err
			}
			return w.Close()
		})
	default:
		return usageError("unknown journal command %q", sub)
	}
}
