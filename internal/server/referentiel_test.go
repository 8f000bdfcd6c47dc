package server_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/browsertest"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/referentiel"
	refdata "github.com/unml/cadre/referentiel"
)

func embeddedCadreCommun(t *testing.T) *referentiel.Referentiel {
	t.Helper()
	refs, err := referentiel.ParseFS(refdata.Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		if r.Code == referentiel.DefaultCode {
			return r
		}
	}
	t.Fatal("no cadre commun")
	return nil
}

// The page shows every assessable item of the file, word for word, with its anchor;
// the file itself is checked word for word against the seed in internal/referentiel.
func TestReferentielPageShowsEveryItem(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, "contributeur@ml-rennes.demo")
	resp, body := app.Get(t, "/referentiel")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /referentiel = %d", resp.StatusCode)
	}
	text := html.UnescapeString(body)
	r := embeddedCadreCommun(t)
	items := r.Items()
	if len(items) < 100 {
		t.Fatalf("only %d items: the check would prove little", len(items))
	}
	for _, it := range items {
		if !strings.Contains(text, it.Texte) {
			t.Errorf("%s: text missing from the page: %q", it.Code, it.Texte)
		}
		for _, p := range it.Precisions {
			if !strings.Contains(text, p) {
				t.Errorf("%s: précision missing: %q", it.Code, p)
			}
		}
		if !strings.Contains(body, `id="`+it.Code+`"`) {
			t.Errorf("%s: no anchor", it.Code)
		}
	}
	for _, vo := range r.Volets {
		for _, f := range vo.Fonctions {
			if f.Finalite != "" && !strings.Contains(text, f.Finalite) {
				t.Errorf("%s: finalité missing", f.Code)
			}
			if len(f.Ressources) > 0 && strings.Count(body, `<th scope="col">`) < 5 {
				t.Errorf("%s: resource table lacks its five volet columns", f.Code)
			}
		}
	}
}

func TestReferentielSearch(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, "referent@bretagne.demo")
	resp, body := app.Get(t, "/referentiel?q=equipe")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search = %d", resp.StatusCode)
	}
	text := html.UnescapeString(body)
	if !strings.Contains(text, "Des équipes formées à la conduite d'actions « pour aller vers les jeunes ».") {
		t.Error("the search for equipe does not show an item with « équipes »")
	}
	if strings.Contains(text, "Un référent « communication » jeunes identifiés.") {
		t.Error("the search shows an item without the word")
	}
	if !strings.Contains(text, "correspondent à « equipe »") {
		t.Error("the page does not say how many items match")
	}

	resp, body = app.Get(t, "/referentiel?q="+url.QueryEscape("motintrouvable"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(html.UnescapeString(body), "Aucun élément ne correspond") {
		t.Errorf("empty search = %d without the French message", resp.StatusCode)
	}
	resp, body = app.Get(t, "/referentiel?q="+strings.Repeat("a", 101))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "limitée à 100 caractères") {
		t.Errorf("overlong search = %d without the French message", resp.StatusCode)
	}
}

func TestReferentielVersions(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, "auditeur@unml.demo")
	if resp, _ := app.Get(t, "/referentiel/cadre-commun/2018"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /referentiel/cadre-commun/2018 = %d", resp.StatusCode)
	}
	for _, path := range []string{"/referentiel/cadre-commun/1999", "/referentiel/inconnu/2018"} {
		if resp, _ := app.Get(t, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestBrowserReferentiel(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)
	b.Login("directeur@ml-lyon.demo", demo.Password)
	b.Visit("/referentiel")
	b.Run(chromedp.SendKeys("#q", "équipe", chromedp.ByQuery))
	b.ClickAndWait(`form[role="search"] button[type="submit"]`)
	if loc := b.Location(); loc != "/referentiel?q=%C3%A9quipe" {
		t.Errorf("search went to %q", loc)
	}
	if got := b.Text(".search-result"); !strings.HasSuffix(got, "éléments correspondent à « équipe ».") {
		t.Errorf("search result = %q", got)
	}
	var shown int
	b.Eval(`document.querySelectorAll("li.item").length`, &shown)
	if shown < 1 || shown > 10 {
		t.Errorf("%d items shown for « équipe »", shown)
	}
	// Clearing the search brings the whole document back, with its table of contents.
	b.ClickAndWait(`form[role="search"] a`)
	b.Run(chromedp.Click(`nav.toc a[href="#F3"]`, chromedp.ByQuery))
	var hash string
	b.Eval(`location.hash`, &hash)
	if got := b.Text("#F3"); hash != "#F3" || !strings.Contains(got, "Orienter") {
		t.Errorf("the table of contents led to %q, heading %q", hash, got)
	}
}
