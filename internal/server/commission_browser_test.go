package server_test

import (
	"fmt"
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

// TestBrowserFinalReportToDecisionToRegister: Brest's 2026 dossier has its
// rapport définitif; the Pôle creates a session, puts the dossier on its
// agenda, is refused an adjournment without conditions, records the label,
// and the register shows it with its end date; the director and the
// référent are told. The register also shows the demo's labels: Rennes's,
// Quimper's expiring with its reminder queued, Lyon adjourned. Every kind of
// page passes axe.
func TestBrowserFinalReportToDecisionToRegister(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	f := app.Fixture
	brest := f.Autoevaluations["ML-BREST/2026"]
	if err := app.Store.SeedEtat(t.Context(), nil, f.Structures["ML-BREST"], brest, demarche.TransmettreObservations, demarche.RapportDefinitif); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, app.URL)
	b.Login(pole, demo.Password)
	b.Visit("/commission")
	if got := b.Text("main"); !strings.Contains(got, "Session du ") || !strings.Contains(got, "Mission Locale du Pays de Brest — Auto-évaluation 2026") {
		t.Fatalf("the commission's home:\n%s", got)
	}
	b.ClickAndWait(`form[action="/commission/sessions"] button`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Indiquez la date de la session") {
		t.Fatalf("error summary = %q", got)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	b.Run(chromedp.SetValue(`#date`, today.Format("2006-01-02"), chromedp.ByQuery),
		chromedp.SendKeys(`#membres`, "UNML, DGEFP, deux ARML.", chromedp.ByQuery))
	b.ClickAndWait(`form[action="/commission/sessions"] button`)
	if got := b.Text(".flash"); got != "La session de la commission est créée." {
		t.Fatalf("after creating the session: %q", got)
	}
	b.Run(chromedp.SetValue(`#autoevaluation`, fmt.Sprint(brest), chromedp.ByQuery))
	b.ClickAndWait(`form[action$="/ordre-du-jour"] button`)
	if got := b.Text(".flash"); got != "Le dossier est inscrit à l'ordre du jour." {
		t.Fatalf("after the agenda: %q", got)
	}
	p := fmt.Sprintf("d%d-", brest)
	b.Run(chromedp.Click(`#`+p+`resultat-ajourne`, chromedp.ByQuery), chromedp.SendKeys(`#`+p+`motifs`, "Deux écarts.", chromedp.ByQuery))
	b.ClickAndWait(`form[action$="/decisions"] button`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Indiquez les conditions à remplir") || !strings.Contains(got, "Indiquez le délai") {
		t.Fatalf("error summary = %q", got)
	}
	b.Run(chromedp.Click(`#`+p+`resultat-labellise`, chromedp.ByQuery), chromedp.SetValue(`#`+p+`motifs`, "Démarche aboutie ; écarts couverts par le plan.", chromedp.ByQuery))
	b.ClickAndWait(`form[action$="/decisions"] button`)
	if got := b.Text(".flash"); !strings.HasPrefix(got, "La décision est enregistrée") {
		t.Fatalf("after the decision: %q", got)
	}
	if a, _ := app.Store.Autoevaluation(t.Context(), domain.Visibility{All: true}, brest); a.Etat != demarche.Decidee {
		t.Errorf("Brest's state = %s", a.Etat)
	}
	if got := b.Text("main article"); !strings.Contains(got, "Labellisé") || !strings.Contains(got, "Corriger cette décision") {
		t.Errorf("the agenda after the decision:\n%s", got)
	}
	for _, to := range []string{"directeur@ml-brest.demo", referent} {
		if bodies := app.Outbox(t, to); len(bodies) == 0 || !strings.Contains(bodies[len(bodies)-1], "Labellisé") {
			t.Errorf("%s was not told: %v", to, bodies)
		}
	}
	b.Visit("/registre")
	end := domain.FrenchDate(today.AddDate(3, 0, 0))
	rows := b.Text("main table tbody")
	for _, want := range []string{"Mission Locale du Pays de Brest\tBretagne\tLabellisée\t" + domain.FrenchDate(today) + "\t" + end,
		"Mission Locale du Pays de Cornouaille\tBretagne\tLabellisée, expire bientôt", "Mission Locale de Lyon\tAuvergne-Rhône-Alpes\tNon labellisée"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the register lacks %q:\n%s", want, rows)
		}
	}
	if bodies := app.Outbox(t, "directeur@ml-quimper.demo"); len(bodies) == 0 || !strings.Contains(bodies[len(bodies)-1], "expire le") {
		t.Errorf("Quimper's reminder: %v", bodies)
	}
	b.Run(chromedp.SetValue(`#region`, fmt.Sprint(f.Regions["ARA"]), chromedp.ByQuery))
	b.ClickAndWait(`main form.search button`)
	if got := b.Text("main table tbody"); strings.Contains(got, "Brest") || !strings.Contains(got, "Lyon") {
		t.Errorf("the register of ARA:\n%s", got)
	}
	b.CheckPhoneWidth()
}
