package postgres_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

// campagneNetwork is a small network for the campaign tests: two régions, three
// MLs, and one référentiel version.
type campagneNetwork struct {
	store      *postgres.Store
	pool       *pgxpool.Pool
	ref        int64
	structures map[string]int64
}

func newCampagneNetwork(t *testing.T, withMLs bool) campagneNetwork {
	t.Helper()
	pool := pgtest.New(t)
	n := campagneNetwork{store: postgres.NewStore(pool), pool: pgtest.Admin(t, pool), structures: map[string]int64{}}
	if err := pool.QueryRow(t.Context(), `INSERT INTO referentiels (code, version, titre, non_concerne, fingerprint)
		VALUES ('essai', '1', 'Référentiel d''essai', 'Non concerné', 'x') RETURNING id`).Scan(&n.ref); err != nil {
		t.Fatal(err)
	}
	if !withMLs {
		return n
	}
	regions := map[string]int64{}
	for _, r := range []domain.Region{{Code: "NOR", Nom: "Normandie"}, {Code: "BRE", Nom: "Bretagne"}} {
		id, err := n.store.CreateRegion(t.Context(), nil, r)
		if err != nil {
			t.Fatal(err)
		}
		regions[r.Code] = id
	}
	for _, st := range []domain.Structure{
		{Code: "ML-CAEN", Nom: "Mission Locale de Caen", RegionID: regions["NOR"]},
		{Code: "ML-RENNES", Nom: "Mission Locale de Rennes", RegionID: regions["BRE"]},
		{Code: "ML-BREST", Nom: "Mission Locale de Brest", RegionID: regions["BRE"]},
	} {
		st.Forme = domain.FormeAssociation
		id, err := n.store.CreateStructure(t.Context(), nil, st)
		if err != nil {
			t.Fatal(err)
		}
		n.structures[st.Code] = id
	}
	return n
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func campagne2026(ref int64) campagnes.Campagne {
	return campagnes.Campagne{Nom: "Campagne 2026", ReferentielID: ref, Ouverture: day("2026-09-01"), Cloture: day("2026-12-15")}
}

// countRows runs a count(*) query.
func countRows(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func structureNames(list []campagnes.CampagneStructure) string {
	var names []string
	for _, s := range list {
		names = append(names, s.RegionNom+"/"+s.Nom)
	}
	return strings.Join(names, ", ")
}

func TestCreateCampagneConcernsEveryMLByDefault(t *testing.T) {
	t.Parallel()
	n := newCampagneNetwork(t, true)
	ctx := t.Context()
	for _, ids := range [][]int64{nil, {}} {
		id, err := n.store.CreateCampagne(ctx, nil, campagne2026(n.ref), ids)
		if err != nil {
			t.Fatal(err)
		}
		c, err := n.store.Campagne(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := campagnes.Campagne{ID: id, Nom: "Campagne 2026", ReferentielID: n.ref, Referentiel: "Référentiel d'essai — version 1",
			Ouverture: day("2026-09-01"), Cloture: day("2026-12-15"), Etat: campagnes.EtatPreparation,
			DelaiObservations: campagnes.DefaultDelaiObservations} // none given: the default
		if c != want {
			t.Errorf("campagne = %+v\nwant       %+v", c, want)
		}
		list, err := n.store.CampagneStructures(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// By région, then name; no auto-évaluation before the opening.
		if got := structureNames(list); got != "Bretagne/Mission Locale de Brest, Bretagne/Mission Locale de Rennes, Normandie/Mission Locale de Caen" {
			t.Errorf("structures = %s", got)
		}
		for _, s := range list {
			if s.AutoevaluationID != 0 || s.Etat != "" {
				t.Errorf("%s has an auto-évaluation before the opening: %+v", s.Nom, s)
			}
		}
	}
	rows, err := n.store.ListCampagnes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Structures != 3 || rows[1].Structures != 3 || len(rows[0].Etats) != 0 || rows[0].Soumises() != 0 {
		t.Errorf("list = %+v", rows)
	}
}

func TestCreateCampagneForSomeMLs(t *testing.T) {
	t.Parallel()
	n := newCampagneNetwork(t, true)
	// A repeated ML counts once.
	ids := []int64{n.structures["ML-RENNES"], n.structures["ML-CAEN"], n.structures["ML-RENNES"]}
	id, err := n.store.CreateCampagne(t.Context(), nil, campagne2026(n.ref), ids)
	if err != nil {
		t.Fatal(err)
	}
	list, err := n.store.CampagneStructures(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got := structureNames(list); got != "Bretagne/Mission Locale de Rennes, Normandie/Mission Locale de Caen" {
		t.Errorf("structures = %s", got)
	}
}

func TestCreateCampagneRefusesBadInputAndWritesNothing(t *testing.T) {
	t.Parallel()
	n := newCampagneNetwork(t, true)
	ok := campagne2026(n.ref)
	cases := []struct {
		name   string
		c      func(c campagnes.Campagne) campagnes.Campagne
		ids    []int64
		fields []string
	}{
		{"no name", func(c campagnes.Campagne) campagnes.Campagne { c.Nom = " "; return c }, nil, []string{"nom"}},
		{"long name", func(c campagnes.Campagne) campagnes.Campagne { c.Nom = strings.Repeat("é", 201); return c }, nil, []string{"nom"}},
		{"no référentiel", func(c campagnes.Campagne) campagnes.Campagne { c.ReferentielID = 0; return c }, nil, []string{"referentiel"}},
		{"unknown référentiel", func(c campagnes.Campagne) campagnes.Campagne { c.ReferentielID = n.ref + 1000; return c }, nil, []string{"referentiel"}},
		{"no dates", func(c campagnes.Campagne) campagnes.Campagne {
			c.Ouverture, c.Cloture = time.Time{}, time.Time{}
			return c
		}, nil, []string{"ouverture", "cloture"}},
		{"closing before opening", func(c campagnes.Campagne) campagnes.Campagne { c.Cloture = day("2026-08-31"); return c }, nil, []string{"cloture"}},
		{"unknown ML", func(c campagnes.Campagne) campagnes.Campagne { return c }, []int64{n.structures["ML-CAEN"], 999999}, []string{"structures"}},
		{"invalid référentiel, checked before the MLs", func(c campagnes.Campagne) campagnes.Campagne { c.ReferentielID = -3; return c }, []int64{0}, []string{"referentiel"}},
		{"unknown référentiel and ML", func(c campagnes.Campagne) campagnes.Campagne { c.ReferentielID = n.ref + 7; return c }, []int64{0}, []string{"referentiel", "structures"}},
	}
	for _, tc := range cases {
		_, err := n.store.CreateCampagne(t.Context(), nil, tc.c(ok), tc.ids)
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", tc.name, err)
			continue
		}
		fields := domain.ErrorFields(err)
		if len(fields) != len(tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.name, fields, tc.fields)
		}
		for _, f := range tc.fields {
			if fields[f] == "" {
				t.Errorf("%s: no message on %s: %v", tc.name, f, fields)
			}
		}
	}
	if c := countRows(t, n.pool, "SELECT (SELECT count(*) FROM campagnes) + (SELECT count(*) FROM campagne_structures)"); c != 0 {
		t.Errorf("refused campaigns wrote %d rows", c)
	}
}

func TestCreateCampagneNeedsMLs(t *testing.T) {
	t.Parallel()
	n := newCampagneNetwork(t, false)
	_, err := n.store.CreateCampagne(t.Context(), nil, campagne2026(n.ref), nil)
	if msg := domain.ErrorFields(err)["structures"]; !strings.Contains(msg, "Aucune Mission Locale") {
		t.Errorf("campaign without any ML: %v", err)
	}
	if c := countRows(t, n.pool, "SELECT count(*) FROM campagnes"); c != 0 {
		t.Errorf("%d campaigns written", c)
	}
}

func TestOpenAndCloseCampagne(t *testing.T) {
	t.Parallel()
	n := newCampagneNetwork(t, true)
	ctx := t.Context()
	id, err := n.store.CreateCampagne(ctx, nil, campagne2026(n.ref), []int64{n.structures["ML-RENNES"], n.structures["ML-BREST"]})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.store.CloseCampagne(ctx, nil, id); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("closing a campaign in preparation: %v, want ECONFLICT", err)
	}
	created, err := n.store.OpenCampagne(ctx, nil, id)
	if err != nil || created != 2 {
		t.Fatalf("open = %d, %v; want 2 auto-évaluations", created, err)
	}
	c, err := n.store.Campagne(ctx, id)
	if err != nil || c.Etat != campagnes.EtatOuverte {
		t.Fatalf("after opening: %+v, %v", c, err)
	}
	if c := countRows(t, n.pool, "SELECT count(*) FROM campagnes WHERE id = $1 AND opened_at IS NOT NULL", id); c != 1 {
		t.Error("opened_at not set")
	}
	list, err := n.store.CampagneStructures(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.AutoevaluationID == 0 || s.Etat != demarche.EnCours {
			t.Errorf("%s after opening: %+v", s.Nom, s)
		}
	}
	// Caen is not concerned: no auto-évaluation.
	if c := countRows(t, n.pool, "SELECT count(*) FROM autoevaluations WHERE structure_id = $1", n.structures["ML-CAEN"]); c != 0 {
		t.Errorf("Caen has %d auto-évaluations", c)
	}

	// One submits: the list counts it.
	if _, err := n.pool.Exec(ctx, "UPDATE autoevaluations SET etat = 'soumise' WHERE structure_id = $1", n.structures["ML-BREST"]); err != nil {
		t.Fatal(err)
	}
	rows, err := n.store.ListCampagnes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Etats[demarche.EnCours] != 1 || rows[0].Etats[demarche.Soumise] != 1 || rows[0].Soumises() != 1 {
		t.Errorf("list after a submission: %+v", rows)
	}

	// A second opening is refused and creates nothing.
	_, err = n.store.OpenCampagne(ctx, nil, id)
	if domain.ErrorCode(err) != domain.ECONFLICT || !strings.Contains(domain.ErrorMessage(err), "déjà ouverte") {
		t.Errorf("second opening: %v", err)
	}
	if c := countRows(t, n.pool, "SELECT count(*) FROM autoevaluations WHERE campagne_id = $1", id); c != 2 {
		t.Errorf("%d auto-évaluations after a second opening, want 2", c)
	}

	if err := n.store.CloseCampagne(ctx, nil, id); err != nil {
		t.Fatal(err)
	}
	if c, _ := n.store.Campagne(ctx, id); c.Etat != campagnes.EtatClose {
		t.Errorf("after closing: %+v", c)
	}
	if err := n.store.CloseCampagne(ctx, nil, id); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("closing twice: %v", err)
	}
	if _, err := n.store.OpenCampagne(ctx, nil, id); domain.ErrorCode(err) != domain.ECONFLICT || !strings.Contains(domain.ErrorMessage(err), "close") {
		t.Errorf("opening a closed campaign: %v", err)
	}
}

func TestUnknownCampagneIsNotFound(t *testing.T) {
	t.Parallel()
	n := newCampagneNetwork(t, true)
	ctx := t.Context()
	if _, err := n.store.Campagne(ctx, 42); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("Campagne: %v", err)
	}
	if _, err := n.store.CampagneStructures(ctx, 42); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("CampagneStructures: %v", err)
	}
	if _, err := n.store.OpenCampagne(ctx, nil, 42); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("OpenCampagne: %v", err)
	}
	if err := n.store.CloseCampagne(ctx, nil, 42); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("CloseCampagne: %v", err)
	}
}

func TestConcurrentCampagneOpeningsCreateOnce(t *testing.T) {
	t.Parallel()
	n := newCampagneNetwork(t, true)
	id, err := n.store.CreateCampagne(t.Context(), nil, campagne2026(n.ref), nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	created := make([]int, 4)
	errs := make([]error, len(created))
	for i := range created {
		wg.Go(func() { created[i], errs[i] = n.store.OpenCampagne(t.Context(), nil, id) })
	}
	wg.Wait()
	opened := 0
	for i, err := range errs {
		switch {
		case err == nil && created[i] == 3:
			opened++
		case domain.ErrorCode(err) != domain.ECONFLICT:
			t.Errorf("opening %d: %d, %v", i, created[i], err)
		}
	}
	if opened != 1 {
		t.Errorf("%d openings succeeded, want 1", opened)
	}
	if c := countRows(t, n.pool, "SELECT count(*) FROM autoevaluations"); c != 3 {
		t.Errorf("%d auto-évaluations, want 3", c)
	}
}
