package server

import (
	"net/http"

	"github.com/unml/cadre/web"
)

// home renders the public landing page.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, web.Home(web.Page{Title: "Accueil", Path: r.URL.Path}))
}
