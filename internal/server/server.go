// Package server is Cadre's HTTP layer: routes, middleware, handlers and the
// mapping of domain errors to French pages.
package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/alexedwards/scs/v2"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/commission"
	"github.com/unml/cadre/internal/config"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/plan"
	"github.com/unml/cadre/internal/preuves"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/reseau"
	"github.com/unml/cadre/internal/revue"
)

// Deps is everything the HTTP layer needs: the services, which are the only
// door to the data, and the session storage.
type Deps struct {
	Config config.Config
	Logger *slog.Logger
	// Sessions keeps the sessions; in PostgreSQL, so that servers are stateless.
	Sessions scs.Store
	// Ready reports whether the database answers, for /readyz.
	Ready func(context.Context) error

	Accounts    *accounts.Service
	Autoeval    *autoeval.Service
	Campagnes   *campagnes.Service
	Journal     *journal.Service
	Preuves     *preuves.Service
	Referentiel *referentiel.Service
	Reseau      *reseau.Service
	Revue       *revue.Service
	Audit       *audit.Service
	Plan        *plan.Service
	Commission  *commission.Service
}

// Server holds the HTTP layer's dependencies.
type Server struct {
	cfg         config.Config
	logger      *slog.Logger
	ready       func(context.Context) error
	accounts    *accounts.Service
	autoeval    *autoeval.Service
	campagnes   *campagnes.Service
	journal     *journal.Service
	preuves     *preuves.Service
	referentiel *referentiel.Service
	reseau      *reseau.Service
	revue       *revue.Service
	audit       *audit.Service
	plan        *plan.Service
	commission  *commission.Service
	sessions    *scs.SessionManager
}

// New builds the HTTP layer.
func New(d Deps) *Server {
	s := &Server{cfg: d.Config, logger: d.Logger, ready: d.Ready, accounts: d.Accounts, autoeval: d.Autoeval,
		campagnes: d.Campagnes, preuves: d.Preuves, referentiel: d.Referentiel, reseau: d.Reseau, revue: d.Revue,
		journal: d.Journal, audit: d.Audit, plan: d.Plan, commission: d.Commission}
	sm := scs.New()
	sm.Store = d.Sessions
	sm.Lifetime = d.Config.SessionMax
	// No sm.IdleTimeout: scs would then rewrite the session row on every
	// request. loadActor enforces the idle timeout from a time it refreshes
	// at most once a minute (see sessionSeen).
	sm.Cookie.Name = "cadre_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = d.Config.SecureCookies
	sm.Cookie.Path = "/"
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.renderError(w, r, err)
	}
	s.sessions = sm
	return s
}

// Serve answers HTTP on ln until ctx ends, then shuts down gracefully: it stops
// accepting connections and waits (at most 30 s) for requests in flight to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // room for a 20 MB upload on a slow line
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// render writes a complete page or nothing: a component that fails halfway must not
// leave half a page behind a 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledPage {
			buf.Reset()
			pageBuffers.Put(buf)
		}
	}()
	if err := c.Render(r.Context(), buf); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Known length: one write, no chunked encoding.
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// pageBuffers recycles the buffers pages are rendered into: a national list
// is a few hundred kilobytes, grown again for every request otherwise.
var pageBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 64<<10)) }}

// maxPooledPage bounds what the pool keeps, so one huge page does not stay.
const maxPooledPage = 2 << 20
