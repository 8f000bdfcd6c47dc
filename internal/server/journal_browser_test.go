package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/browsertest"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/journal"
)

// TestBrowserJournal: a director opens the ML's journal from its page and
// filters it; the national team pages through the national journal.
func TestBrowserJournal(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	rennes := fmt.Sprintf("/reseau/structures/%d", app.Fixture.Structures["ML-RENNES"])

	b := browsertest.New(t, app.URL)
	b.Login("directeur@ml-rennes.demo", demo.Password)
	b.Visit(rennes)
	b.ClickAndWait(`a[href="` + rennes + `/journal"]`)
	if got := b.Text("h1"); !strings.HasPrefix(got, "Journal de ") {
		t.Fatalf("journal page: %q", got)
	}
	b.Run(chromedp.SetValue("#action", journal.ActCotationSaved, chromedp.ByQuery))
	b.ClickAndWait(`main form.filters button[type="submit"]`)
	if got := b.Text("table.data tbody"); !strings.Contains(got, " a coté ") || strings.Contains(got, "s'est connecté") {
		t.Fatalf("filtered on cotations: %q", got)
	}
	// A date the filter cannot read is said, at the field.
	b.Visit(rennes + "/journal?du=hier")
	if got := b.Text(".error-summary"); !strings.Contains(got, "Du : Saisissez une date") {
		t.Fatalf("bad date: %q", got)
	}

	pole := browsertest.New(t, app.URL)
	pole.Login("pole@unml.demo", demo.Password)
	pole.Visit("/")
	pole.ClickAndWait(`nav a[href="/journal"]`)
	first := pole.Text("table.data tbody tr td")
	pole.ClickAndWait(`a[href*="avant="]`)
	if got := pole.Text("table.data tbody tr td"); got == first || got == "" {
		t.Fatalf("the next page starts at entry %q, the first at %q", got, first)
	}
	pole.ClickAndWait(`nav[aria-label="Pages du journal"] a[href="/journal?"]`)
	if got := pole.Text("table.data tbody tr td"); got != first {
		t.Fatalf("back to the latest: entry %q, want %q", got, first)
	}
}
