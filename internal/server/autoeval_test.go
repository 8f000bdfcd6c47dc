package server_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
)

// versionOf reads an item's version from a section page.
func versionOf(t *testing.T, page, code string) string {
	t.Helper()
	m := regexp.MustCompile(`name="version-` + regexp.QuoteMeta(code) + `" value="(\d+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no version field for %s", code)
	}
	return m[1]
}

// TestTwoSessionsOnOneItem: two people load the same item; the second save is
// refused, shows both values and who made the other change, and loses nothing.
func TestTwoSessionsOnOneItem(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	id := app.Fixture.Autoevaluations["ML-RENNES/2026"]
	section := fmt.Sprintf("/autoevaluations/%d/sections/F5", id)
	const code = "F5.R1.C1"

	director := apptest.NewClient(t)
	app.LoginClient(t, director, "directeur@ml-rennes.demo")
	app.Login(t, "contributeur@ml-rennes.demo")
	post := func(c *http.Client, valeur, comment, version string) (*http.Response, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+section, strings.NewReader(url.Values{
			"valeur-" + code: {valeur}, "commentaire-" + code: {comment}, "justification-" + code: {""}, "version-" + code: {version},
		}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		app.Client, c = c, app.Client
		defer func() { app.Client = c }()
		return app.Do(t, req)
	}
	get := func(c *http.Client) string {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, app.URL+section, nil)
		app.Client, c = c, app.Client
		defer func() { app.Client = c }()
		_, body := app.Do(t, req)
		return body
	}

	contributorPage, directorPage := get(app.Client), get(director)
	base := versionOf(t, contributorPage, code)
	if base != versionOf(t, directorPage, code) {
		t.Fatal("the two sessions see different versions")
	}
	if resp, _ := post(app.Client, "3", "Vu en comité de direction.", base); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first save = %d, want 303", resp.StatusCode)
	}
	resp, body := post(director, "1", "Pas encore organisé.", base)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("second save from the same version = %d, want 409", resp.StatusCode)
	}
	text := html.UnescapeString(body)
	for _, want := range []string{"Modifié entre-temps par Nolwenn Qualité", "Sa version : 3 — Plutôt satisfaisant", "commentaire : « Vu en comité de direction. »", "Votre saisie : 1 — Pas du tout satisfaisant", "Pas encore organisé."} {
		if !strings.Contains(text, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	saved, err := app.Store.Cotations(t.Context(), app.Fixture.Structures["ML-RENNES"], id)
	if err != nil {
		t.Fatal(err)
	}
	if got := saved[code]; got.Valeur != 3 || got.Commentaire != "Vu en comité de direction." {
		t.Fatalf("after the refused save the item holds %+v: the first change was lost", got.Cotation)
	}
	// The conflict page carries the current version: saving from it is a knowing choice.
	if resp, _ := post(director, "1", "Pas encore organisé.", versionOf(t, body, code)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save after seeing the conflict = %d, want 303", resp.StatusCode)
	}
	saved, _ = app.Store.Cotations(t.Context(), app.Fixture.Structures["ML-RENNES"], id)
	if saved[code].Valeur != 1 || saved[code].Version != 2 {
		t.Errorf("final answer %+v version %d", saved[code].Cotation, saved[code].Version)
	}
	history, _ := app.Store.CotationHistory(t.Context(), app.Fixture.Structures["ML-RENNES"], id, code)
	if len(history) != 2 || history[0].Old.Valeur != 3 || history[0].New.Valeur != 1 || history[1].Old.Valeur != 0 {
		t.Errorf("history = %+v", history)
	}

	// The script's endpoint answers the same conflict in JSON.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+fmt.Sprintf("/autoevaluations/%d/items/%s", id, code),
		strings.NewReader(url.Values{"valeur-" + code: {"4"}, "version-" + code: {base}, "commentaire-" + code: {""}, "justification-" + code: {""}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, body = app.Do(t, req)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `"status":"conflict"`) || !strings.Contains(body, "Yann Rennes") {
		t.Errorf("JSON conflict = %d %s", resp.StatusCode, body)
	}
}

func TestRatingRulesRefuseBadAnswers(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	id := app.Fixture.Autoevaluations["ML-RENNES/2026"]
	app.Login(t, "directeur@ml-rennes.demo")
	section := fmt.Sprintf("/autoevaluations/%d/sections/F5", id)
	before, _ := app.Store.Cotations(t.Context(), app.Fixture.Structures["ML-RENNES"], id)
	for _, tc := range []struct{ name, valeur, justification, want string }{
		{"non concerné without justification", "nc", "", "Justifiez « non concerné »"},
		{"value outside the scale", "7", "", "Choisissez une cotation de l'échelle."},
		{"not a number", "beaucoup", "", "Choisissez une cotation de l'échelle."},
	} {
		resp, body := app.PostForm(t, section, url.Values{"valeur-F5.R1.C1": {tc.valeur}, "justification-F5.R1.C1": {tc.justification},
			"commentaire-F5.R1.C1": {""}, "version-F5.R1.C1": {"0"}, "valeur-F5.R1.C2": {"2"}, "version-F5.R1.C2": {"0"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), tc.want) {
			t.Errorf("%s: %d, want 400 with %q", tc.name, resp.StatusCode, tc.want)
		}
	}
	after, _ := app.Store.Cotations(t.Context(), app.Fixture.Structures["ML-RENNES"], id)
	if len(after) != len(before) {
		t.Errorf("refused pages saved %d answers", len(after)-len(before))
	}
	// Brest's director cannot touch Rennes.
	other := apptest.NewClient(t)
	app.LoginClient(t, other, "directeur@ml-brest.demo")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+section, strings.NewReader(url.Values{"valeur-F5.R1.C1": {"4"}, "version-F5.R1.C1": {"0"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := other.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("Brest's director posting on Rennes = %d, want 404", resp.StatusCode)
	}
}

func TestCopyPreviousAnswers(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	id := app.Fixture.Autoevaluations["ML-RENNES/2026"]
	app.Login(t, "directeur@ml-rennes.demo")
	before, _ := app.Store.Cotations(t.Context(), app.Fixture.Structures["ML-RENNES"], id)
	previous, _ := app.Store.Cotations(t.Context(), app.Fixture.Structures["ML-RENNES"], app.Fixture.Autoevaluations["ML-RENNES/2025"])
	resp, body := app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/reprise", id), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("copy = %d: %s", resp.StatusCode, body)
	}
	after, _ := app.Store.Cotations(t.Context(), app.Fixture.Structures["ML-RENNES"], id)
	if len(after) != len(previous) {
		t.Errorf("after the copy %d items answered, want %d", len(after), len(previous))
	}
	for code, was := range before {
		if after[code].Cotation != was.Cotation {
			t.Errorf("%s: the copy overwrote an existing answer", code)
		}
	}
	for code, old := range previous {
		if _, had := before[code]; !had && after[code].Cotation != old.Cotation {
			t.Errorf("%s: copied %+v, want %+v", code, after[code].Cotation, old.Cotation)
		}
	}
	// The copy is a change like any other: it is in the history.
	history, _ := app.Store.CotationHistory(t.Context(), app.Fixture.Structures["ML-RENNES"], id, "E4.2")
	if len(history) != 1 || history[0].By != "Yann Rennes" {
		t.Errorf("history of a copied item = %+v", history)
	}
}

func TestSubmitLocksEditing(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	id := app.Fixture.Autoevaluations["ML-RENNES/2026"]
	app.Login(t, "directeur@ml-rennes.demo")
	if resp, body := app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/soumission", id), nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), "restent à compléter") {
		t.Fatalf("submitting a half-rated self-assessment = %d", resp.StatusCode)
	}
	app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/reprise", id), nil)
	if resp, _ := app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/soumission", id), url.Values{"commentaire": {"Bon pour avis régional."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit = %d", resp.StatusCode)
	}
	a, _ := app.Store.Autoevaluation(t.Context(), domain.Visibility{All: true}, id)
	if a.Etat != demarche.Soumise {
		t.Fatalf("state after submit = %s", a.Etat)
	}
	resp, body := app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/sections/F1", id), url.Values{"valeur-F1.R1.C1": {"1"}, "version-F1.R1.C1": {"1"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "ne peuvent plus être modifiées") {
		t.Errorf("rating after submission = %d", resp.StatusCode)
	}
	if resp, _ := app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/soumission", id), nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("second submission = %d, want 409", resp.StatusCode)
	}
	transitions, _ := app.Store.Transitions(t.Context(), app.Fixture.Structures["ML-RENNES"], id)
	if len(transitions) != 1 || transitions[0].By != "Yann Rennes" || transitions[0].Commentaire != "Bon pour avis régional." {
		t.Errorf("transitions = %+v", transitions)
	}
}

func TestDirectorLimitsAContributorToSomeSections(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	id := app.Fixture.Autoevaluations["ML-RENNES/2026"]
	var membership int64
	if err := app.Pool.QueryRow(t.Context(), "SELECT id FROM memberships WHERE user_id = $1", app.Fixture.Users["contributeur@ml-rennes.demo"]).Scan(&membership); err != nil {
		t.Fatal(err)
	}
	director := apptest.NewClient(t)
	app.LoginClient(t, director, "directeur@ml-rennes.demo")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+fmt.Sprintf("/autoevaluations/%d/affectations", id),
		strings.NewReader(url.Values{"membre": {fmt.Sprint(membership)}, "section": {"F5", "E"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := director.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign = %d", resp.StatusCode)
	}
	app.Login(t, "contributeur@ml-rennes.demo")
	if _, body := app.Get(t, fmt.Sprintf("/autoevaluations/%d", id)); !strings.Contains(body, "<strong>Nolwenn Qualité</strong> :") || !strings.Contains(body, "F5") {
		t.Error("the dashboard does not show who works where")
	}
	if _, body := app.Get(t, fmt.Sprintf("/autoevaluations/%d/sections/F4", id)); !strings.Contains(html.UnescapeString(body), "ne vous a pas confié cette partie") {
		t.Error("a section not assigned is not read-only")
	}
	save := func(section, code string) int {
		resp, _ := app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/sections/%s", id, section), url.Values{"valeur-" + code: {"2"}, "version-" + code: {"0"}})
		return resp.StatusCode
	}
	if got := save("F4", "F4.R1.C1"); got != http.StatusForbidden {
		t.Errorf("saving outside the assigned sections = %d, want 403", got)
	}
	if got := save("F5", "F5.R1.C1"); got != http.StatusSeeOther {
		t.Errorf("saving in an assigned section = %d, want 303", got)
	}
	// Only the director shares the work out.
	resp, _ = app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/affectations", id), url.Values{"membre": {fmt.Sprint(membership)}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a contributor assigning = %d, want 403", resp.StatusCode)
	}
}

// TestWholePageSaveKeepsOthersUntouchedItems: a page posted whole carries every
// item; one changed by someone else meanwhile but left alone here is neither a
// conflict nor overwritten.
func TestWholePageSaveKeepsOthersUntouchedItems(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	id := app.Fixture.Autoevaluations["ML-RENNES/2026"]
	section := fmt.Sprintf("/autoevaluations/%d/sections/F3", id)
	app.Login(t, "directeur@ml-rennes.demo")
	other := apptest.NewClient(t)
	app.LoginClient(t, other, "contributeur@ml-rennes.demo")

	// The other person rates F3.R1.C1 after the director loaded the page (version 0 everywhere).
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+section,
		strings.NewReader(url.Values{"valeur-F3.R1.C1": {"4"}, "version-F3.R1.C1": {"0"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := other.Do(req); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("other save: %v %v", resp, err)
	}
	// The director's page still shows F3.R1.C1 unrated, and rates F3.R1.C2 only.
	resp, body := app.PostForm(t, section, url.Values{
		"valeur-F3.R1.C1": {""}, "version-F3.R1.C1": {"0"}, "justification-F3.R1.C1": {""}, "commentaire-F3.R1.C1": {""},
		"valeur-F3.R1.C2": {"2"}, "version-F3.R1.C2": {"0"}, "justification-F3.R1.C2": {""}, "commentaire-F3.R1.C2": {""},
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("director's page save = %d:\n%s", resp.StatusCode, body)
	}
	saved, _ := app.Store.Cotations(t.Context(), app.Fixture.Structures["ML-RENNES"], id)
	if saved["F3.R1.C1"].Valeur != 4 || saved["F3.R1.C2"].Valeur != 2 {
		t.Errorf("F3.R1.C1 = %d (want 4, the other's), F3.R1.C2 = %d (want 2)", saved["F3.R1.C1"].Valeur, saved["F3.R1.C2"].Valeur)
	}
}
