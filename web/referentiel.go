package web

import (
	"github.com/unml/cadre/internal/referentiel"
)

// ReferentielView is the référentiel page: the whole tree, or the items matching a
// search and their headings.
type ReferentielView struct {
	Page
	Ref *referentiel.Referentiel
	// Query is the search text; Matches the codes found, nil without a search.
	Query   string
	Matches map[string]bool
	// QueryError explains a refused search.
	QueryError string
	Total      int
	// Others are the other imported versions, linked from the page.
	Others []ReferentielLink
}

// ReferentielLink points to one imported référentiel version.
type ReferentielLink struct {
	Titre, Version, URL string
}

func (v ReferentielView) shows(it referentiel.Item) bool {
	return v.Matches == nil || v.Matches[it.Code]
}

func (v ReferentielView) showsAny(items []referentiel.Item) bool {
	for _, it := range items {
		if v.shows(it) {
			return true
		}
	}
	return false
}

func (v ReferentielView) showsRessources(f referentiel.Fonction) bool {
	for _, r := range f.Ressources {
		if v.showsAny(r.Conditions) {
			return true
		}
	}
	return false
}

func (v ReferentielView) showsFonction(f referentiel.Fonction) bool {
	for _, r := range f.Realisations {
		if v.showsAny(r.Criteres) {
			return true
		}
	}
	return v.showsRessources(f)
}

func (v ReferentielView) showsVolet(vo referentiel.Volet) bool {
	for _, c := range vo.Caracteristiques {
		if v.showsAny(c.Modalites) {
			return true
		}
	}
	for _, f := range vo.Fonctions {
		if v.showsFonction(f) {
			return true
		}
	}
	for _, g := range vo.Groupes {
		if v.showsAny(g.Engagements) {
			return true
		}
	}
	for _, c := range vo.Chapitres {
		if v.showsAny(c.Criteres) {
			return true
		}
	}
	return false
}

// ressourceCells returns one cell per resource volet, in the fixed order, so the
// table has the five columns even when a fonction leaves one empty.
func ressourceCells(f referentiel.Fonction) []referentiel.VoletRessources {
	cells := make([]referentiel.VoletRessources, 0, 5)
	for _, key := range referentiel.RessourceVolets() {
		cell := referentiel.VoletRessources{Volet: key}
		for _, r := range f.Ressources {
			if r.Volet == key {
				cell = r
			}
		}
		cells = append(cells, cell)
	}
	return cells
}

func anchor(code string) string { return "#" + code }
