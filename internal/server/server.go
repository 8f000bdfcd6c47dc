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
	"time"

	"github.com/a-h/templ"
	"github.com/alexedwards/scs/v2"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/config"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/preuves"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/reseau"
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
	sessions    *scs.SessionManager
}

// New builds the HTTP layer.
func New(d Deps) *Server {
	s := &Server{cfg: d.Config, logger: d.Logger, ready: d.Ready, accounts: d.Accounts, autoeval: d.Autoeval,
		campagnes: d.Campagnes, journal: d.Journal, preuves: d.Preuves, referentiel: d.Referentiel, reseau: d.Reseau}
	sm := scs.New()
	sm.Store = d.Sessions
	sm.Lifetime = d.Config.SessionMax
	sm.IdleTimeout = d.Config.SessionIdle
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
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}
