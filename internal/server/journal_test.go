package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/journal"
)

// journalled is an entry as TestAuthorizationMatrix checks it.
type journalled struct{ Action, ObjectType, ObjectID string }

// requestEntries returns the journal entries of one request.
func requestEntries(t *testing.T, app *apptest.App, requestID string) []journalled {
	t.Helper()
	rows, err := app.Pool.Query(t.Context(), "SELECT action, object_type, object_id FROM journal WHERE request_id = $1 ORDER BY seq", requestID)
	if err != nil {
		t.Fatal(err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[journalled])
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// checkJournalled is the journal's half of every request of the authorization
// matrix: a request that wrote rows must have journalled (a route that writes
// without journalling fails here), at most once per object changed and
// action; a refused request journals nothing but a failed sign-in.
func checkJournalled(t *testing.T, app *apptest.App, resp *http.Response, what string) {
	t.Helper()
	id := resp.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatalf("%s: no X-Request-Id", what)
	}
	entries := requestEntries(t, app, id)
	writes := app.CommittedWrites(id)
	if writes > 0 && len(entries) == 0 {
		t.Errorf("%s = %d wrote %d rows and journalled nothing", what, resp.StatusCode, writes)
	}
	if len(entries) > writes+1 {
		t.Errorf("%s = %d journalled %d entries for %d rows written", what, resp.StatusCode, len(entries), writes)
	}
	seen := map[journalled]bool{}
	for _, e := range entries {
		if seen[e] {
			t.Errorf("%s journalled %+v twice: one entry per change", what, e)
		}
		seen[e] = true
		if resp.StatusCode >= 400 && e.Action != journal.ActLoginFailed {
			t.Errorf("%s = %d, refused, journalled %+v", what, resp.StatusCode, e)
		}
	}
}

// TestJournalOfSomeWrites makes real changes through HTTP and counts their
// entries: one per change, none for a change that changes nothing.
func TestJournalOfSomeWrites(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	f := app.Fixture
	count := func(resp *http.Response, want int, action string) {
		t.Helper()
		entries := requestEntries(t, app, resp.Header.Get("X-Request-Id"))
		if len(entries) != want {
			t.Errorf("%d entries %+v, want %d", len(entries), entries, want)
		}
		for _, e := range entries {
			if e.Action != action {
				t.Errorf("entry %+v, want action %s", e, action)
			}
		}
	}
	// A failed sign-in, then one that works.
	resp, _ := app.PostForm(t, "/connexion", map[string][]string{"email": {"directeur@ml-rennes.demo"}, "password": {"mauvais mot de passe"}})
	count(resp, 1, journal.ActLoginFailed)
	app.Login(t, "directeur@ml-rennes.demo")
	// Two answers of a section changed at once: two entries.
	sheet := f.Autoevaluations["ML-RENNES/2026"]
	form := map[string][]string{}
	var v1 int
	for _, code := range []string{"F1.R1.C1", "F1.R1.C2"} {
		var version, valeur int
		if err := app.Pool.QueryRow(t.Context(), `SELECT coalesce(max(c.version), 0), coalesce(max(c.valeur), 0)
			FROM cotations c JOIN referentiel_items i ON i.id = c.item_id WHERE c.autoevaluation_id = $1 AND i.code = $2`,
			sheet, code).Scan(&version, &valeur); err != nil {
			t.Fatal(err)
		}
		next := 1
		if valeur == 1 {
			next = 2
		}
		form["version-"+code], form["valeur-"+code] = []string{fmt.Sprint(version)}, []string{fmt.Sprint(next)}
		if code == "F1.R1.C1" {
			v1 = version
			form["valeur-again"] = []string{fmt.Sprint(next)}
		}
	}
	again := map[string][]string{"version-F1.R1.C1": {fmt.Sprint(v1 + 1)}, "valeur-F1.R1.C1": form["valeur-again"]}
	delete(form, "valeur-again")
	resp, body := app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/sections/F1", sheet), form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, body)
	}
	count(resp, 2, journal.ActCotationSaved)
	// The same page again changes nothing.
	resp, _ = app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/sections/F1", sheet), again)
	count(resp, 0, "")
	// A download.
	resp, _ = app.Get(t, fmt.Sprintf("/preuves/%d/telecharger", f.Preuves["ML-RENNES"]))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	count(resp, 1, journal.ActPreuveDownloaded)
	// The ML's journal says it, in French.
	resp, body = app.Get(t, fmt.Sprintf("/reseau/structures/%d/journal?action=%s", f.Structures["ML-RENNES"], journal.ActCotationSaved))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "a coté F1.R1.C2") {
		t.Errorf("journal page: %d", resp.StatusCode)
	}
	resp, _ = app.Get(t, fmt.Sprintf("/reseau/structures/%d/journal?du=hier", f.Structures["ML-RENNES"]))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad date: %d, want 400", resp.StatusCode)
	}
}
