package demo_test

import (
	"reflect"
	"testing"

	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestLoadFixtureMatchesSeed: what LoadFixture finds in a seeded database is
// what Seed returned, and a copy of the seeded template holds the same.
func TestLoadFixtureMatchesSeed(t *testing.T) {
	t.Parallel()
	store := postgres.NewStore(pgtest.New(t))
	seeded, err := demo.Seed(t.Context(), store, auth.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := demo.LoadFixture(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded, seeded) {
		t.Errorf("LoadFixture = %+v\nSeed returned %+v", loaded, seeded)
	}
	for name, m := range map[string]map[string]int64{"Regions": seeded.Regions, "Structures": seeded.Structures, "Sites": seeded.Sites,
		"Users": seeded.Users, "Campagnes": seeded.Campagnes, "Autoevaluations": seeded.Autoevaluations, "Preuves": seeded.Preuves, "Audits": seeded.Audits} {
		if len(m) == 0 {
			t.Errorf("Seed returned no %s", name)
		}
	}

	_, copied := demotest.New(t)
	if !reflect.DeepEqual(copied, seeded) {
		t.Errorf("the seeded template's fixture = %+v\nSeed returned %+v", copied, seeded)
	}
}
