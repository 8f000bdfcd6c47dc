package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/browsertest"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/domain"
)

// TestBrowserRegionalPipeline: the Bretagne référent's home shows the dossier
// awaiting the avis and the one with its avis; the pipeline sorts, and the
// heat map shows the medians. Every kind of page passes axe on the way.
func TestBrowserRegionalPipeline(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)
	b.Login(referent, demo.Password)
	if got := b.Text("main"); !strings.Contains(got, "En attente de l'avis régional (1)") || !strings.Contains(got, "Avis régional rendu (1)") {
		t.Fatalf("the référent's home:\n%s", got)
	}
	b.ClickAndWait(`main a[href^="/revue/regions/"]`)
	if got := b.Text("main table"); !strings.Contains(got, "Mission Locale du Pays de Cornouaille") || !strings.Contains(got, "à relire") {
		t.Fatalf("pipeline:\n%s", got)
	}
	b.ClickAndWait(`main th a[href*="tri=etat"]`)
	b.ClickAndWait(`main a[href*="/carte"]`)
	if got := b.Text("main"); !strings.Contains(got, "Médiane nationale") {
		t.Fatalf("heat map:\n%s", got)
	}
}

// TestBrowserRegionalReview: the Bretagne référent gives item avis on
// Quimper's dossier and renders the avis régional, then returns Brest's
// dossier with reasons (what its director does then:
// TestBrowserDirectorAnswersAReturn). Every kind of page passes axe.
func TestBrowserRegionalReview(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	f := app.Fixture
	quimper, brest := f.Autoevaluations["ML-QUIMPER/2026"], f.Autoevaluations["ML-BREST/2026"]
	b := browsertest.New(t, app.URL)
	b.Login(referent, demo.Password)

	// Quimper: an avis on the first item of F1, with a gap of at least 2.
	base := fmt.Sprintf("/revue/autoevaluations/%d", quimper)
	b.Visit(base)
	b.ClickAndWait(`main a[href="` + base + `/sections/F1"]`)
	var code string
	b.Eval(`document.querySelector(".item-card").id`, &code)
	answers, err := app.Store.Cotations(t.Context(), f.Structures["ML-QUIMPER"], quimper)
	if err != nil {
		t.Fatal(err)
	}
	far := 1
	if answers[code].Valeur <= 2 {
		far = 4
	}
	b.Run(chromedp.Click(`#`+strings.ReplaceAll(code, ".", `\.`)+` input[value="`+fmt.Sprint(far)+`"]`, chromedp.ByQuery),
		chromedp.SendKeys(`textarea[name="remarque-`+code+`"]`, "Les preuves ne montrent pas cette pratique.", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".flash"); got != "1 avis enregistré." {
		t.Fatalf("after saving the avis: %q", got)
	}
	if got := b.Text("#" + strings.ReplaceAll(code, ".", `\.`)); !strings.Contains(got, "Écart de") {
		t.Errorf("the gap does not stand out:\n%s", got)
	}

	// The avis régional: refused without its synthesis, then rendered.
	b.Visit(base)
	b.ClickAndWait(`form[action="` + base + `/avis"] button`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Indiquez les points forts") {
		t.Fatalf("error summary = %q", got)
	}
	b.Run(chromedp.SendKeys(`#points_forts`, "Un partenariat dense.", chromedp.ByQuery),
		chromedp.SendKeys(`#axes_progres`, "Le suivi des orientations.", chromedp.ByQuery),
		chromedp.Click(`#recommandation-favorable`, chromedp.ByQuery))
	b.ClickAndWait(`form[action="` + base + `/avis"] button`)
	if got := b.Text(".flash"); !strings.HasPrefix(got, "L'avis régional est rendu") {
		t.Fatalf("after the avis: %q", got)
	}
	if a, _ := app.Store.Autoevaluation(t.Context(), domain.Visibility{All: true}, quimper); a.Etat != demarche.AvisRendu {
		t.Errorf("Quimper's state = %s", a.Etat)
	}

	// Brest: returned with a general reason and one on an item.
	base = fmt.Sprintf("/revue/autoevaluations/%d", brest)
	b.Visit(base)
	b.Run(chromedp.SendKeys(`#item-0`, "F1.R1.C1", chromedp.ByQuery))
	b.ClickAndWait(`form[action="` + base + `/renvoi"] button`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Indiquez le motif") {
		t.Fatalf("error summary = %q", got)
	}
	b.Run(chromedp.SendKeys(`#motif`, "Compléter les preuves de l'accueil.", chromedp.ByQuery),
		chromedp.SendKeys(`#motif-0`, "Aucune preuve de l'affichage.", chromedp.ByQuery))
	b.ClickAndWait(`form[action="` + base + `/renvoi"] button`)
	if got := b.Text(".flash"); !strings.HasPrefix(got, "L'auto-évaluation est renvoyée") {
		t.Fatalf("after the return: %q", got)
	}
	if got := b.Text("main .rounds"); !strings.Contains(got, "Renvoi pour compléments") || !strings.Contains(got, "Avis régional") {
		t.Errorf("the review's history: %s", got)
	}
	if bodies := app.Outbox(t, "directeur@ml-brest.demo"); len(bodies) == 0 || !strings.Contains(bodies[len(bodies)-1], "F1.R1.C1 : Aucune preuve de l'affichage.") {
		t.Errorf("the director's mail: %v", bodies)
	}

}

// TestBrowserDirectorAnswersAReturn: Brest's dossier is returned by the
// référent with reasons; its director sees them on the dashboard and on the
// item concerned, completes it and resubmits, and the reasons go.
func TestBrowserDirectorAnswersAReturn(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	brest := app.Fixture.Autoevaluations["ML-BREST/2026"]
	app.Login(t, referent)
	resp, body := app.PostForm(t, fmt.Sprintf("/revue/autoevaluations/%d/renvoi", brest), url.Values{"motif": {"Compléter les preuves de l'accueil."},
		"item-0": {"F1.R1.C1"}, "motif-0": {"Aucune preuve de l'affichage."}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("return: %d\n%s", resp.StatusCode, body)
	}
	b := browsertest.New(t, app.URL)
	b.Login("directeur@ml-brest.demo", demo.Password)
	dash := fmt.Sprintf("/autoevaluations/%d", brest)
	b.Visit(dash)
	if got := b.Text("main"); !strings.Contains(got, "Renvoyée pour compléments") || !strings.Contains(got, "Compléter les preuves de l'accueil.") {
		t.Fatalf("the director's dashboard:\n%s", got)
	}
	b.ClickAndWait(`main .renvoi a[href*="#F1.R1.C1"]`)
	if got := b.Text(`[data-item="F1.R1.C1"]`); !strings.Contains(got, "Motif du renvoi : Aucune preuve de l'affichage.") {
		t.Fatalf("the item concerned:\n%s", got)
	}
	// An empty comment sits behind « Ajouter un commentaire »: open it.
	b.Eval(`document.querySelector('[data-item="F1.R1.C1"] details.comment:not([open]) summary')?.click()`, nil)
	b.Run(chromedp.SendKeys(`textarea[name="commentaire-F1.R1.C1"]`, " Affichage photographié à l'accueil.", chromedp.ByQuery),
		chromedp.Click(`[data-item="F1.R1.C1"] input[value="3"] + label`, chromedp.ByQuery))
	deadline := time.Now().Add(15 * time.Second)
	for {
		var status string
		b.Eval(`document.querySelector('[data-item="F1.R1.C1"] .save-status').textContent`, &status)
		if status == "Enregistré" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the item shows %q", status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Resubmitting goes through the checklist, then its confirmation page.
	b.Visit(dash + "/soumission")
	if got := b.Text("main"); !strings.Contains(got, "Soumettre l'auto-évaluation…") {
		t.Fatalf("the checklist offers no submission:\n%s", got)
	}
	b.ClickAndWait(`main a[href="` + dash + `/soumettre"]`)
	b.ClickAndWait(`form[action="` + dash + `/soumission"] button`)
	if got := b.Text(".flash"); got != "L'auto-évaluation est soumise. Merci !" {
		t.Fatalf("after resubmitting: %q", got)
	}
	if got := b.Text("main"); strings.Contains(got, "Renvoyée pour compléments") {
		t.Errorf("the reasons still show after resubmission:\n%s", got)
	}
	if a, _ := app.Store.Autoevaluation(t.Context(), domain.Visibility{All: true}, brest); a.Etat != demarche.Soumise {
		t.Errorf("Brest's state = %s", a.Etat)
	}
}
