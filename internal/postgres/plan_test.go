package postgres_test

import (
	"testing"
	"time"

	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/plan"
	"github.com/unml/cadre/internal/postgres"
)

// TestPlanActionLife: an action is created with its items and history, moves
// to réalisée with one of the ML's pieces as proof (another ML's piece is
// refused), a stale version is a conflict, and another ML's scope finds nothing.
func TestPlanActionLife(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	rennes := f.Structures["ML-RENNES"]
	dir := &domain.Actor{UserID: f.Users["directeur@ml-rennes.demo"]}
	due := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	a := plan.Action{StructureID: rennes, Titre: "Formaliser l'accueil", Items: []string{"F1.R1.C1", "F1.R1.C2"}, Origine: plan.OrigineAutoeval,
		AutoevaluationID: f.Autoevaluations["ML-RENNES/2026"], PiloteID: f.Users["contributeur@ml-rennes.demo"], Priorite: plan.Haute, Echeance: due}
	// A pilote from another ML, an unknown item, another ML's dossier: refused per field.
	bad := a
	bad.PiloteID, bad.Items, bad.AutoevaluationID = f.Users["directeur@ml-lyon.demo"], []string{"X9.NOPE"}, f.Autoevaluations["ML-LYON/2026"]
	_, err := store.CreatePlanAction(ctx, dir, domain.RoleDirecteur, bad)
	if fe := domain.ErrorFields(err); fe["pilote"] == "" || fe["items"] == "" || fe["origine"] == "" {
		t.Errorf("bad action: %v", err)
	}
	id, err := store.CreatePlanAction(ctx, dir, domain.RoleDirecteur, a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.PlanAction(ctx, domain.Visibility{StructureIDs: []int64{rennes}}, id)
	if err != nil || got.Titre != a.Titre || len(got.Items) != 2 || got.Statut != plan.AEngager || got.PiloteNom != "Nolwenn Qualité" || !got.Echeance.Equal(due) || got.Version != 1 {
		t.Fatalf("stored %+v, %v", got, err)
	}
	if _, err := store.PlanAction(ctx, domain.Visibility{StructureIDs: []int64{f.Structures["ML-LYON"]}}, id); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("another ML's scope: %v", err)
	}
	if _, err := store.PlanAction(ctx, domain.Visibility{RegionIDs: []int64{f.Regions["BRE"]}}, id); err != nil {
		t.Errorf("the région's scope: %v", err)
	}
	today := time.Now()
	done := func(preuve int64, version int) plan.Changement {
		return plan.Changement{Statut: plan.Realisee, PreuveID: preuve, RealiseeLe: today, BaseVersion: version}
	}
	apply := func(c plan.Changement) func(plan.Statut) error {
		return func(s plan.Statut) error { return c.Apply(s, today) }
	}
	c := done(f.Preuves["ML-LYON"], 1)
	if err := store.ChangePlanStatut(ctx, dir, domain.RoleDirecteur, rennes, id, c, apply(c)); domain.ErrorFields(err)["preuve"] == "" {
		t.Errorf("another ML's piece as proof: %v", err)
	}
	c = done(f.Preuves["ML-RENNES"], 2)
	if err := store.ChangePlanStatut(ctx, dir, domain.RoleDirecteur, rennes, id, c, apply(c)); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("stale version: %v", err)
	}
	c = done(f.Preuves["ML-RENNES"], 1)
	if err := store.ChangePlanStatut(ctx, dir, domain.RoleDirecteur, f.Structures["ML-LYON"], id, c, apply(c)); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("through another ML: %v", err)
	}
	if err := store.ChangePlanStatut(ctx, dir, domain.RoleDirecteur, rennes, id, c, apply(c)); err != nil {
		t.Fatal(err)
	}
	// Closed now: the decision under the lock refuses any further change.
	c = plan.Changement{Statut: plan.EnCours}
	if err := store.ChangePlanStatut(ctx, dir, domain.RoleDirecteur, rennes, id, c, apply(c)); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("change of a realised action: %v", err)
	}
	if err := store.CommentPlanAction(ctx, &domain.Actor{UserID: f.Users["referent@bretagne.demo"]}, domain.RoleReferentARML, rennes, id, "Bravo."); err != nil {
		t.Fatal(err)
	}
	got, _ = store.PlanAction(ctx, domain.Visibility{All: true}, id)
	if got.Statut != plan.Realisee || got.PreuveID != f.Preuves["ML-RENNES"] || got.PreuveTitre == "" || got.RealiseeLe == nil {
		t.Errorf("realised: %+v", got)
	}
	h, err := store.PlanHistorique(ctx, rennes, id)
	if err != nil || len(h) != 3 || h[0].Kind != "creation" || h[1].Statut != plan.Realisee || h[2].Texte != "Bravo." || h[2].Role != domain.RoleReferentARML {
		t.Errorf("history %+v, %v", h, err)
	}
	if h, _ := store.PlanHistorique(ctx, f.Structures["ML-LYON"], id); len(h) != 0 {
		t.Errorf("another ML's scope sees %d lines", len(h))
	}
}

// TestCouverture (plan_couverture.go) counts the actions not abandoned per finding and per item,
// within the ML only.
func TestCouverture(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	rennes, lyon := f.Structures["ML-RENNES"], f.Structures["ML-LYON"]
	create := func(structure int64, director string, constat int64, items ...string) (int64, error) {
		return store.CreatePlanAction(ctx, &domain.Actor{UserID: f.Users[director]}, domain.RoleDirecteur, plan.Action{StructureID: structure,
			Titre: "Action", Items: items, Origine: plan.OrigineConstat, ConstatID: constat, PiloteID: f.Users[director], Priorite: plan.Moyenne, Echeance: time.Now()})
	}
	add := func(structure int64, director string, constat int64, items ...string) int64 {
		t.Helper()
		id, err := create(structure, director, constat, items...)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	// The findings of the demo's audits: Rennes's 2025 one has two, Brest's three.
	findings := func(code, key string) []int64 {
		t.Helper()
		list, err := store.Constats(ctx, f.Structures[code], f.Audits[key])
		if err != nil || len(list) < 2 {
			t.Fatalf("the findings of %s: %v, %v", key, list, err)
		}
		var ids []int64
		for _, c := range list {
			ids = append(ids, c.ID)
		}
		return ids
	}
	r := findings("ML-RENNES", "ML-RENNES/2025")
	b := findings("ML-BREST", "ML-BREST/2026")
	add(rennes, "directeur@ml-rennes.demo", r[0], "F1.R1.C1")
	add(rennes, "directeur@ml-rennes.demo", r[0])
	dropped := add(rennes, "directeur@ml-rennes.demo", r[1], "F1.R1.C2")
	add(f.Structures["ML-BREST"], "directeur@ml-brest.demo", b[0], "F1.R1.C2")
	// An action answers only its own ML's findings.
	if _, err := create(lyon, "directeur@ml-lyon.demo", r[1]); domain.ErrorFields(err)["origine"] == "" {
		t.Errorf("Lyon's action on a finding of Rennes: %v", err)
	}
	c := plan.Changement{Statut: plan.Abandonnee, Motif: "Doublon."}
	if err := store.ChangePlanStatut(ctx, &domain.Actor{UserID: f.Users["directeur@ml-rennes.demo"]}, domain.RoleDirecteur, rennes, dropped, c,
		func(s plan.Statut) error { return c.Apply(s, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	constats, items, err := store.Couverture(ctx, rennes, []int64{r[0], r[1], b[0]}, []string{"F1.R1.C1", "F1.R1.C2", "F9"})
	if err != nil {
		t.Fatal(err)
	}
	if constats[r[0]] != 2 || constats[r[1]] != 0 || constats[b[0]] != 0 || len(constats) != 3 {
		t.Errorf("par constat %v", constats)
	}
	if items["F1.R1.C1"] != 1 || items["F1.R1.C2"] != 0 || items["F9"] != 0 || len(items) != 3 {
		t.Errorf("par item %v", items)
	}
	add(rennes, "directeur@ml-rennes.demo", r[1])
	if constats, _, _ = store.Couverture(ctx, rennes, []int64{r[0], r[1]}, nil); constats[r[1]] != 1 {
		t.Errorf("after a new action on the abandoned one's finding: %v", constats)
	}
	if c, i, err := store.Couverture(ctx, rennes, nil, nil); err != nil || len(c) != 0 || len(i) != 0 {
		t.Errorf("nothing asked: %v %v %v", c, i, err)
	}
}

// TestDemoPlanBrest: the demo's plan of Brest has a dozen actions in every status, two overdue.
func TestDemoPlanBrest(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	list, err := postgres.NewStore(pool).PlanActions(t.Context(), f.Structures["ML-BREST"])
	if err != nil {
		t.Fatal(err)
	}
	statuts, overdue := map[plan.Statut]int{}, 0
	for _, a := range list {
		statuts[a.Statut]++
		if a.Overdue(time.Now()) {
			overdue++
		}
	}
	if len(list) != 12 || len(statuts) != 4 || overdue != 2 {
		t.Errorf("%d actions, statuses %v, %d overdue", len(list), statuts, overdue)
	}
}
