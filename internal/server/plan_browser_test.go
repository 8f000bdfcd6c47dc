package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/browsertest"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/domain"
)

// TestBrowserFindingToActionToProof: the pair issues Brest's provisional
// report; its final report is refused while the écart found on site has no
// action in the plan. Brest's director opens the finding from the report and,
// in one click, the new action's page pre-filled from it; is refused without
// pilote nor due date; creates the action, then completes it with a piece of
// evidence as proof. The final report then goes through. Every kind of page
// passes axe on the way.
func TestBrowserFindingToActionToProof(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	f := app.Fixture
	brest := f.Structures["ML-BREST"]
	auditPath := fmt.Sprintf("/audits/%d", f.Audits["ML-BREST/2026"])
	const ecart = "Le suivi des orientations vers les partenaires n'est pas tracé de façon homogène."

	a1 := browsertest.New(t, app.URL)
	a1.Login("auditeur@unml.demo", demo.Password)
	a1.Visit(auditPath)
	a1.Run(chromedp.SendKeys(`#synthese`, "Une démarche engagée ; le suivi des orientations reste à tracer.", chromedp.ByQuery))
	a1.ClickAndWait(`form[action="` + auditPath + `/rapport-provisoire"] button`)
	if got := a1.Text("main h1"); got != "Rapport d'audit provisoire" {
		t.Fatalf("after the provisional report: %q", got)
	}
	refused := func() string {
		a1.Visit(auditPath + "/rapport")
		a1.ClickAndWait(`form[action$="/rapport-definitif"] button`)
		if a1.Text("main h1") == "Rapport d'audit définitif" {
			return ""
		}
		return a1.Text("main")
	}
	// Items the audit rated below the top that are impératif need an action
	// too: the demo's plan may cover them already; the écart it does not.
	if got := refused(); !strings.Contains(got, "écart mineur") || !strings.Contains(got, "Le suivi des orientations") {
		t.Fatalf("the final report is not refused for the écart without action:\n%s", got)
	}

	b := browsertest.New(t, app.URL)
	b.Login("directeur@ml-brest.demo", demo.Password)
	b.Visit(auditPath + "/rapport")
	constats, err := app.Store.Constats(t.Context(), brest, f.Audits["ML-BREST/2026"])
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(constats, func(c audit.Constat) bool { return c.Nature == audit.EcartMineur })
	if i < 0 {
		t.Fatalf("the demo's audit of Brest has no écart: %+v", constats)
	}
	b.ClickAndWait(fmt.Sprintf(`main a[href="%s/constats/%d"]`, auditPath, constats[i].ID))
	if got := b.Text("main dl"); !strings.Contains(got, ecart) {
		t.Fatalf("the finding's screen:\n%s", got)
	}
	b.ClickAndWait(`main a.button[href*="/actions/nouvelle?constat="]`)
	var titre, description string
	b.Eval(`document.querySelector('#titre').value`, &titre)
	b.Eval(`document.querySelector('#description').value`, &description)
	if !strings.Contains(b.Text("main"), "Constat d'audit") || !strings.Contains(titre, "Le suivi des orientations") || description != ecart {
		t.Fatalf("the new action's page is not pre-filled from the finding: %q, %q", titre, description)
	}
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Choisissez le·la pilote") || !strings.Contains(got, "Indiquez une échéance") {
		t.Fatalf("error summary = %q", got)
	}
	due := time.Now().AddDate(0, 2, 0).Format("2006-01-02")
	b.Run(chromedp.SetValue(`#pilote`, fmt.Sprint(f.Users["directeur@ml-brest.demo"]), chromedp.ByQuery),
		chromedp.SetValue(`#echeance`, due, chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".flash"); got != "L'action est créée dans le plan d'amélioration." {
		t.Fatalf("after creating: %q", got)
	}
	action := b.Location()
	// Réalisée needs its proof: refused without, accepted with one of the ML's pieces.
	b.Run(chromedp.SetValue(`#statut`, "realisee", chromedp.ByQuery))
	b.ClickAndWait(`form[action$="/statut"] button`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Choisissez l'élément de preuve") {
		t.Fatalf("error summary = %q", got)
	}
	var preuve string
	b.Eval(`document.querySelector('#preuve option:not([value=""])').value`, &preuve)
	b.Run(chromedp.SetValue(`#statut`, "realisee", chromedp.ByQuery),
		chromedp.SetValue(`#preuve`, preuve, chromedp.ByQuery),
		chromedp.SetValue(`#realisee_le`, time.Now().Format("2006-01-02"), chromedp.ByQuery),
		chromedp.SendKeys(`#commentaire`, "Tableau de suivi des orientations adopté en réunion d'équipe.", chromedp.ByQuery))
	b.ClickAndWait(`form[action$="/statut"] button`)
	if got := b.Text(".flash"); got != "Le statut de l'action est enregistré : « Réalisée »." {
		t.Fatalf("after the proof: %q (%s)", got, action)
	}
	if got := b.Text("#historique + ol"); !strings.Contains(got, "Statut : Réalisée") || !strings.Contains(got, "Tableau de suivi") {
		t.Errorf("history:\n%s", got)
	}
	b.ClickAndWait(`main nav.breadcrumbs a`)
	if got := b.Text("main table"); !strings.Contains(got, "Le suivi des orientations") {
		t.Errorf("the plan:\n%s", got)
	}
	b.CheckPhoneWidth()

	// The écart has its action: whatever else the rule asks is named; once
	// covered, the final report goes through.
	got := refused()
	if strings.Contains(got, "Le suivi des orientations") {
		t.Fatalf("the final report is still refused for the écart:\n%s", got)
	}
	if got != "" {
		t.Fatalf("the final report is refused:\n%s", got)
	}
	if a, _ := app.Store.Autoevaluation(t.Context(), domain.Visibility{All: true}, f.Autoevaluations["ML-BREST/2026"]); a.Etat != demarche.RapportDefinitif {
		t.Errorf("Brest's dossier: %s", a.Etat)
	}
}

// TestBrowserRegionPlans: the Bretagne référent follows the plans of its
// région, with Brest's two overdue actions said in words; the page passes axe.
func TestBrowserRegionPlans(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)
	b.Login("referent@bretagne.demo", demo.Password)
	b.Visit(fmt.Sprintf("/plan/regions/%d", app.Fixture.Regions["BRE"]))
	if got := b.Text("main"); !strings.Contains(got, "Actions en retard dans la région (2)") || !strings.Contains(got, "En retard de") {
		t.Fatalf("the région's plans:\n%s", got)
	}
	b.CheckPhoneWidth()
}
