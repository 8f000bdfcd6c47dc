// Package demotest gives tests a fresh database holding the demo data. The data
// is seeded once per test binary into a template database (pgtest.NewSeeded),
// which each test copies.
package demotest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

// key names the demo seeded with auth.TestParams among the seeded templates.
const key = "demo"

// seed fills the template: demo.Seed with the cheap password parameters.
func seed(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := demo.Seed(ctx, postgres.NewStore(pool), auth.TestParams)
	return err
}

// New returns a pool on a fresh database holding the demo data, dropped when the
// test ends, and the demo's fixture in it. The package's TestMain must call
// pgtest.Main.
func New(t testing.TB) (*pgxpool.Pool, *demo.Fixture) {
	t.Helper()
	pool := pgtest.NewSeeded(t, key, seed)
	f, err := demo.LoadFixture(t.Context(), postgres.NewStore(pool))
	if err != nil {
		t.Fatal(err)
	}
	return pool, f
}

// NewURL returns the connection string of a fresh database holding the demo
// data, dropped when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	return pgtest.NewSeededURL(t, key, seed)
}
