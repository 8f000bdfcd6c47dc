package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/browsertest"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/domain"
)

// TestBrowserSuiviFromTheRegister: Rennes's label (the demo's) is at
// mid-term; the Pôle follows the register's link, finds the follow-up audit
// preselected, assigns it to the demo pair, and the register then says it is
// planned, with its link; the dossier stays decided. Every page passes axe.
func TestBrowserSuiviFromTheRegister(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	f := app.Fixture
	rennes := f.Autoevaluations["ML-RENNES/2025"]
	if _, err := app.Pool.Exec(t.Context(), `UPDATE labels SET debut = current_date - interval '18 months', fin = current_date + interval '18 months'
		WHERE structure_id = $1`, f.Structures["ML-RENNES"]); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, app.URL)
	b.Login(pole, demo.Password)
	b.Visit("/registre")
	if got := b.Text("main table tbody"); !strings.Contains(got, "Mission Locale du bassin d'emploi de Rennes\tBretagne\tLabellisée") || !strings.Contains(got, "À planifier") {
		t.Fatalf("the register:\n%s", got)
	}
	b.ClickAndWait(fmt.Sprintf(`main a[href="/audits/affecter/%d?nature=suivi"]`, rennes))
	var nature string
	b.Eval(`document.querySelector("#nature").value`, &nature)
	if nature != "suivi" {
		t.Fatalf("the kind preselected = %q", nature)
	}
	b.Run(chromedp.SetValue(`#certifie`, fmt.Sprint(f.Users["auditeur@unml.demo"]), chromedp.ByQuery),
		chromedp.SetValue(`#reseau`, fmt.Sprint(f.Users["auditrice.reseau@unml.demo"]), chromedp.ByQuery),
		chromedp.SetValue(`#debut`, "2027-03-08", chromedp.ByQuery),
		chromedp.SetValue(`#fin`, "2027-03-09", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text("main"); !strings.Contains(got, "Audit de suivi") || !strings.Contains(got, "0,6 × √n") {
		t.Fatalf("the follow-up audit:\n%s", got)
	}
	auditPath := b.Location()
	if a, _ := app.Store.Autoevaluation(t.Context(), domain.Visibility{All: true}, rennes); a.Etat != demarche.Decidee {
		t.Errorf("Rennes's dossier after the follow-up's assignment: %s", a.Etat)
	}
	b.Visit("/registre")
	if got := b.Text("main table tbody"); !strings.Contains(got, "Audit de suivi planifié du 08/03/2027 au 09/03/2027 (en cours)") {
		t.Errorf("the register after the assignment:\n%s", got)
	}
	b.ClickAndWait(`main table a[href^="/audits/"]`)
	if got := b.Location(); got != auditPath {
		t.Errorf("the register's link leads to %s, want %s", got, auditPath)
	}
	b.Visit("/audits")
	if got := b.Text("main"); !strings.Contains(got, "Audit de suivi") {
		t.Errorf("the Pôle's audits lack the follow-up audit:\n%s", got)
	}
	b.CheckPhoneWidth()
}
