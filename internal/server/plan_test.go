package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/audit"
)

// TestPlanPagesOfBrest: Brest's director sees the demo's plan with its two
// overdue actions on the home page and on the plan (in words), filters them,
// and exports the plan; the référent sees them across the région.
func TestPlanPagesOfBrest(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	brest := app.Fixture.Structures["ML-BREST"]
	app.Login(t, "directeur@ml-brest.demo")
	_, body := app.Get(t, "/")
	if !strings.Contains(body, "Plan d'amélioration — Mission Locale du Pays de Brest") || !strings.Contains(body, "2 action(s) en retard") ||
		!strings.Contains(body, "En retard de 21 j") {
		t.Errorf("the director's home lacks the overdue actions:\n%s", body)
	}
	resp, body := app.Get(t, fmt.Sprintf("/plan/structures/%d", brest))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "12 action(s) listée(s)") || strings.Count(body, "En retard de ") != 2 {
		t.Errorf("plan: %d\n%s", resp.StatusCode, body)
	}
	if _, body = app.Get(t, fmt.Sprintf("/plan/structures/%d?retard=1", brest)); !strings.Contains(body, "2 action(s) listée(s)") {
		t.Errorf("the overdue filter:\n%s", body)
	}
	resp, body = app.Get(t, fmt.Sprintf("/plan/structures/%d/export.csv", brest))
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || strings.Count(body, "\n") != 13 || !strings.Contains(body, "Formaliser la procédure d'accueil sur les trois sites") {
		t.Errorf("csv export: %s\n%s", resp.Header.Get("Content-Type"), body)
	}
	resp, body = app.Get(t, fmt.Sprintf("/plan/structures/%d/export.xlsx", brest))
	if !strings.HasPrefix(body, "PK") || !strings.Contains(resp.Header.Get("Content-Disposition"), "plan-amelioration-ML-BREST.xlsx") {
		t.Errorf("xlsx export: %v", resp.Header)
	}
	app.Login(t, referent)
	if _, body = app.Get(t, "/"); !strings.Contains(body, "Plan d'amélioration — Missions Locales de Bretagne") {
		t.Errorf("the référent's home lacks the région's plans")
	}
	if _, body = app.Get(t, fmt.Sprintf("/plan/regions/%d", app.Fixture.Regions["BRE"])); !strings.Contains(body, "Actions en retard dans la région (2)") {
		t.Errorf("the région's plans:\n%s", body)
	}
}

// TestNewActionFromItsOrigin: the new action's page is pre-filled from a
// regional remark (its text), an item, or a finding; bad input is refused
// with French messages and nothing is created.
func TestNewActionFromItsOrigin(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	f := app.Fixture
	brest := f.Structures["ML-BREST"]
	app.Login(t, "directeur@ml-brest.demo")
	// The référent remarked on the first items of Brest's dossier (demo).
	_, body := app.Get(t, fmt.Sprintf("/plan/structures/%d/actions/nouvelle?revue=%d&item=G.C1.M1", brest, f.Autoevaluations["ML-BREST/2026"]))
	if !strings.Contains(body, "Répondre à la remarque régionale sur G.C1.M1") || !strings.Contains(body, "Pratique réelle, mais les éléments de preuve") ||
		!strings.Contains(body, "Avis régional") {
		t.Errorf("from a remark:\n%s", body)
	}
	// Brest's audit found an écart mineur (demo); another ML's finding is not found.
	constats, err := app.Store.Constats(t.Context(), brest, f.Audits["ML-BREST/2026"])
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(constats, func(c audit.Constat) bool { return c.Nature == audit.EcartMineur })
	if i < 0 {
		t.Fatalf("Brest's findings: %+v", constats)
	}
	if _, body = app.Get(t, fmt.Sprintf("/plan/structures/%d/actions/nouvelle?constat=%d", brest, constats[i].ID)); !strings.Contains(body, fmt.Sprintf("Constat d&#39;audit n° %d", constats[i].ID)) ||
		!strings.Contains(body, "Répondre au constat d&#39;audit (écart mineur) : Le suivi des orientations") {
		t.Errorf("from a finding:\n%s", body)
	}
	rennes, err := app.Store.Constats(t.Context(), f.Structures["ML-RENNES"], f.Audits["ML-RENNES/2025"])
	if err != nil || len(rennes) == 0 {
		t.Fatalf("Rennes's findings: %v, %v", rennes, err)
	}
	if resp, _ := app.Get(t, fmt.Sprintf("/plan/structures/%d/actions/nouvelle?constat=%d", brest, rennes[0].ID)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a finding of Rennes from Brest's plan: %d", resp.StatusCode)
	}
	// The section page of the self-assessment links each item to a new action.
	if _, body = app.Get(t, fmt.Sprintf("/autoevaluations/%d/sections/G", f.Autoevaluations["ML-BREST/2026"])); !strings.Contains(body, fmt.Sprintf(`href="/plan/structures/%d/actions/nouvelle?item=G.C1.M1&amp;autoevaluation=%d"`, brest, f.Autoevaluations["ML-BREST/2026"])) ||
		!strings.Contains(body, "Créer une action depuis cette remarque") {
		t.Errorf("the section page lacks the links to a new action")
	}
	before := countActions(t, app, brest)
	resp, body := app.PostForm(t, fmt.Sprintf("/plan/structures/%d/actions/nouvelle", brest), url.Values{"origine": {"autoevaluation"}, "items": {"X9.NOPE"},
		"pilote": {fmt.Sprint(f.Users["directeur@ml-lyon.demo"])}, "priorite": {"haute"}, "echeance": {"31/02/2027"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Indiquez l&#39;intitulé de l&#39;action.") ||
		!strings.Contains(body, "Indiquez une échéance valide") {
		t.Errorf("bad action: %d\n%s", resp.StatusCode, body)
	}
	resp, body = app.PostForm(t, fmt.Sprintf("/plan/structures/%d/actions/nouvelle", brest), url.Values{"origine": {"autoevaluation"}, "items": {"X9.NOPE"}, "titre": {"Essai"},
		"pilote": {fmt.Sprint(f.Users["directeur@ml-lyon.demo"])}, "priorite": {"haute"}, "echeance": {"2027-02-28"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Le·la pilote doit être une personne de la Mission Locale.") ||
		!strings.Contains(body, "Un des éléments indiqués n&#39;existe dans aucun référentiel.") {
		t.Errorf("a pilote of another ML: %d\n%s", resp.StatusCode, body)
	}
	if n := countActions(t, app, brest); n != before {
		t.Errorf("%d actions after refused forms, want %d", n, before)
	}
}

func countActions(t *testing.T, app *apptest.App, structureID int64) int {
	t.Helper()
	list, err := app.Store.PlanActions(t.Context(), structureID)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}
