package postgres_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestMigrationsGoDownAndUpConcurrently(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	mg, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer mg.Close()
	latest, _, err := mg.Version()
	if err != nil || latest == 0 {
		t.Fatalf("version = %d, %v; want the template migrated", latest, err)
	}
	// Numbers may have gaps (each branch takes its own), so go down until none is left.
	for v := latest; v > 0; v, _, _ = mg.Version() {
		if err := mg.Down(); err != nil {
			t.Fatalf("down from %d: %v", v, err)
		}
	}
	if v, _, _ := mg.Version(); v != 0 {
		t.Fatalf("after every down, version = %d", v)
	}
	// Several servers starting at once all migrate; the advisory lock serialises them.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = postgres.Migrate(t.Context(), pool) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent migrations: %v", err)
	}
	if v, dirty, _ := mg.Version(); v != latest || dirty {
		t.Errorf("after concurrent ups, version = %d dirty=%v; want %d clean", v, dirty, latest)
	}
}

func TestDirtyStateSaysHowToRecover(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	if _, err := pool.Exec(t.Context(), "UPDATE schema_migrations SET dirty = true"); err != nil {
		t.Fatal(err)
	}
	err := postgres.Migrate(t.Context(), pool)
	var dirty *postgres.DirtyError
	if !errors.As(err, &dirty) {
		t.Fatalf("err = %v, want a DirtyError", err)
	}
	if !strings.Contains(err.Error(), "cadre migrate force") {
		t.Errorf("message does not say how to recover:\n%v", err)
	}
}
