package server_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/browsertest"
)

func TestBrowserLoginAndErrorPages(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	b := browsertest.New(t, app.URL)

	b.Visit("/connexion")
	if got := b.Text("h1"); got != "Connexion" {
		t.Errorf("h1 = %q", got)
	}
	// The first Tab lands on the skip link, which moves focus to the main content.
	var focused string
	b.Run(chromedp.KeyEvent("\t"), chromedp.Evaluate(`document.activeElement.textContent`, &focused))
	if focused != "Aller au contenu" {
		t.Errorf("first Tab focuses %q, want the skip link", focused)
	}
	b.Run(chromedp.KeyEvent("\r"))
	b.Eval(`document.activeElement.id`, &focused)
	if focused != "contenu" {
		t.Errorf("the skip link moved focus to %q, want #contenu", focused)
	}

	b.Visit("/page-inexistante")
	if got := b.Text("h1"); got != "Page introuvable" {
		t.Errorf("404 h1 = %q", got)
	}
	b.ClickAndWait(`main a[href="/"]`)
	if loc := b.Location(); loc != "/connexion" {
		t.Errorf("the 404 page's link led a visitor to %q, want the login page", loc)
	}

	b.Visit("/?q=%00")
	if got := b.Text("h1"); got != "Requête invalide" {
		t.Errorf("400 h1 = %q", got)
	}
}
