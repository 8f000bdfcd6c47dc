package campagnes_test

import (
	"strings"
	"testing"
	"time"

	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := campagnes.Campagne{Nom: "Campagne 2026", ReferentielID: 1, Ouverture: date("2026-09-01"), Cloture: date("2026-12-15")}
	cases := []struct {
		name   string
		change func(c *campagnes.Campagne)
		fields []string
	}{
		{"valid", func(c *campagnes.Campagne) {}, nil},
		{"one day", func(c *campagnes.Campagne) { c.Cloture = c.Ouverture }, nil},
		{"closing day given in another zone", func(c *campagnes.Campagne) {
			c.Cloture = time.Date(2026, 9, 1, 23, 30, 0, 0, time.FixedZone("UTC-10", -10*3600))
		}, nil},
		{"200 characters", func(c *campagnes.Campagne) { c.Nom = strings.Repeat("é", 200) }, nil},
		{"no name", func(c *campagnes.Campagne) { c.Nom = "  " }, []string{"nom"}},
		{"201 characters", func(c *campagnes.Campagne) { c.Nom = strings.Repeat("é", 201) }, []string{"nom"}},
		{"no référentiel", func(c *campagnes.Campagne) { c.ReferentielID = 0 }, []string{"referentiel"}},
		{"no opening", func(c *campagnes.Campagne) { c.Ouverture = time.Time{} }, []string{"ouverture"}},
		{"no closing", func(c *campagnes.Campagne) { c.Cloture = time.Time{} }, []string{"cloture"}},
		{"closing before opening", func(c *campagnes.Campagne) { c.Cloture = date("2026-08-31") }, []string{"cloture"}},
		{"nothing", func(c *campagnes.Campagne) { *c = campagnes.Campagne{} }, []string{"nom", "referentiel", "ouverture", "cloture"}},
		{"a delay of 1 day", func(c *campagnes.Campagne) { c.DelaiObservations = 1 }, nil},
		{"a delay of 120 days", func(c *campagnes.Campagne) { c.DelaiObservations = 120 }, nil},
		{"a delay of 121 days", func(c *campagnes.Campagne) { c.DelaiObservations = 121 }, []string{"delai_observations"}},
		{"a delay that is not a number", func(c *campagnes.Campagne) { c.DelaiObservations = -1 }, []string{"delai_observations"}},
	}
	for _, tc := range cases {
		c := ok
		tc.change(&c)
		err := campagnes.Validate(c)
		if tc.fields == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		fields := domain.ErrorFields(err)
		if domain.ErrorCode(err) != domain.EINVALID || len(fields) != len(tc.fields) {
			t.Errorf("%s: %v %v, want errors on %v", tc.name, err, fields, tc.fields)
			continue
		}
		for _, f := range tc.fields {
			if fields[f] == "" {
				t.Errorf("%s: no message on %s", tc.name, f)
			}
		}
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2026-09-01":   "2026-09-01",
		" 01/09/2026 ": "2026-09-01",
		"1/9/2026":     "2026-09-01",
		"31/02/2026":   "",
		"2026-13-01":   "",
		"09/01/26":     "",
		"":             "",
		"demain":       "",
		"0001-01-01":   "",
	} {
		got, ok := domain.ParseDate(in)
		if (want == "") == ok || (ok && got.Format("2006-01-02") != want) {
			t.Errorf("ParseDate(%q) = %s, %v; want %q", in, got, ok, want)
		}
	}
}

func TestRappelDue(t *testing.T) {
	t.Parallel()
	for days, want := range map[int]string{
		31: "", 30: campagnes.RappelJ30, 20: campagnes.RappelJ30, 8: campagnes.RappelJ30,
		7: campagnes.RappelJ7, 1: campagnes.RappelJ7, 0: campagnes.RappelJ7, -1: "",
	} {
		if got := campagnes.RappelDue(days); got != want {
			t.Errorf("RappelDue(%d) = %q, want %q", days, got, want)
		}
	}
}

func TestLabels(t *testing.T) {
	t.Parallel()
	for etat, want := range map[campagnes.Etat]string{
		campagnes.EtatPreparation: "En préparation", campagnes.EtatOuverte: "Ouverte", campagnes.EtatClose: "Clôturée", "autre": "autre",
	} {
		if got := etat.Label(); got != want {
			t.Errorf("Label(%q) = %q", etat, got)
		}
	}
	if got := domain.FrenchDate(date("2026-12-05")); got != "05/12/2026" {
		t.Errorf("FrenchDate = %q", got)
	}
}
