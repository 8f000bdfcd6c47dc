package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/browsertest"
	"github.com/unml/cadre/internal/demo"
)

func strID(id int64) string { return strconv.FormatInt(id, 10) }

// latestReferentiel is the id of the version the campaign form proposes.
func latestReferentiel(t *testing.T, app *apptest.App) string {
	t.Helper()
	refs, err := app.Store.ListReferentiels(t.Context())
	if err != nil || len(refs) == 0 {
		t.Fatalf("référentiels: %v, %v", refs, err)
	}
	return strID(refs[0].ID)
}

func countCampagnes(t *testing.T, app *apptest.App) int {
	t.Helper()
	var n int
	if err := app.Pool.QueryRow(t.Context(), "SELECT count(*) FROM campagnes").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateCampagneForm(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, "pole@unml.demo")
	ref := latestReferentiel(t, app)
	before := countCampagnes(t, app)

	// Refused: each error in the summary, what was typed kept, nothing written.
	resp, body := app.PostForm(t, "/campagnes/nouvelle", url.Values{"nom": {"  "}, "referentiel": {ref},
		"ouverture": {"2027-01-10"}, "cloture": {"05/01/2027"}, "structures": {strID(app.Fixture.Structures["ML-LYON"])}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("invalid form: %d", resp.StatusCode)
	}
	for _, want := range []string{
		"Le formulaire contient 2 erreurs",
		`href="#nom">Nom de la campagne : Le nom de la campagne est obligatoire.`,
		`href="#cloture">Date de clôture : La date de clôture doit être le jour de l&#39;ouverture ou après.`,
		`value="2027-01-10"`, `value="2027-01-05"`,
		`value="` + strID(app.Fixture.Structures["ML-LYON"]) + `" checked`,
		`value="` + strID(app.Fixture.Structures["ML-RENNES"]) + `">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused form lacks %s", want)
		}
	}
	// An ML that does not exist is the choice's error, linked from the summary.
	resp, body = app.PostForm(t, "/campagnes/nouvelle", url.Values{"nom": {"Campagne"}, "referentiel": {ref},
		"ouverture": {"2027-01-10"}, "cloture": {"2027-03-10"}, "structures": {"999999", "x"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `href="#structures">Missions Locales concernées : `) {
		t.Errorf("unknown ML: %d\n%s", resp.StatusCode, body)
	}
	if n := countCampagnes(t, app); n != before {
		t.Fatalf("refused forms wrote %d campaigns", n-before)
	}

	// Nothing checked: every ML.
	resp, _ = app.PostForm(t, "/campagnes/nouvelle", url.Values{"nom": {"Campagne nationale"}, "referentiel": {ref},
		"ouverture": {"2027-01-10"}, "cloture": {"2027-03-10"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/campagnes/") {
		t.Fatalf("valid form: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := app.Get(t, resp.Header.Get("Location"))
	for _, want := range []string{"Campagne « Campagne nationale » créée.", "Mission Locale de Lyon", "Mission Locale du Pays de Brest", "Ouvrir la campagne",
		"Délai d'observations sur le rapport d'audit</dt><dd>15 jours"} {
		if !strings.Contains(page, want) {
			t.Errorf("the new campaign's page lacks %q", want)
		}
	}

	// The audit's delay for observations is the campaign's: 1 to 120 days.
	before = countCampagnes(t, app)
	for _, bad := range []string{"0", "121", "quinze"} {
		resp, body = app.PostForm(t, "/campagnes/nouvelle", url.Values{"nom": {"Campagne au délai " + bad}, "referentiel": {ref},
			"ouverture": {"2027-01-10"}, "cloture": {"2027-03-10"}, "delai_observations": {bad}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Indiquez un délai d&#39;observations de 1 à 120 jours.") {
			t.Errorf("delay %q: %d", bad, resp.StatusCode)
		}
	}
	if n := countCampagnes(t, app); n != before {
		t.Fatalf("refused delays wrote %d campaigns", n-before)
	}
	resp, _ = app.PostForm(t, "/campagnes/nouvelle", url.Values{"nom": {"Campagne au délai de 30 jours"}, "referentiel": {ref},
		"ouverture": {"2027-01-10"}, "cloture": {"2027-03-10"}, "delai_observations": {"30"}})
	if _, page = app.Get(t, resp.Header.Get("Location")); !strings.Contains(page, "<dd>30 jours</dd>") {
		t.Errorf("the campaign's delay of 30 days is not on its page")
	}
}

func TestOpenCampagneTwice(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, "pole@unml.demo")
	resp, _ := app.PostForm(t, "/campagnes/nouvelle", url.Values{"nom": {"Campagne bretonne"}, "referentiel": {latestReferentiel(t, app)},
		"ouverture": {"2027-01-10"}, "cloture": {"2027-03-10"},
		"structures": {strID(app.Fixture.Structures["ML-RENNES"]), strID(app.Fixture.Structures["ML-BREST"])}})
	campagne := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	resp, _ = app.PostForm(t, campagne+"/ouvrir", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != campagne {
		t.Fatalf("open: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := app.Get(t, campagne)
	if !strings.Contains(page, "Campagne ouverte : 2 auto-évaluations créées.") || strings.Contains(page, `action="`+campagne+`/ouvrir"`) {
		t.Errorf("after opening, the page shows:\n%s", page)
	}
	if strings.Count(page, `">En cours<span class="visually-hidden">`) != 2 || strings.Contains(page, "Mission Locale de Lyon") {
		t.Errorf("the MLs and their state after opening:\n%s", page)
	}
	resp, page = app.PostForm(t, campagne+"/ouvrir", nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "La campagne « Campagne bretonne » est déjà ouverte") {
		t.Errorf("second opening: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := app.Get(t, "/campagnes/999999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown campaign: %d", resp.StatusCode)
	}
	if resp, _ := app.PostForm(t, "/campagnes/999999/ouvrir", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("opening an unknown campaign: %d", resp.StatusCode)
	}
	_, list := app.Get(t, "/campagnes")
	if !strings.Contains(list, ">Campagne bretonne</a>") || !strings.Contains(list, "0 sur 2") {
		t.Errorf("the list lacks the campaign or its count:\n%s", list)
	}

	// The director of an ML concerned sees none of it.
	director := apptest.NewClient(t)
	app.LoginClient(t, director, "directeur@ml-rennes.demo")
	for _, p := range []string{"/campagnes", campagne, "/campagnes/nouvelle"} {
		resp, err := director.Get(app.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("director on %s: %d", p, resp.StatusCode)
		}
	}
}

func TestBrowserPoleCreatesAndOpensACampaign(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)
	b.Login("pole@unml.demo", demo.Password)
	b.Visit("/campagnes")
	headerOnOneLine(t, b) // the national team has the longest menu
	if got := b.Text("h1"); got != "Campagnes" {
		t.Fatalf("h1 = %q", got)
	}
	b.ClickAndWait(`main a[href="/campagnes/nouvelle"]`)
	lyon := "#structure-" + strID(app.Fixture.Structures["ML-LYON"])
	var allChecked bool
	b.Eval(`[...document.querySelectorAll('input[name="structures"]')].every(c => c.checked)`, &allChecked)
	if !allChecked {
		t.Error("the MLs are not all checked at first")
	}

	// No name, and a closing before the opening.
	b.Eval(`document.querySelector('#ouverture').value = '2027-01-10'; document.querySelector('#cloture').value = '2027-01-05'`, nil)
	b.Run(chromedp.Click(lyon, chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	summary := b.Text(".error-summary")
	for _, want := range []string{"Le formulaire contient 2 erreurs", "Nom de la campagne : Le nom de la campagne est obligatoire.",
		"Date de clôture : La date de clôture doit être le jour de l'ouverture ou après."} {
		if !strings.Contains(summary, want) {
			t.Errorf("error summary %q lacks %q", summary, want)
		}
	}
	var lyonChecked bool
	b.Eval(`document.querySelector('`+lyon+`').checked`, &lyonChecked)
	if lyonChecked {
		t.Error("the refused form checked Lyon again")
	}

	b.Run(chromedp.SendKeys("#nom", "Campagne pilote 2027", chromedp.ByQuery))
	b.Eval(`document.querySelector('#cloture').value = '2027-06-30'`, nil)
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".flash"); !strings.HasPrefix(got, "Campagne « Campagne pilote 2027 » créée.") {
		t.Fatalf("flash = %q at %s", got, b.Location())
	}
	if got := b.Text("dl.facts"); !strings.Contains(got, "10/01/2027") || !strings.Contains(got, "30/06/2027") || !strings.Contains(got, "En préparation") {
		t.Errorf("facts = %q", got)
	}
	table := b.Text("#missions-locales + .table-scroll table")
	if strings.Contains(table, "Lyon") || !strings.Contains(table, "Mission Locale du Pays de Brest") || !strings.Contains(table, "créée à l'ouverture") {
		t.Errorf("MLs before opening: %q", table)
	}

	// Opening goes through a confirmation page that says what happens.
	b.ClickAndWait(`main a[href$="/ouvrir"]`)
	if got := b.Text("main"); !strings.Contains(got, "Ouvrir la campagne « Campagne pilote 2027 » ?") || !strings.Contains(got, "Chacune des 3 Missions Locales") {
		t.Errorf("confirmation page: %s", got)
	}
	b.ClickAndWait(`form[action$="/ouvrir"] button`)
	if got := b.Text(".flash"); got != "Campagne ouverte : 3 auto-évaluations créées." {
		t.Errorf("flash = %q", got)
	}
	table = b.Text("#missions-locales + .table-scroll table")
	if strings.Count(table, "En cours") != 3 || !strings.Contains(table, "Bretagne") {
		t.Errorf("MLs after opening: %q", table)
	}
	var links int
	b.Eval(`document.querySelectorAll('#missions-locales + .table-scroll table a[href^="/autoevaluations/"]').length`, &links)
	if links != 3 {
		t.Errorf("%d links to the auto-évaluations, want 3", links)
	}
	if got := b.Text("dl.facts"); !strings.Contains(got, "Ouverte") || !strings.Contains(got, "0 sur 3") {
		t.Errorf("facts after opening = %q", got)
	}
	b.ClickAndWait(`main a[href="/campagnes"]`)
	if got := b.Text("main table"); !strings.Contains(got, "Campagne pilote 2027") {
		t.Errorf("the list lacks the new campaign: %q", got)
	}
}
