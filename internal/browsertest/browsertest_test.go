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
