// Package apptest runs the whole Cadre HTTP server in-process on a fresh database,
// for tests that speak HTTP to it.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/commission"
	"github.com/unml/cadre/internal/config"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/plan"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
	"github.com/unml/cadre/internal/preuves"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/reseau"
	"github.com/unml/cadre/internal/revue"
	"github.com/unml/cadre/internal/server"
)

// App is a running server with its database, the demo data, and a client that
// keeps cookies and does not follow redirects, so tests see every 303. The
// server runs as the application role, under row-level security; Pool is the
// superuser's, for the tests' own checks and set-ups, which see every row;
// ServerPool the application role's, the server's own.
type App struct {
	URL        string
	Pool       *pgxpool.Pool
	ServerPool *pgxpool.Pool
	Store      *postgres.Store
	Client     *http.Client
	Server     *httptest.Server
	Fixture    *demo.Fixture
	writes     *writeTracer
}

// CommittedWrites returns the number of rows that the server's committed
// INSERT, UPDATE and DELETE statements changed while serving the request of
// that id (X-Request-Id), the journal's own rows excepted. Sessions, written
// outside any request's context, are not counted.
func (a *App) CommittedWrites(requestID string) int {
	a.writes.mu.Lock()
	defer a.writes.mu.Unlock()
	return a.writes.committed[requestID]
}

// writeTracer counts rows written per request, keeping those of a transaction
// until its COMMIT (a rollback forgets them).
type writeTracer struct {
	mu        sync.Mutex
	committed map[string]int
	pending   map[*pgx.Conn]int
}

type sqlKey struct{}

// writesInCTE reports whether a SELECT writes through data-modifying common
// table expressions (WITH … INSERT/UPDATE … SELECT … FROM them): each row it
// returns is then a row changed, as the store's one-statement saves do.
func writesInCTE(tag pgconn.CommandTag, sql string) bool {
	s := strings.TrimSpace(sql)
	return tag.Select() && strings.HasPrefix(s, "WITH") &&
		(strings.Contains(s, "INSERT INTO") || strings.Contains(s, "UPDATE ") || strings.Contains(s, "DELETE FROM"))
}

func (w *writeTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, sqlKey{}, d.SQL)
}

func (w *writeTracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryEndData) {
	id := journal.RequestID(ctx)
	sql, _ := ctx.Value(sqlKey{}).(string)
	w.mu.Lock()
	defer w.mu.Unlock()
	tag := d.CommandTag
	switch {
	case d.Err != nil:
	case tag.String() == "COMMIT":
		w.committed[id] += w.pending[conn]
		delete(w.pending, conn)
	case tag.String() == "ROLLBACK":
		delete(w.pending, conn)
	case (tag.Insert() || tag.Update() || tag.Delete() || writesInCTE(tag, sql)) && tag.RowsAffected() > 0 && !strings.Contains(sql, "INSERT INTO journal"):
		if conn.PgConn().TxStatus() == 'I' {
			w.committed[id] += int(tag.RowsAffected())
		} else {
			w.pending[conn] += int(tag.RowsAffected())
		}
	}
}

// New starts the server on a fresh database holding the demo data (a copy of a
// template seeded once per test binary). The package's TestMain must call
// pgtest.Main.
func New(t testing.TB) *App {
	t.Helper()
	pool, fixture := demotest.New(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The server's pool counts the rows each request writes (CommittedWrites);
	// the test's own queries carry no request id, so they are not counted.
	writes := &writeTracer{committed: map[string]int{}, pending: map[*pgx.Conn]int{}}
	pcfg := pool.Config()
	pcfg.ConnConfig.Tracer = writes
	serverPool, err := pgxpool.NewWithConfig(t.Context(), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(serverPool.Close)
	pool.Close() // the app and the test share the traced pool
	pool = serverPool
	store := postgres.NewStore(pool)
	srv := server.New(server.Deps{
		Config:      cfg,
		Logger:      logger,
		Sessions:    store.SessionStore(),
		Ready:       store.Ping,
		Accounts:    accounts.NewService(store, auth.TestParams, cfg.BaseURL),
		Autoeval:    autoeval.NewService(store),
		Campagnes:   campagnes.NewService(store),
		Preuves:     preuves.NewService(store),
		Referentiel: referentiel.NewService(store),
		Reseau:      reseau.NewService(store),
		Revue:       revue.NewService(store, cfg.BaseURL),
		Journal:     journal.NewService(store),
		// The store is the audit's Plan too: its Couverture counts the plan d'amélioration's actions (plan_couverture.go).
		Audit:      audit.NewService(store, store, cfg.BaseURL),
		Plan:       plan.NewService(store),
		Commission: commission.NewService(store, cfg.BaseURL, 0),
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &App{URL: ts.URL, Pool: pgtest.Admin(t, pool), ServerPool: pool, Store: store, Client: NewClient(t), Server: ts, Fixture: fixture, writes: writes}
}

// Login signs the app's client in as a demo account.
func (a *App) Login(t testing.TB, email string) {
	t.Helper()
	a.LoginClient(t, a.Client, email)
}

// LoginClient signs another client in as a demo account.
func (a *App) LoginClient(t testing.TB, c *http.Client, email string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, a.URL+"/connexion",
		strings.NewReader(url.Values{"email": {email}, "password": {demo.Password}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s: status %d, want 303", email, resp.StatusCode)
	}
}

// Outbox returns the bodies of the emails queued for an address, oldest first.
func (a *App) Outbox(t testing.TB, to string) []string {
	t.Helper()
	rows, err := a.Pool.Query(t.Context(), "SELECT body FROM outbox WHERE recipient = $1 ORDER BY id", to)
	if err != nil {
		t.Fatal(err)
	}
	bodies, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return bodies
}

// NewClient returns a client with its own cookie jar that does not follow redirects.
func NewClient(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Get requests path and returns the response with its body read.
func (a *App) Get(t testing.TB, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, a.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a.Do(t, req)
}

// PostForm posts an url-encoded form to path.
func (a *App) PostForm(t testing.TB, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, a.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return a.Do(t, req)
}

// Do sends req with the app's client and returns the response with its body read.
func (a *App) Do(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := a.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// testWriter sends the server's log lines to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
