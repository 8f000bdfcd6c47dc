package server

import (
	"context"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/unml/cadre/web"
)

// healthz says the process is up; load balancers use it for liveness.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n"))
}

// readyz says whether the database answers; load balancers use it for readiness.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.logger.Warn("readiness: database unreachable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unreachable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

// static serves the embedded assets. URLs carry the assets' version, so a matching
// version is cached for a year; an old version (a page cached across a release)
// still gets the current file, uncached.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "*")
	if fi, err := fs.Stat(web.Static, name); err != nil || !fi.Mode().IsRegular() || strings.HasPrefix(name, ".") {
		s.handle(s.notFound)(w, r)
		return
	}
	if chi.URLParam(r, "version") == web.StaticVersion() {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(w, r, web.Static, name)
}
