package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

// TestJournalVerifyNamesTheRowChanged: the demo's chain verifies; a row changed
// by the database superuser (who alone can disable the trigger) makes verify
// exit 1 naming that row.
func TestJournalVerifyNamesTheRowChanged(t *testing.T) {
	t.Parallel()
	url := demotest.NewURL(t)
	env := envOf("DATABASE_URL", url)
	var out bytes.Buffer
	if err := run(t.Context(), []string{"journal", "verify"}, env, &out, io.Discard); err != nil {
		t.Fatalf("the demo's journal: %v", err)
	}
	if !strings.HasPrefix(out.String(), "journal intact: ") {
		t.Errorf("verify printed %q", out.String())
	}

	conn, err := pgx.Connect(t.Context(), pgtest.AdminURL(url))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	for _, sql := range []string{
		"ALTER TABLE journal DISABLE TRIGGER journal_no_rewrite",
		`UPDATE journal SET after = '{"valeur":4}' WHERE seq = 7`,
		"ALTER TABLE journal ENABLE TRIGGER journal_no_rewrite",
	} {
		if _, err := conn.Exec(t.Context(), sql); err != nil {
			t.Fatal(err)
		}
	}
	err = run(t.Context(), []string{"journal", "verify"}, env, io.Discard, io.Discard)
	var ee *exitError
	if err == nil || errors.As(err, &ee) || !strings.Contains(err.Error(), "broken at entry 7 ") {
		t.Fatalf("verify after the change = %v, want exit 1 naming entry 7", err)
	}
}

func TestJournalExport(t *testing.T) {
	t.Parallel()
	env := envOf("DATABASE_URL", demotest.NewURL(t))
	var csv bytes.Buffer
	if err := run(t.Context(), []string{"journal", "export", "--structure", "ML-RENNES", "--from", "2020-01-01"}, env, &csv, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if !strings.HasPrefix(lines[0], "\ufeffN°;Date;Personne;") || len(lines) < 10 {
		t.Fatalf("csv export: %d lines, header %q", len(lines), lines[0])
	}
	var jsonl bytes.Buffer
	if err := run(t.Context(), []string{"journal", "export", "--format", "jsonl"}, env, &jsonl, io.Discard); err != nil {
		t.Fatal(err)
	}
	all := strings.Split(strings.TrimSpace(jsonl.String()), "\n")
	if len(all) <= len(lines)-1 {
		t.Errorf("the whole journal has %d entries, ML Rennes' %d", len(all), len(lines)-1)
	}
	var first struct {
		Seq      int64  `json:"seq"`
		Hash     string `json:"hash"`
		Sentence string `json:"sentence"`
	}
	if err := json.Unmarshal([]byte(all[0]), &first); err != nil || first.Seq != 1 || len(first.Hash) != 64 || first.Sentence == "" {
		t.Errorf("first line %q: %+v, %v", all[0], first, err)
	}
	for _, args := range [][]string{
		{"journal"}, {"journal", "verify", "x"}, {"journal", "export", "--format", "xml"}, {"journal", "export", "--from", "demain"},
		{"journal", "export", "--from", "2026-02-01", "--to", "2026-01-01"}, {"journal", "rewrite"},
	} {
		err := run(t.Context(), args, env, io.Discard, io.Discard)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("run %v = %v, want a usage error", args, err)
		}
	}
	err := run(t.Context(), []string{"journal", "export", "--structure", "ML-NULLE-PART"}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ML-NULLE-PART") {
		t.Errorf("unknown structure: %v", err)
	}
}
