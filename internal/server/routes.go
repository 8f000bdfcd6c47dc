package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Handler returns the application's whole HTTP handler: every route in one place,
// grouped by who may call it.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(withRequestID, s.logRequests, s.recoverPanics, s.securityHeaders, s.rejectHostileInput, s.crossOriginProtection)
	r.NotFound(s.handle(s.notFound))
	r.MethodNotAllowed(s.handle(s.methodNotAllowed))

	// Infrastructure: no session, no database row per request.
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/static/{version}/*", s.static)

	// Pages.
	r.Group(func(r chi.Router) {
		r.Use(s.sessions.LoadAndSave)
		r.Get("/", s.handle(s.home))
		r.Get("/referentiel", s.handle(s.referentielPage))
		r.Get("/referentiel/{code}/{version}", s.handle(s.referentielPage))
	})
	return r
}
