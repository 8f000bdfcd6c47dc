package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/postgres/pgtest"
	"github.com/unml/cadre/web"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestAnonymousVisitorIsSentToLogin(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	resp, _ := app.Get(t, "/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/connexion" {
		t.Fatalf("GET / = %d → %q, want 303 → /connexion", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = app.Get(t, "/referentiel?q=x")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/connexion?suite=%2Freferentiel%3Fq%3Dx" {
		t.Errorf("GET /referentiel = %d → %q, want 303 to the login page with the way back", resp.StatusCode, loc)
	}
	resp, body := app.Get(t, "/connexion")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /connexion = %d, want 200", resp.StatusCode)
	}
	for _, want := range []string{`<html lang="fr">`, "<h1>Connexion</h1>", `href="#contenu"`, `<main id="contenu"`, `name="email"`, `name="password"`} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	// An anonymous visitor who stores nothing gets no session: no cookie, no row.
	if c := resp.Header.Get("Set-Cookie"); c != "" {
		t.Errorf("anonymous visit set a cookie: %s", c)
	}
	var n int
	if err := app.Pool.QueryRow(t.Context(), "SELECT count(*) FROM sessions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("anonymous visits created %d session rows, want 0", n)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for _, path := range []string{"/nulle-part", "/static/x/../../etc/passwd", "/static/" + web.StaticVersion() + "/css/", "/static/" + web.StaticVersion() + "/absent.css"} {
		resp, body := app.Get(t, path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
			continue
		}
		if !strings.Contains(body, "Page introuvable") {
			t.Errorf("GET %s: 404 page is not the French one:\n%s", path, body)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	resp, body := app.PostForm(t, "/", url.Values{"a": {"b"}})
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(body, "Méthode non autorisée") {
		t.Errorf("POST / = %d, want 405 with the French page", resp.StatusCode)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, body := app.Get(t, path)
		if resp.StatusCode != http.StatusOK || body != "ok\n" {
			t.Errorf("GET %s = %d %q, want 200 ok", path, resp.StatusCode, body)
		}
	}
	// Without its database the process is alive but not ready.
	app.ServerPool.Close()
	if resp, _ := app.Get(t, "/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with the database gone = %d, want 503", resp.StatusCode)
	}
	if resp, _ := app.Get(t, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz with the database gone = %d, want 200", resp.StatusCode)
	}
}

func TestHostileInputIsRefused(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	cases := []struct {
		name, method, target, body string
	}{
		{"NUL in query", "GET", "/?q=a%00b", ""},
		{"invalid UTF-8 in query", "GET", "/?q=%ff%fe", ""},
		{"NUL in query key", "GET", "/?a%00=1", ""},
		{"bad escape in query", "GET", "/?q=%zz", ""},
		{"NUL in path", "GET", "/a%00b", ""},
		{"invalid UTF-8 in path", "GET", "/%c3%28", ""},
		{"NUL in form", "POST", "/", "nom=a%00b"},
		{"invalid UTF-8 in form", "POST", "/", "nom=%e9t%e9"},
		{"bad escape in form", "POST", "/", "nom=%g1"},
		{"NUL on an unknown route", "POST", "/inconnu", "x=%00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, app.URL+tc.target, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			resp, body := app.Do(t, req)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("%s %s = %d, want 400", tc.method, tc.target, resp.StatusCode)
			}
			if !strings.Contains(body, "caractères non valides") {
				t.Errorf("400 page lacks the French explanation:\n%s", body)
			}
		})
	}
	// Clean accented input goes through.
	if resp, _ := app.Get(t, "/connexion?q="+url.QueryEscape("équipe")); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /connexion?q=équipe = %d, want 200", resp.StatusCode)
	}
}

func TestFormBodyTooLarge(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	resp, body := app.PostForm(t, "/", url.Values{"x": {strings.Repeat("a", 2<<20)}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "dépasse la taille autorisée") {
		t.Errorf("2 MB form = %d, want 413 with a French message", resp.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for _, path := range []string{"/", "/connexion", "/nulle-part", "/healthz", "/?q=%00", web.Asset("css/cadre.css")} {
		resp, _ := app.Get(t, path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy = %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q", path, h.Get("X-Content-Type-Options"))
		}
		if h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s: no Referrer-Policy", path)
		}
		if h.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-Id", path)
		}
	}
}

func TestStaticAssetsAreVersionedAndCached(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	resp, body := app.Get(t, web.Asset("css/cadre.css"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ".skip-link") {
		t.Fatalf("GET %s = %d", web.Asset("css/cadre.css"), resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("current asset Cache-Control = %q, want a year", cc)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}
	resp, _ = app.Get(t, "/static/ancienne/css/cadre.css")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("old-version asset = %d %q, want 200 no-cache", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+"/", strings.NewReader("a=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, body := app.Do(t, req)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "autre site et a été refusée") {
		t.Errorf("cross-site POST = %d, want 403 with a French page", resp.StatusCode)
	}
	// The same request from Cadre's own pages passes the check (and meets 405 here).
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+"/", strings.NewReader("a=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, _ := app.Do(t, req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("same-origin POST = %d, want 405", resp.StatusCode)
	}
}
