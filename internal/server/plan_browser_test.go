package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/browsertest"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/plan"
)

// TestBrowserFindingToActionToProof: Rennes's director opens the new action's
// page from a finding of the audit, is refused without pilote nor due date,
// creates the action, then completes it with a piece of evidence as proof.
// The final-report rule counts the finding uncovered before, covered after.
// Every kind of page passes axe on the way.
func TestBrowserFindingToActionToProof(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	f := app.Fixture
	rennes := f.Structures["ML-RENNES"]
	const constat = 4242
	covered := func() error {
		parConstat, parItem, err := app.Store.Couverture(t.Context(), rennes, []int64{constat}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return plan.CheckRapportDefinitif([]int64{constat}, nil, parConstat, parItem)
	}
	if covered() == nil {
		t.Fatal("the finding is covered before any action")
	}
	b := browsertest.New(t, app.URL)
	b.Login(dirRen, demo.Password)
	b.Visit(fmt.Sprintf("/plan/structures/%d/actions/nouvelle?constat=%d", rennes, constat))
	if got := b.Text("main"); !strings.Contains(got, "Constat d'audit n° 4242") {
		t.Fatalf("the new action's page:\n%s", got)
	}
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Choisissez le·la pilote") || !strings.Contains(got, "Indiquez une échéance") {
		t.Fatalf("error summary = %q", got)
	}
	due := time.Now().AddDate(0, 2, 0).Format("2006-01-02")
	b.Run(chromedp.SetValue(`#pilote`, fmt.Sprint(f.Users[dirRen]), chromedp.ByQuery),
		chromedp.SetValue(`#echeance`, due, chromedp.ByQuery),
		chromedp.SetValue(`#titre`, "Formaliser la procédure de suivi des orientations", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".flash"); got != "L'action est créée dans le plan d'amélioration." {
		t.Fatalf("after creating: %q", got)
	}
	if err := covered(); err != nil {
		t.Errorf("the final report is still refused after the action: %v", err)
	}
	action := b.Location()
	// Réalisée needs its proof: refused without, accepted with one of the ML's pieces.
	b.Run(chromedp.SetValue(`#statut`, "realisee", chromedp.ByQuery))
	b.ClickAndWait(`form[action$="/statut"] button`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Choisissez l'élément de preuve") {
		t.Fatalf("error summary = %q", got)
	}
	b.Run(chromedp.SetValue(`#statut`, "realisee", chromedp.ByQuery),
		chromedp.SetValue(`#preuve`, fmt.Sprint(f.Preuves["ML-RENNES"]), chromedp.ByQuery),
		chromedp.SetValue(`#realisee_le`, time.Now().Format("2006-01-02"), chromedp.ByQuery),
		chromedp.SendKeys(`#commentaire`, "Procédure adoptée en réunion d'équipe.", chromedp.ByQuery))
	b.ClickAndWait(`form[action$="/statut"] button`)
	if got := b.Text(".flash"); got != "Le statut de l'action est enregistré : « Réalisée »." {
		t.Fatalf("after the proof: %q (%s)", got, action)
	}
	if got := b.Text("main dl"); !strings.Contains(got, "Réalisée") || !strings.Contains(got, "Procédure d'accueil des jeunes") {
		t.Errorf("the action's facts:\n%s", got)
	}
	if got := b.Text("#historique + ol"); !strings.Contains(got, "Statut : Réalisée") || !strings.Contains(got, "Procédure adoptée") {
		t.Errorf("history:\n%s", got)
	}
	// A realised action still covers its finding.
	if err := covered(); err != nil {
		t.Errorf("after completion: %v", err)
	}
	b.ClickAndWait(`main nav.breadcrumbs a`)
	if got := b.Text("main table"); !strings.Contains(got, "Formaliser la procédure de suivi des orientations") {
		t.Errorf("the plan:\n%s", got)
	}
	b.CheckPhoneWidth()
}
