package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/referentiel"
)

// TestRevueHeatMapOf61MLs: a région of 61 MLs renders its pipeline and its
// heat maps in one page each, every ML with its numbers, and the medians.
func TestRevueHeatMapOf61MLs(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	regionID, campagneID, _ := demotest.Region(t, app.Store, app.Fixture.Users[pole], 61)
	app.Login(t, pole)
	resp, body := app.Get(t, fmt.Sprintf("/revue/regions/%d/carte?campagne=%d", regionID, campagneID))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("carte: %d", resp.StatusCode)
	}
	for _, want := range []string{"<svg", "Médiane régionale", "Médiane nationale", "Mission Locale n° 00", "Mission Locale n° 60", "Volet RH", "Avec son réseau régional"} {
		if !strings.Contains(body, want) {
			t.Errorf("the heat map lacks %q", want)
		}
	}
	// Every ML appears in the SVG, in the table, and no cell is left empty.
	if n := strings.Count(body, "Mission Locale n° "); n < 2*61 {
		t.Errorf("%d mentions of the MLs, want at least %d", n, 2*61)
	}
	resp, body = app.Get(t, fmt.Sprintf("/revue/regions/%d?campagne=%d&etat=en_cours&tri=avancement&ordre=desc", regionID, campagneID))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Missions Locales (61 sur 61)") {
		t.Fatalf("pipeline: %d\n%s", resp.StatusCode, body)
	}
	if _, body = app.Get(t, fmt.Sprintf("/revue/regions/%d?campagne=%d&etat=soumise", regionID, campagneID)); !strings.Contains(body, "Missions Locales (0 sur 61)") {
		t.Error("the state filter keeps the MLs en cours")
	}
	if resp, _ = app.Get(t, fmt.Sprintf("/revue/regions/%d?campagne=999999", regionID)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown campaign: %d, want 404", resp.StatusCode)
	}
}

// TestRevueOnTheMLsPages: the référent's home shows the dossier awaiting the
// avis and the one with its avis; the référent is offered no ML control; the
// director sees the rendered avis, beside its answers.
func TestRevueOnTheMLsPages(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	f := app.Fixture
	app.Login(t, referent)
	_, body := app.Get(t, "/")
	for _, want := range []string{"Revue régionale — Bretagne", "En attente de l'avis régional (1)", "Mission Locale du Pays de Cornouaille",
		"Avis régional rendu (1)", fmt.Sprintf(`href="/revue/autoevaluations/%d"`, f.Autoevaluations["ML-BREST/2026"])} {
		if !strings.Contains(body, want) {
			t.Errorf("the référent's home lacks %q", want)
		}
	}
	_, body = app.Get(t, fmt.Sprintf("/autoevaluations/%d", f.Autoevaluations["ML-QUIMPER/2026"]))
	if strings.Contains(body, "Vérifier et soumettre") || strings.Contains(body, "/soumission") || !strings.Contains(body, "Revue régionale de ce dossier") {
		t.Errorf("the référent's view of the ML's dashboard offers the ML's controls or no review:\n%s", body)
	}
	// Before the avis, the ML sees nothing of the review.
	quimper := apptest.NewClient(t)
	app.LoginClient(t, quimper, "directeur@ml-quimper.demo")
	body = fetchAs(t, quimper, fmt.Sprintf("%s/autoevaluations/%d", app.URL, f.Autoevaluations["ML-QUIMPER/2026"]))
	if strings.Contains(body, "Avis régional") {
		t.Error("the ML sees an avis régional before it is rendered")
	}
	brest := apptest.NewClient(t)
	app.LoginClient(t, brest, "directeur@ml-brest.demo")
	body = fetchAs(t, brest, fmt.Sprintf("%s/autoevaluations/%d", app.URL, f.Autoevaluations["ML-BREST/2026"]))
	if !strings.Contains(body, "Favorable avec réserves") || !strings.Contains(body, "Un accueil structuré") {
		t.Errorf("the Brest director does not see its avis régional:\n%s", body)
	}
	ref, _, err := app.Store.Referentiel(t.Context(), referentiel.DefaultCode, "")
	if err != nil {
		t.Fatal(err)
	}
	first := ref.Items()[0]
	body = fetchAs(t, brest, fmt.Sprintf("%s/autoevaluations/%d/sections/%s", app.URL, f.Autoevaluations["ML-BREST/2026"], referentiel.SectionOf(first)))
	if !strings.Contains(body, "Avis régional :") {
		t.Errorf("the Brest director does not see the item avis on its section page")
	}
}

// fetchAs gets url with client c and returns the body of a 200.
func fetchAs(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// TestRevueItemAvisConcurrency: a part's form saves only what the référent
// changed; a change made from an outdated page is refused with both versions,
// an untouched item is not; a malformed rating changes nothing.
func TestRevueItemAvisConcurrency(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, referent)
	ae := app.Fixture.Autoevaluations["ML-QUIMPER/2026"]
	path := fmt.Sprintf("/revue/autoevaluations/%d/sections/F1", ae)
	code := "F1.R1.C1"
	form := func(avis, base, version string) url.Values {
		return url.Values{"version-" + code: {version}, "avis-" + code: {avis}, "base-avis-" + code: {base}, "base-remarque-" + code: {""}, "remarque-" + code: {""}}
	}
	if resp, body := app.PostForm(t, path, form("2", "0", "0")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first avis: %d\n%s", resp.StatusCode, body)
	}
	resp, body := app.PostForm(t, path, form("3", "0", "0"))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Avis modifié entre-temps par Morgane Le Gall") {
		t.Fatalf("stale avis: %d\n%s", resp.StatusCode, body)
	}
	// Posted as it was loaded: nothing of this page to save, no conflict.
	if resp, _ := app.PostForm(t, path, form("0", "0", "0")); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("untouched stale item: %d, want 303", resp.StatusCode)
	}
	if resp, _ := app.PostForm(t, path, form("x", "2", "1")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed rating: %d, want 400", resp.StatusCode)
	}
	items, err := app.Store.RevueItems(t.Context(), app.Fixture.Structures["ML-QUIMPER"], ae)
	if err != nil || items[code].Valeur != 2 || items[code].Version != 1 {
		t.Errorf("stored = %+v, %v", items[code], err)
	}
}
