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

// TestBrowserAuditJourney: the Pôle sends Quimper's submitted dossier to the
// audit without an avis and assigns the demo pair, which draws the sample and
// checks the draw; both auditors rate the same part at once (a stale save is
// refused and says what the other wrote), record a finding and issue the
// provisional report; Quimper's director writes observations; the pair
// answers and issues the final report, which freezes the dossier; the
// director then sees the three verdicts. Every kind of page passes axe.
func TestBrowserAuditJourney(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	f := app.Fixture
	quimper := f.Autoevaluations["ML-QUIMPER/2026"]

	// The Pôle: the queue, the sending without avis, the assignment.
	pole := browsertest.New(t, app.URL)
	pole.Login("pole@unml.demo", demo.Password)
	pole.Visit("/audits")
	if got := pole.Text("main"); !strings.Contains(got, "Charge des auditeur·rices") || !strings.Contains(got, "Sam Réseau") {
		t.Fatalf("the Pôle's audits:\n%s", got)
	}
	pole.Run(chromedp.SetValue(`#autoevaluation`, fmt.Sprint(quimper), chromedp.ByQuery),
		chromedp.SendKeys(`#motif`, "Le référent ARML est absent cette année.", chromedp.ByQuery))
	pole.ClickAndWait(`form[action="/audits/envois"] button`)
	if got := pole.Text(".flash"); !strings.Contains(got, "rejoint la file d'audit") {
		t.Fatalf("after sending: %q", got)
	}
	pole.ClickAndWait(fmt.Sprintf(`main a[href="/audits/affecter/%d"]`, quimper))
	pole.Run(chromedp.SetValue(`#nature`, "initial", chromedp.ByQuery),
		chromedp.SetValue(`#certifie`, fmt.Sprint(f.Users["auditeur@unml.demo"]), chromedp.ByQuery),
		chromedp.SetValue(`#reseau`, fmt.Sprint(f.Users["auditrice.reseau@unml.demo"]), chromedp.ByQuery),
		chromedp.SetValue(`#debut`, "2026-12-14", chromedp.ByQuery),
		chromedp.SetValue(`#fin`, "2026-12-12", chromedp.ByQuery))
	pole.ClickAndWait(`main form button[type="submit"]`)
	if got := pole.Text(".error-summary"); !strings.Contains(got, "La date de fin précède la date de début") {
		t.Fatalf("the assignment's error summary: %q", got)
	}
	pole.Run(chromedp.SetValue(`#fin`, "2026-12-15", chromedp.ByQuery))
	pole.ClickAndWait(`main form button[type="submit"]`)
	if got := pole.Text("main"); !strings.Contains(got, "siège, toujours inclus") || !strings.Contains(got, "Quimper — siège") {
		t.Fatalf("the new audit:\n%s", got)
	}
	auditPath := pole.Location()
	pole.ClickAndWait(`main a[href$="/verification"]`)
	if got := pole.Text("main"); !strings.Contains(got, "l'échantillon est conforme") {
		t.Fatalf("the draw does not replay:\n%s", got)
	}

	// Both auditors open the same part; the first saves, the second's stale save is refused.
	a1 := browsertest.New(t, app.URL)
	a1.Login("auditeur@unml.demo", demo.Password)
	a1.Visit("/audits")
	if got := a1.Text("h1"); got != "Mes audits" {
		t.Fatalf("the auditor's home: %q", got)
	}
	a1.ClickAndWait(`main a[href="` + auditPath + `"]`)
	a1.ClickAndWait(`main a[href="` + auditPath + `/sections/G"]`)
	a2 := browsertest.New(t, app.URL)
	a2.Login("auditrice.reseau@unml.demo", demo.Password)
	a2.Visit(auditPath + "/sections/G")
	var code string
	a1.Eval(`document.querySelector(".item-card").id`, &code)
	esc := strings.ReplaceAll(code, ".", `\.`)
	a1.Run(chromedp.Click(`#note-`+esc+`-4`, chromedp.ByQuery))
	a1.ClickAndWait(`main form button[type="submit"]`)
	if got := a1.Text(".flash"); got != "1 cotation(s) d'audit enregistrée(s)." {
		t.Fatalf("the first auditor's save: %q", got)
	}
	a2.Run(chromedp.Click(`#note-`+esc+`-2`, chromedp.ByQuery))
	a2.ClickAndWait(`main form button[type="submit"]`)
	if got := a2.Text(".error-summary"); !strings.Contains(got, "Alex Auditeur a coté "+code+" à 4") {
		t.Fatalf("the stale save: %q", got)
	}
	// The page now shows the other's rating; a rating of another item goes through.
	var second string
	a2.Eval(`document.querySelectorAll(".item-card")[1].id`, &second)
	a2.Run(chromedp.Click(`#note-`+strings.ReplaceAll(second, ".", `\.`)+`-3`, chromedp.ByQuery))
	a2.ClickAndWait(`main form button[type="submit"]`)
	if got := a2.Text(".flash"); got != "1 cotation(s) d'audit enregistrée(s)." {
		t.Fatalf("the second auditor's save: %q", got)
	}
	notes, err := app.Store.Notes(t.Context(), f.Structures["ML-QUIMPER"], auditIDOf(t, app, quimper))
	if err != nil || notes[code].Valeur != 4 || notes[second].Valeur != 3 {
		t.Fatalf("the audit ratings: %+v, %v", notes, err)
	}

	// A finding, its screen, then the provisional report.
	a1.Visit(auditPath)
	a1.Run(chromedp.SetValue(`#nature`, "point_fort", chromedp.ByQuery),
		chromedp.SendKeys(`#texte`, "Un accueil attentif sur les deux sites.", chromedp.ByQuery),
		chromedp.SendKeys(`#items`, code, chromedp.ByQuery))
	a1.ClickAndWait(`form[action="` + auditPath + `/constats"] button`)
	if got := a1.Text("main"); !strings.Contains(got, "Créer une action du plan") || !strings.Contains(got, "Un accueil attentif") {
		t.Fatalf("the finding's screen:\n%s", got)
	}
	a1.Visit(auditPath)
	a1.Run(chromedp.SendKeys(`#synthese`, "Une démarche solide, des preuves à compléter.", chromedp.ByQuery))
	a1.ClickAndWait(`form[action="` + auditPath + `/rapport-provisoire"] button`)
	if got := a1.Text("main h1"); got != "Rapport d'audit provisoire" {
		t.Fatalf("after the provisional report: %q", got)
	}

	// Quimper's director: the report, the observations.
	dir := browsertest.New(t, app.URL)
	dir.Login("directeur@ml-quimper.demo", demo.Password)
	dir.Visit("/audits")
	dir.ClickAndWait(`main a[href="` + auditPath + `"]`)
	if got := dir.Text("main h1"); got != "Rapport d'audit provisoire" {
		t.Fatalf("the director's report: %q", got)
	}
	dir.Run(chromedp.SendKeys(`#generale`, "Merci pour la qualité des échanges.", chromedp.ByQuery))
	dir.ClickAndWait(`form[action="` + auditPath + `/observations"] button`)
	if got := dir.Text(".flash"); !strings.Contains(got, "Vos observations sont enregistrées") {
		t.Fatalf("after the observations: %q", got)
	}

	// The pair answers and issues the final report.
	a2.Visit(auditPath + "/rapport")
	a2.Run(chromedp.SendKeys(`form[action$="/reponses"] #generale`, "Le binôme en prend acte.", chromedp.ByQuery))
	a2.ClickAndWait(`form[action$="/reponses"] button`)
	a2.ClickAndWait(`form[action$="/rapport-definitif"] button`)
	if got := a2.Text("main h1"); got != "Rapport d'audit définitif" {
		t.Fatalf("after the final report: %q", got)
	}
	if got := a2.Text("main"); !strings.Contains(got, "Merci pour la qualité des échanges.") || !strings.Contains(got, "Le binôme en prend acte.") {
		t.Errorf("the final report does not reproduce the observations and answers")
	}
	if a, _ := app.Store.Autoevaluation(t.Context(), domain.Visibility{All: true}, quimper); a.Etat != demarche.RapportDefinitif {
		t.Errorf("Quimper's dossier: %s", a.Etat)
	}

	// The director sees the three verdicts now.
	dir.Visit(auditPath + "/verdicts")
	if got := dir.Text("main"); !strings.Contains(got, "Les trois verdicts") || !strings.Contains(got, code) {
		t.Fatalf("the three verdicts:\n%s", got)
	}
}

func auditIDOf(t *testing.T, app *apptest.App, autoevalID int64) int64 {
	t.Helper()
	id, err := app.Store.AuditIDOf(t.Context(), autoevalID)
	if err != nil || id == 0 {
		t.Fatalf("audit of %d: %d, %v", autoevalID, id, err)
	}
	return id
}
