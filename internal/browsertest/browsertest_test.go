package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// recorder keeps the errors a Browser reports, so the harness itself can be tested.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestHarnessCatchesViolations(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "script-src 'self'")
		switch r.URL.Path {
		case "/good":
			fmt.Fprint(w, `<!doctype html><html lang="fr"><head><title>Bon</title></head><body><main><h1>Bon</h1></main></body></html>`)
		case "/bad":
			// No lang, no title, an image without alt, an unlabelled field, an inline script.
			fmt.Fprint(w, `<!doctype html><html><head></head><body><img src="x.png"><input type="text"><script>1</script></body></html>`)
		}
	}))
	defer ts.Close()

	rec := &recorder{TB: t}
	b := New(rec, ts.URL)
	b.Visit("/good")
	if len(rec.errs) != 0 {
		t.Fatalf("a clean page was reported: %v", rec.errs)
	}
	b.Visit("/bad")
	if len(rec.errs) != 1 {
		t.Fatalf("got %d reports for the broken page, want 1: %v", len(rec.errs), rec.errs)
	}
	for _, rule := range []string{"html-has-lang", "document-title", "image-alt", "label"} {
		if !strings.Contains(rec.errs[0], rule) {
			t.Errorf("axe report lacks %s:\n%s", rule, rec.errs[0])
		}
	}
	// The blocked inline script is reported as a CSP violation, asynchronously.
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		problems := strings.Join(b.problems, "\n")
		b.problems = nil // consumed here, so the cleanup does not fail this test
		b.mu.Unlock()
		if strings.Contains(problems, "CSP violation") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the inline script's CSP violation was not reported (got %q)", problems)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPageKind(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		path   string
		status int
		errors bool
		forms  []string
		want   string
	}{
		{"/", 200, false, nil, "/ 200"},
		{"/preuves/12", 200, false, nil, "/preuves/{n} 200"},
		{"/preuves/12", 404, false, nil, "/preuves/{n} 404"},
		{"/reseau/structures/3/preuves/nouvelle", 200, true, []string{"/reseau/structures/3/preuves/nouvelle"},
			"/reseau/structures/{n}/preuves/nouvelle 200 with errors posting to /reseau/structures/{n}/preuves/nouvelle"},
		{"/reseau/structures/3/preuves/nouvelle", 200, false, []string{"/rgpd"}, "/reseau/structures/{n}/preuves/nouvelle 200 posting to /rgpd"},
		{"/autoevaluations/7/sections/F5", 200, false, nil, "/autoevaluations/{n}/sections/F5 200"},
		{"/autoevaluations/7/items/F4.R1.C1/historique", 200, false, nil, "/autoevaluations/{n}/items/F4.R1.C1/historique 200"},
		{"/invitation/AB12cd34", 200, false, []string{""}, "/invitation/AB12cd34 200 posting to /invitation/AB12cd34"},
		{"/reseau/regions/nouvelle", 422, true, nil, "/reseau/regions/nouvelle 422 with errors"},
		{"/utilisateurs", 200, false, []string{"/utilisateurs/inviter", "/utilisateurs/9/desactiver", "/utilisateurs/12/desactiver", "/utilisateurs/4/reactiver?x=1"},
			"/utilisateurs 200 posting to /utilisateurs/inviter /utilisateurs/{n}/desactiver /utilisateurs/{n}/reactiver"},
	} {
		if got := pageKind(c.path, c.status, c.errors, c.forms); got != c.want {
			t.Errorf("pageKind(%q, %d, %v, %q) = %q, want %q", c.path, c.status, c.errors, c.forms, got, c.want)
		}
	}
}

// TestEachPageKindIsCheckedOnce: Visit checks the first page of a kind only;
// CheckAccessibility checks whatever the kind; an error page, a page with an
// error summary or with other forms is a kind of its own.
func TestEachPageKindIsCheckedOnce(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/kind/3":
			w.WriteHeader(http.StatusNotFound)
		case "/kind/4":
			fmt.Fprint(w, `<!doctype html><html><body><div class="error-summary">Erreur</div><img src="x.png"></body></html>`)
			return
		case "/kind/6":
			fmt.Fprint(w, `<!doctype html><html><body><main><form action="/ailleurs"></form></main><img src="x.png"></body></html>`)
			return
		}
		// No lang, no title, an image without alt.
		fmt.Fprint(w, `<!doctype html><html><body><img src="x.png"></body></html>`)
	}))
	defer ts.Close()

	rec := &recorder{TB: t}
	b := New(rec, ts.URL)
	for i, step := range []struct {
		visit   string
		explain string
		reports int
	}{
		{"/kind/1", "the first page of a kind", 1},
		{"/kind/2", "a second page of the same kind", 1},
		{"", "an explicit check", 2},
		{"/kind/3", "an error page", 3},
		{"/kind/4", "a page with an error summary", 4},
		{"/kind/5", "the first kind again", 4},
		{"/kind/6", "a page whose form posts elsewhere", 5},
	} {
		if step.visit != "" {
			b.Visit(step.visit)
		} else {
			b.CheckAccessibility()
		}
		if len(rec.errs) != step.reports {
			t.Fatalf("step %d, %s: %d reports in all, want %d: %v", i, step.explain, len(rec.errs), step.reports, rec.errs)
		}
	}
}
