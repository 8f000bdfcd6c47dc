package server

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/web"
)

// maxSearchRunes bounds the référentiel search text.
const maxSearchRunes = 100

// referentielPage shows a référentiel, whole or filtered by the search text q: the
// default one at /referentiel, any imported version at /referentiel/{code}/{version}.
func (s *Server) referentielPage(w http.ResponseWriter, r *http.Request) error {
	code, version := chi.URLParam(r, "code"), chi.URLParam(r, "version")
	if code == "" {
		code = referentiel.DefaultCode
	}
	ref, refID, err := s.referentiel.Get(r.Context(), code, version)
	if err != nil {
		return err
	}
	v := web.ReferentielView{
		Page:  s.page(r, ref.Titre),
		Ref:   ref,
		Query: strings.TrimSpace(r.URL.Query().Get("q")),
		Total: len(ref.Items()),
	}
	infos, err := s.referentiel.List(r.Context())
	if err != nil {
		return err
	}
	for _, in := range infos {
		if in.Code != ref.Code || in.Version != ref.Version {
			v.Others = append(v.Others, web.ReferentielLink{Titre: in.Titre, Version: in.Version, URL: "/referentiel/" + in.Code + "/" + in.Version})
		}
	}
	status := http.StatusOK
	switch {
	case utf8.RuneCountInString(v.Query) > maxSearchRunes:
		v.QueryError = "La recherche est limitée à 100 caractères : raccourcissez-la."
		status = http.StatusBadRequest
	case v.Query != "":
		if v.Matches, err = s.referentiel.Search(r.Context(), refID, v.Query); err != nil {
			return err
		}
		v.Page.Title = "Recherche « " + v.Query + " » · " + ref.Titre
	}
	return s.render(w, r, status, web.ReferentielPage(v))
}
