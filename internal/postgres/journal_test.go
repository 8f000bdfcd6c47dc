package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

// verifyAll checks the whole chain of store.
func verifyAll(t *testing.T, store *postgres.Store) int64 {
	t.Helper()
	n, err := journal.Verify(func(fn func(journal.Entry) error) error {
		return store.EachJournalEntry(t.Context(), journal.Filter{}, fn)
	})
	if err != nil {
		t.Fatalf("chain broken after %d entries: %v", n, err)
	}
	return n
}

func TestJournalOfTheDemoVerifies(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	if n := verifyAll(t, store); n < 50 {
		t.Errorf("the demo's journal has %d entries: its seed does not go through the store", n)
	}
	// A cotation is written as a person reads it, from the entry itself.
	entries, _, err := store.JournalPage(t.Context(), journal.Filter{StructureID: f.Structures["ML-RENNES"], Action: journal.ActCotationSaved, Limit: 1})
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries %v, %v", entries, err)
	}
	if s := journal.Sentence(entries[0]); !strings.Contains(s, " a coté ") || !strings.Contains(s, "sans réponse → ") {
		t.Errorf("sentence %q", s)
	}
}

// TestJournalAppendsFromSeveralServers appends at once from several pools, as
// several server processes would: the chain stays one, without gap or fork.
func TestJournalAppendsFromSeveralServers(t *testing.T) {
	t.Parallel()
	url := pgtest.NewURL(t)
	const servers, writes = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, servers*writes)
	for i := range servers {
		pool, err := pgxpool.New(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		store := postgres.NewStore(pool)
		for j := range writes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- store.RecordLoginFailure(t.Context(), nil, fmt.Sprintf("s%d-%d@example.org", i, j), "192.0.2.1")
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	var failures int64
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM journal WHERE action = $1", journal.ActLoginFailed).Scan(&failures); err != nil {
		t.Fatal(err)
	}
	if failures != servers*writes {
		t.Errorf("%d login failures journalled, want %d", failures, servers*writes)
	}
	verifyAll(t, postgres.NewStore(pool))
}

// TestJournalIsAppendOnly: the table refuses UPDATE, DELETE and TRUNCATE even
// to its owner (the tests connect as a superuser), and a failed write
// journals nothing.
func TestJournalIsAppendOnly(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	// The application role may not even try; the trigger refuses the owner
	// and the superuser too.
	for _, sql := range []string{"UPDATE journal SET label = 'x' WHERE seq = 1", "DELETE FROM journal WHERE seq = 1", "TRUNCATE journal"} {
		if _, err := pool.Exec(t.Context(), sql); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s as the application role: err = %v, want a permission refusal", sql, err)
		}
		if _, err := pgtest.Admin(t, pool).Exec(t.Context(), sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s as the superuser: err = %v, want the trigger's refusal", sql, err)
		}
	}
	store := postgres.NewStore(pool)
	before := verifyAll(t, store)
	actor, err := store.Actor(t.Context(), f.Users["pole@unml.demo"], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A taken code: the write fails, and so nothing is journalled.
	if _, err := store.CreateRegion(t.Context(), actor, domain.Region{Code: "BRE", Nom: "Bretagne bis"}); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("err = %v", err)
	}
	id, err := store.CreateRegion(t.Context(), actor, domain.Region{Code: "NOR", Nom: "Normandie"})
	if err != nil {
		t.Fatal(err)
	}
	if after := verifyAll(t, store); after != before+1 {
		t.Errorf("%d entries after, want %d", after, before+1)
	}
	ctx := journal.WithRequestID(context.Background(), "req-1")
	if err := store.UpdateRegion(ctx, actor, domain.Region{ID: id, Code: "NOR", Nom: "Normandie (Caen)"}); err != nil {
		t.Fatal(err)
	}
	entries, _, err := store.JournalPage(t.Context(), journal.Filter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := entries[0]
	if e.Action != journal.ActRegionUpdated || e.RegionID != id || e.ActorRole != string(domain.RolePole) || e.RequestID != "req-1" ||
		!strings.Contains(string(e.Before), `"Normandie"`) || !strings.Contains(string(e.After), `"Normandie (Caen)"`) {
		t.Errorf("entry %+v", e)
	}
	// The same values again are no change, and no entry.
	if err := store.UpdateRegion(ctx, actor, domain.Region{ID: id, Code: "NOR", Nom: "Normandie (Caen)"}); err != nil {
		t.Fatal(err)
	}
	if n := verifyAll(t, store); n != before+2 {
		t.Errorf("%d entries, want %d", n, before+2)
	}
}
