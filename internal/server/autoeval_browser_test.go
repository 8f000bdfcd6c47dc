package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/browsertest"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/domain"
)

// TestBrowserDirectorRatesAndSubmits: the Rennes director rates a whole fonction
// with the script (each change saves itself), another without it (one form), fills
// the rest from last year, resolves the checklist and submits.
func TestBrowserDirectorRatesAndSubmits(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	id := app.Fixture.Autoevaluations["ML-RENNES/2026"]
	base := fmt.Sprintf("/autoevaluations/%d", id)
	b := browsertest.New(t, app.URL)
	b.Login("directeur@ml-rennes.demo", demo.Password)
	if got := b.Text("main table"); !strings.Contains(got, "Auto-évaluation 2026") {
		t.Fatalf("the director's home page lacks the campaign:\n%s", got)
	}
	b.ClickAndWait(`main table a[href="` + base + `"]`)
	b.ClickAndWait(`a[href="` + base + `/sections/F5"]`)

	// With JavaScript: click a rating per item; each saves itself.
	var codes []string
	b.Eval(`[...document.querySelectorAll("[data-item]")].map(e => e.dataset.item)`, &codes)
	if len(codes) == 0 {
		t.Fatal("no items on the F5 page")
	}
	for i, code := range codes {
		b.Run(chromedp.Click(`[data-item="`+code+`"] input[value="`+fmt.Sprint(1+i%4)+`"] + label`, chromedp.ByQuery))
	}
	// The empty comment is one click away.
	b.Run(chromedp.Click(`[data-item="`+codes[0]+`"] details.comment summary`, chromedp.ByQuery))
	b.Run(chromedp.SendKeys(`textarea[name="commentaire-`+codes[0]+`"]`, "Rencontres employeurs mensuelles.", chromedp.ByQuery))
	deadline := time.Now().Add(15 * time.Second)
	for {
		var saved int
		b.Eval(`[...document.querySelectorAll(".save-status")].filter(e => e.textContent === "Enregistré").length`, &saved)
		if saved == len(codes) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d items show « Enregistré »", saved, len(codes))
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.CheckAccessibility()
	answers, _ := app.Store.Cotations(t.Context(), app.Fixture.Structures["ML-RENNES"], id)
	for i, code := range codes {
		if answers[code].Valeur != 1+i%4 {
			t.Errorf("%s saved as %+v, want %d", code, answers[code].Cotation, 1+i%4)
		}
	}
	if answers[codes[0]].Commentaire != "Rencontres employeurs mensuelles." {
		t.Errorf("comment saved as %q", answers[codes[0]].Commentaire)
	}

	// Without JavaScript (the page's script is blocked): one form for the page,
	// a 303 back to it.
	b.Run(network.Enable(), network.SetBlockedURLs([]string{"*/cadre.js"}))
	b.Visit(base + "/sections/F4")
	b.Eval(`[...document.querySelectorAll("[data-item]")].map(e => e.dataset.item)`, &codes)
	for _, code := range codes {
		b.Run(chromedp.Click(`[data-item="`+code+`"] input[value="3"] + label`, chromedp.ByQuery))
	}
	var busy int
	b.Eval(`[...document.querySelectorAll(".save-status")].filter(e => e.textContent !== "").length`, &busy)
	if busy != 0 {
		t.Fatalf("the script still runs: %d items show a save status", busy)
	}
	// A "non concerné" without justification is refused, and nothing is saved.
	b.Run(chromedp.Click(`[data-item="`+codes[0]+`"] input[value="nc"] + label`, chromedp.ByQuery))
	b.ClickAndWait(`form.rating-form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Justifiez « non concerné »") {
		t.Fatalf("error summary = %q", got)
	}
	b.Run(chromedp.SendKeys(`textarea[name="justification-`+codes[0]+`"]`, "Porté par la plateforme départementale.", chromedp.ByQuery))
	b.ClickAndWait(`form.rating-form button[type="submit"]`)
	if got := b.Text(".flash"); !strings.HasSuffix(got, "éléments enregistrés.") {
		t.Fatalf("after saving the page: %q", got)
	}
	answers, _ = app.Store.Cotations(t.Context(), app.Fixture.Structures["ML-RENNES"], id)
	if !answers[codes[0]].NonConcerne || answers[codes[1]].Valeur != 3 {
		t.Errorf("F4 saved as %+v, %+v", answers[codes[0]].Cotation, answers[codes[1]].Cotation)
	}

	// The checklist lists what is left; last year's answers fill it; submit.
	b.Visit(base + "/soumission")
	if got := b.Text("main"); !strings.Contains(got, "Avant de soumettre, complétez ces") {
		t.Fatalf("checklist: %s", got)
	}
	b.ClickAndWait(`main a[href^="` + base + `/sections/"]`)
	b.Visit(base)
	b.ClickAndWait(`main a[href="` + base + `/reprise"]`)
	if got := b.Text("h1"); got != "Reprendre les réponses de la campagne précédente ?" {
		t.Fatalf("copy confirmation: %q", got)
	}
	b.ClickAndWait(`form[action="` + base + `/reprise"] button`)
	b.Visit(base + "/soumission")
	if got := b.Text("main"); !strings.Contains(got, "Tous les éléments sont cotés") {
		t.Fatalf("checklist after the copy: %s", got)
	}
	b.ClickAndWait(`main a[href="` + base + `/soumettre"]`)
	if got := b.Text("main"); !strings.Contains(got, "Soumettre l'auto-évaluation de") || !strings.Contains(got, "Aucun courriel n'est envoyé.") {
		t.Fatalf("submission confirmation: %s", got)
	}
	b.ClickAndWait(`form[action="` + base + `/soumission"] button`)
	if got := b.Text(".flash"); got != "L'auto-évaluation est soumise. Merci !" {
		t.Fatalf("after submitting: %q", got)
	}
	a, _ := app.Store.Autoevaluation(t.Context(), domain.Visibility{All: true}, id)
	if a.Etat != demarche.Soumise {
		t.Errorf("state = %s", a.Etat)
	}
	// Editing is locked: pages are read-only now.
	b.Visit(base + "/sections/F4")
	if got := b.Text(".notice"); !strings.Contains(got, "ne sont plus modifiables") {
		t.Errorf("section after submission: %q", got)
	}
	b.Visit(base + "/items/F4.R1.C1/historique")
}

// TestBrowserRatingPageHeight: the F2 fonction page (14 items) at 1280 px is at
// most 60 % of the 8,488 px it measured before the rating card's second pass.
func TestBrowserRatingPageHeight(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	base := fmt.Sprintf("/autoevaluations/%d", app.Fixture.Autoevaluations["ML-RENNES/2026"])
	b := browsertest.New(t, app.URL)
	b.Login("directeur@ml-rennes.demo", demo.Password)
	b.Visit(base + "/sections/F2")
	// Measured once the page and its stylesheet are loaded (the body is a flex box).
	deadline := time.Now().Add(20 * time.Second)
	for {
		var styled bool
		b.Eval(`document.readyState === "complete" && getComputedStyle(document.body).display === "flex"`, &styled)
		if styled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the F2 page's stylesheet did not load within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var page struct{ Items, Height int }
	b.Eval(`({Items: document.querySelectorAll("[data-item]").length, Height: document.documentElement.scrollHeight})`, &page)
	var vw int
	b.Eval(`window.innerWidth`, &vw)
	t.Logf("F2: %d items, %d px tall at 1280 px (viewport %d px)", page.Items, page.Height, vw)
	if page.Items != 14 {
		t.Errorf("F2 has %d items, want 14", page.Items)
	}
	if limit := 8488 * 60 / 100; page.Height > limit {
		t.Errorf("F2 is %d px tall at 1280 px, want at most %d", page.Height, limit)
	}
	headerOnOneLine(t, b)
	// On a phone the sticky bar takes at most 64 px.
	b.AtWidth(browsertest.PhoneWidth, func() {
		var bar int
		b.Eval(`Math.ceil(document.querySelector(".sticky-actions").getBoundingClientRect().height)`, &bar)
		t.Logf("sticky bar at %d px: %d px tall", browsertest.PhoneWidth, bar)
		if bar > 64 {
			t.Errorf("the sticky bar is %d px tall on a phone, want at most 64", bar)
		}
	})
}

// headerOnOneLine fails the test when the header's parts (brand, menu, account)
// do not sit side by side on one line at the window's width (1280 px).
func headerOnOneLine(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	var oneLine bool
	b.Eval(`(() => {
		const parts = [...document.querySelector(".header-inner").children].map(e => e.getBoundingClientRect());
		return Math.max(...parts.map(r => r.top)) < Math.min(...parts.map(r => r.bottom));
	})()`, &oneLine)
	if !oneLine {
		t.Errorf("the header wraps at 1280 px on %s", b.Location())
	}
}
