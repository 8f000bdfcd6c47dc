package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/unml/cadre/internal/apptest"
)

// FuzzWritingForms posts any body to the routes that save ratings and
// evidence, as the ML's director, on one running server: no answer is the
// server's fault (5xx), and a write is whole or nothing — a refused form
// commits no row and journals nothing, an accepted one journals what it
// committed. Seeds: testdata/fuzz/FuzzWritingForms; under `go test` only they run.
func FuzzWritingForms(f *testing.F) {
	app := apptest.New(f)
	app.Login(f, "directeur@ml-rennes.demo")
	if err := app.Store.AcknowledgeRGPD(f.Context(), nil, app.Fixture.Users["directeur@ml-rennes.demo"]); err != nil {
		f.Fatal(err)
	}
	sheet := app.Fixture.Autoevaluations["ML-RENNES/2026"]
	routes := []string{
		fmt.Sprintf("/autoevaluations/%d/sections/F1", sheet),
		fmt.Sprintf("/autoevaluations/%d/items/F1.R1.C1", sheet),
		fmt.Sprintf("/reseau/structures/%d/preuves/nouvelle", app.Fixture.Structures["ML-RENNES"]),
		fmt.Sprintf("/preuves/%d/versions", app.Fixture.Preuves["ML-RENNES"]),
	}
	f.Fuzz(func(t *testing.T, route uint8, multipartBody bool, body []byte) {
		path := routes[int(route)%len(routes)]
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if multipartBody {
			req.Header.Set("Content-Type", "multipart/form-data; boundary=limite")
		}
		resp, err := app.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("POST %s %q = %d", path, body, resp.StatusCode)
		}
		id := resp.Header.Get("X-Request-Id")
		writes, entries := app.CommittedWrites(id), len(requestEntries(t, app, id))
		if resp.StatusCode >= 400 && (writes > 0 || entries > 0) {
			t.Fatalf("POST %s %q = %d, refused, but committed %d rows and %d journal entries", path, body, resp.StatusCode, writes, entries)
		}
		if writes > 0 && entries == 0 {
			t.Fatalf("POST %s %q committed %d rows without journalling", path, body, writes)
		}
	})
}
