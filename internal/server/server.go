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
	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/config"
	"github.com/unml/cadre/internal/postgres"
)

// Deps is everything the HTTP layer needs.
type Deps struct {
	Config config.Config
	Logger *slog.Logger
	Pool   *pgxpool.Pool
	// SessionCleanup is how often expired sessions are deleted; 0 never (tests).
	SessionCleanup time.Duration
	// PasswordParams are argon2id's costs; zero means auth.DefaultParams.
	PasswordParams auth.Params
}

// Server holds the HTTP layer's dependencies.
type Server struct {
	cfg      config.Config
	logger   *slog.Logger
	pool     *pgxpool.Pool
	store    *postgres.Store
	accounts *accounts.Service
	autoeval *autoeval.Service
	sessions *scs.SessionManager

	stopCleanup context.CancelFunc
	cleanupDone chan struct{}
}

// New builds the HTTP layer. Close stops its background work.
func New(d Deps) *Server {
	params := d.PasswordParams
	if params == (auth.Params{}) {
		params = auth.DefaultParams
	}
	store := postgres.NewStore(d.Pool)
	s := &Server{cfg: d.Config, logger: d.Logger, pool: d.Pool, store: store, accounts: accounts.NewService(store, params, d.Config.BaseURL),
		autoeval: autoeval.NewService(store)}
	sm := scs.New()
	// pgxstore's own cleanup goroutine races with its StopCleanup; ours does not.
	sm.Store = pgxstore.NewWithCleanupInterval(d.Pool, 0)
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
	ctx, cancel := context.WithCancel(context.Background())
	s.stopCleanup = cancel
	if d.SessionCleanup > 0 {
		s.cleanupDone = make(chan struct{})
		go s.cleanSessions(ctx, d.SessionCleanup)
	}
	return s
}

// Close stops the expired-session cleanup and waits for it.
func (s *Server) Close() {
	s.stopCleanup()
	if s.cleanupDone != nil {
		<-s.cleanupDone
	}
}

// cleanSessions deletes expired sessions, and file content that no version
// refers to, every interval until ctx ends. Several servers may run it side by
// side: the DELETEs are idempotent.
func (s *Server) cleanSessions(ctx context.Context, interval time.Duration) {
	defer close(s.cleanupDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE expiry < now()"); err != nil && ctx.Err() == nil {
				s.logger.Warn("delete expired sessions", "err", err)
			}
			// Uploads store content and its piece in one transaction, so none is
			// expected; an hour leaves any write in flight alone.
			if n, err := s.store.CollectOrphanContent(ctx, time.Hour); err != nil && ctx.Err() == nil {
				s.logger.Warn("collect orphan content", "err", err)
			} else if n > 0 {
				s.logger.Info("orphan content collected", "count", n)
			}
		}
	}
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
