package server_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/browsertest"
	"github.com/unml/cadre/internal/demo"
)

// linkPath finds the path of a link to prefix in an email body.
func linkPath(t *testing.T, body, prefix string) string {
	t.Helper()
	m := regexp.MustCompile(`https?://[^/\s]+(` + regexp.QuoteMeta(prefix) + `[A-Za-z0-9]+)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s link in the email:\n%s", prefix, body)
	}
	return m[1]
}

func TestBrowserLoginAndLogout(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)
	// A page asked for before signing in is shown after it.
	b.Visit("/compte")
	if loc := b.Location(); !strings.HasPrefix(loc, "/connexion?suite=") {
		t.Fatalf("a visitor asking for /compte landed on %q", loc)
	}
	b.Run(chromedp.SendKeys("#email", "directeur@ml-rennes.demo", chromedp.ByQuery), chromedp.SendKeys("#password", demo.Password, chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if loc := b.Location(); loc != "/compte" {
		t.Fatalf("after login: %q, want /compte", loc)
	}
	if got := b.Text("dl.facts"); !strings.Contains(got, "directeur@ml-rennes.demo") {
		t.Errorf("account page shows %q", got)
	}
	b.Visit("/")
	if got := b.Text("h1"); got != "Bonjour Yann Rennes" {
		t.Errorf("dashboard h1 = %q", got)
	}
	if got := b.Text("main"); !strings.Contains(got, "Mission Locale du bassin d'emploi de Rennes") {
		t.Errorf("the dashboard does not show the director's ML:\n%s", got)
	}
	b.ClickAndWait(`header form[action="/deconnexion"] button`)
	if got := b.Text(".flash"); got != "Vous êtes déconnecté·e." || b.Location() != "/connexion" {
		t.Errorf("after logout: %q at %q", got, b.Location())
	}
	b.Visit("/")
	if loc := b.Location(); loc != "/connexion" {
		t.Errorf("after logout, / leads to %q", loc)
	}

	// Wrong password: a French error summary, and the same for an unknown account.
	for _, email := range []string{"directeur@ml-rennes.demo", "personne@nulle-part.demo"} {
		b.Visit("/connexion")
		b.Run(chromedp.SendKeys("#email", email, chromedp.ByQuery), chromedp.SendKeys("#password", "mauvais mot de passe", chromedp.ByQuery))
		b.ClickAndWait(`main form button[type="submit"]`)
		if got := b.Text(".error-summary"); !strings.Contains(got, "Adresse électronique ou mot de passe incorrect.") {
			t.Errorf("%s: error summary = %q", email, got)
		}
	}
}

func TestBrowserThrottlingMessage(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)
	for i := range 6 {
		b.Visit("/connexion")
		b.Run(chromedp.SendKeys("#email", "contributeur@ml-rennes.demo", chromedp.ByQuery), chromedp.SendKeys("#password", "essai numéro "+strconv.Itoa(i), chromedp.ByQuery))
		b.ClickAndWait(`main form button[type="submit"]`)
	}
	if got := b.Text(".error-summary"); !strings.Contains(got, "Trop de tentatives de connexion ont échoué") {
		t.Fatalf("after 6 failures: %q", got)
	}
	// Even the right password waits now.
	b.Visit("/connexion")
	b.Run(chromedp.SendKeys("#email", "contributeur@ml-rennes.demo", chromedp.ByQuery), chromedp.SendKeys("#password", demo.Password, chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "attendez 15 minutes") {
		t.Errorf("right password while throttled: %q", got)
	}
}

func TestBrowserInvitationAcceptance(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)
	b.Login("directeur@ml-rennes.demo", demo.Password)
	b.Visit("/reseau/structures/" + strconv.FormatInt(app.Fixture.Structures["ML-RENNES"], 10))
	// An invalid address first: the error summary links to the field.
	b.Run(chromedp.SendKeys("#email", "pas-une-adresse", chromedp.ByQuery))
	b.ClickAndWait(`form[action$="/equipe"] button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Adresse électronique : Saisissez une adresse électronique valide") {
		t.Fatalf("error summary = %q", got)
	}
	b.Run(chromedp.Clear("#email", chromedp.ByQuery), chromedp.SendKeys("#email", "nouvelle.recrue@ml-rennes.demo", chromedp.ByQuery),
		chromedp.SendKeys("#nom", "Nouvelle Recrue", chromedp.ByQuery))
	b.ClickAndWait(`form[action$="/equipe"] button[type="submit"]`)
	if got := b.Text(".flash"); got != "Invitation envoyée à nouvelle.recrue@ml-rennes.demo." {
		t.Fatalf("flash = %q", got)
	}
	if got := b.Text("#equipe + .table-scroll table"); !strings.Contains(got, "invitation envoyée") {
		t.Errorf("team table = %q", got)
	}
	b.ClickAndWait(`header form[action="/deconnexion"] button`)

	mails := app.Outbox(t, "nouvelle.recrue@ml-rennes.demo")
	if len(mails) != 1 {
		t.Fatalf("%d emails to the invited person, want 1", len(mails))
	}
	link := linkPath(t, mails[0], "/invitation/")
	b.Visit(link)
	b.Run(chromedp.SendKeys("#password", "azertyuiop123", chromedp.ByQuery), chromedp.SendKeys("#confirm", "azertyuiop123", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "mots de passe les plus courants") {
		t.Fatalf("a common password was not refused: %q", got)
	}
	b.Run(chromedp.SendKeys("#password", "un jardin sous la pluie", chromedp.ByQuery), chromedp.SendKeys("#confirm", "un jardin sous la pluie", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text("h1"); got != "Bonjour Nouvelle Recrue" {
		t.Fatalf("after activation: h1 %q at %s", got, b.Location())
	}
	// The link works once.
	b.ClickAndWait(`header form[action="/deconnexion"] button`)
	b.Visit(link)
	if got := b.Text("h1"); got != "Page introuvable" {
		t.Errorf("a used invitation link shows %q", got)
	}
	b.Login("nouvelle.recrue@ml-rennes.demo", "un jardin sous la pluie")
	if got := b.Text("h1"); got != "Bonjour Nouvelle Recrue" {
		t.Errorf("login with the chosen password: %q", got)
	}
}

func TestBrowserPasswordResetThroughTheOutbox(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)
	b.Visit("/connexion")
	b.ClickAndWait(`a[href="/mot-de-passe-oublie"]`)
	b.Run(chromedp.SendKeys("#email", "Directeur@ML-Brest.demo ", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".flash"); !strings.HasPrefix(got, "Si un compte actif correspond à cette adresse") {
		t.Fatalf("confirmation = %q", got)
	}

	// The platform admin sees in the outbox that the email waits, but not its
	// link: only its recipient may use it.
	b.Login("admin@cadre.demo", demo.Password)
	b.Visit("/admin/outbox")
	headerOnOneLine(t, b)
	b.ClickAndWait(`main table a`)
	if shown := b.Text("pre.mail"); strings.Contains(shown, "/mot-de-passe/") || !strings.Contains(shown, "[lien personnel à usage unique, masqué]") {
		t.Fatalf("the outbox shows the reset link to the admin:\n%s", shown)
	}
	b.ClickAndWait(`header form[action="/deconnexion"] button`)

	// The director opens the link of their own mailbox.
	mails := app.Outbox(t, "directeur@ml-brest.demo")
	link := linkPath(t, mails[len(mails)-1], "/mot-de-passe/")

	b.Visit(link)
	b.Run(chromedp.SendKeys("#password", "le phare du petit minou", chromedp.ByQuery), chromedp.SendKeys("#confirm", "le phare du petit minoux", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "ne sont pas identiques") {
		t.Fatalf("mismatch: %q", got)
	}
	b.Run(chromedp.SendKeys("#password", "le phare du petit minou", chromedp.ByQuery), chromedp.SendKeys("#confirm", "le phare du petit minou", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".flash"); !strings.HasPrefix(got, "Votre mot de passe est modifié") {
		t.Fatalf("after reset: %q", got)
	}
	b.Login("directeur@ml-brest.demo", "le phare du petit minou")
	if got := b.Text("h1"); got != "Bonjour Gwen Brest" {
		t.Errorf("login with the new password: %q", got)
	}
}

func TestBrowserDirectorCannotSeeAnotherML(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)
	b.Login("directeur@ml-brest.demo", demo.Password)
	b.Visit("/reseau")
	got := b.Text("main")
	if !strings.Contains(got, "Mission Locale du Pays de Brest") || strings.Contains(got, "Rennes") || strings.Contains(got, "Lyon") {
		t.Errorf("the Brest director's network page shows:\n%s", got)
	}
	for _, path := range []string{
		"/reseau/structures/" + strconv.FormatInt(app.Fixture.Structures["ML-RENNES"], 10),
		"/reseau/structures/" + strconv.FormatInt(app.Fixture.Structures["ML-LYON"], 10),
		"/reseau/regions/" + strconv.FormatInt(app.Fixture.Regions["BRE"], 10),
	} {
		b.Visit(path)
		if h := b.Text("h1"); h != "Page introuvable" {
			t.Errorf("%s shows %q to the Brest director", path, h)
		}
	}
	b.Visit("/reseau/structures/" + strconv.FormatInt(app.Fixture.Structures["ML-BREST"], 10))
	if h := b.Text("h1"); h != "Mission Locale du Pays de Brest" {
		t.Errorf("own ML page h1 = %q", h)
	}
}

func TestBrowserNationalTeamManagesTheNetwork(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)
	b.Login("pole@unml.demo", demo.Password)
	b.Visit("/reseau")
	b.ClickAndWait(`a[href="/reseau/regions/nouvelle"]`)
	b.Run(chromedp.SendKeys("#code", "nouvelle région", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "2 erreurs") {
		t.Fatalf("error summary = %q", got)
	}
	b.Run(chromedp.Clear("#code", chromedp.ByQuery), chromedp.SendKeys("#code", "NAQ", chromedp.ByQuery), chromedp.SendKeys("#nom", "Nouvelle-Aquitaine", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text("h1"); got != "Nouvelle-Aquitaine" {
		t.Fatalf("after creating a région: %q", got)
	}
	b.ClickAndWait(`a[href$="/modifier"]`)

	// Move ML Brest to the new région: the move is kept in its history.
	brest := "/reseau/structures/" + strconv.FormatInt(app.Fixture.Structures["ML-BREST"], 10)
	b.Visit(brest)
	b.ClickAndWait(`a[href="` + brest + `/modifier"]`)
	var naq string
	b.Eval(`[...document.querySelectorAll("#region option")].find(o => o.textContent === "Nouvelle-Aquitaine").value`, &naq)
	b.Run(chromedp.SetValue("#region", naq, chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text("#historique + ul"); !strings.Contains(got, "Nouvelle-Aquitaine") || !strings.Contains(got, "Bretagne") {
		t.Errorf("history after the move: %q", got)
	}

	// A second siège is refused with a clear message; an antenne is created.
	b.ClickAndWait(`a[href="` + brest + `/sites/nouveau"]`)
	b.Run(chromedp.SendKeys("#code", "BREST-ANT-2", chromedp.ByQuery), chromedp.SendKeys("#nom", "Antenne de Morlaix", chromedp.ByQuery),
		chromedp.SetValue("#kind", "siege", chromedp.ByQuery), chromedp.SendKeys("#commune", "Morlaix", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "a déjà un siège") {
		t.Fatalf("second siège: %q", got)
	}
	b.Run(chromedp.SetValue("#kind", "antenne", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text("#sites + .table-scroll table"); !strings.Contains(got, "Antenne de Morlaix") {
		t.Errorf("sites after creation: %q", got)
	}
	b.ClickAndWait(`a[href^="/reseau/sites/"]`)

	b.Visit("/reseau/structures/nouvelle")
	b.Visit("/utilisateurs")
	var regionID string
	b.Eval(`[...document.querySelectorAll("#region option")].find(o => o.textContent === "Bretagne").value`, &regionID)
	b.Run(chromedp.SendKeys("#email", "referente2@bretagne.demo", chromedp.ByQuery), chromedp.SetValue("#role", "referent_arml", chromedp.ByQuery),
		chromedp.SetValue("#region", regionID, chromedp.ByQuery))
	b.ClickAndWait(`form[action="/utilisateurs/inviter"] button[type="submit"]`)
	if got := b.Text(".flash"); got != "Invitation envoyée à referente2@bretagne.demo." {
		t.Errorf("national invitation: %q", got)
	}
}
