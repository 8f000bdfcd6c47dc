// Package demotest gives tests a fresh database holding the demo data. The data
// is seeded once per test binary into a template database (pgtest.NewSeeded),
// which each test copies.
package demotest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
	"github.com/unml/cadre/internal/referentiel"
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

// Region creates, in a demo database, a région of n MLs, a campaign for them, opened, and rates
// every item of each; it returns the région, the campaign and the MLs.
func Region(t *testing.T, store *postgres.Store, poleID int64, n int) (int64, int64, []int64) {
	t.Helper()
	ctx := t.Context()
	regionID, err := store.CreateRegion(ctx, nil, domain.Region{Code: "GRD", Nom: "Grande Région"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range n {
		id, err := store.CreateStructure(ctx, nil, domain.Structure{Code: fmt.Sprintf("ML-GRD-%02d", i), Nom: fmt.Sprintf("Mission Locale n° %02d", i),
			RegionID: regionID, Forme: domain.FormeAssociation})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ref, refID, err := store.Referentiel(ctx, referentiel.DefaultCode, "")
	if err != nil {
		t.Fatal(err)
	}
	pole := &domain.Actor{UserID: poleID}
	campagneID, err := store.CreateCampagne(ctx, pole, campagnes.Campagne{Nom: "Grande campagne", ReferentielID: refID,
		Ouverture: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Cloture: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}, ids)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenCampagne(ctx, pole, campagneID); err != nil {
		t.Fatal(err)
	}
	rows, err := store.CampagneStructures(ctx, campagneID)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		answers := map[string]autoeval.Cotation{}
		for j, it := range ref.Items() {
			answers[it.Code] = autoeval.Cotation{Valeur: 1 + (i+j)%4}
		}
		if err := store.SeedCotations(ctx, nil, r.StructureID, r.AutoevaluationID, answers); err != nil {
			t.Fatal(err)
		}
	}
	return regionID, campagneID, ids
}
