package server

import (
	"expvar"
	"net/http"
	"net/http/pprof"

	"github.com/unml/cadre/web"
)

// DebugHandler serves the Go profiler (/debug/pprof/) and the runtime's
// counters (/debug/vars, memstats included) on CADRE_DEBUG_ADDR, which the
// configuration refuses in production; the benchmark reads allocations there.
func DebugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/vars", expvar.Handler())
	return mux
}

// floorPage is the benchmark's signed-in floor, only with CADRE_DEBUG_ADDR:
// the session and the person loaded, one query, one small component rendered.
func (s *Server) floorPage(w http.ResponseWriter, r *http.Request) error {
	if err := s.ready(r.Context()); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.FloorPage(s.page(r, "Plancher")))
}
