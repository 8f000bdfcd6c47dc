package referentiel

import "slices"

// Kind is the nature of an assessable item, named as the référentiels name it.
type Kind string

// Kinds of assessable items.
const (
	// KindModalite is a modalité of a caractéristique.
	KindModalite Kind = "modalite"
	// KindCritere is a critère of a réalisation or of a chapitre.
	KindCritere Kind = "critere"
	// KindCondition is a condition of a resource volet of a fonction.
	KindCondition Kind = "condition"
	// KindEngagement is an engagement of a group.
	KindEngagement Kind = "engagement"
)

// Libelle returns the French label of the kind, for screens and exports.
func (k Kind) Libelle() string {
	switch k {
	case KindModalite:
		return "Modalité"
	case KindCritere:
		return "Critère"
	case KindCondition:
		return "Condition"
	case KindEngagement:
		return "Engagement"
	}
	return string(k)
}

// AssessableItem is one rated leaf with its place in the tree, so that storage,
// screens and exports need not walk the four volet shapes themselves.
type AssessableItem struct {
	Code       string
	Kind       Kind
	Texte      string
	Precisions []string
	Imperatif  bool
	Aide       string
	Preuves    []string
	Volet      string   // code of the volet
	Fonction   string   // code of the fonction; empty outside a volet of type offre
	Ressource  string   // resource volet key (RessourceRH…) of a condition; empty otherwise
	Parent     string   // code of the nearest coded ancestor: caractéristique, réalisation, fonction (for a condition), groupe or chapitre
	Path       []string // titles and texts of the ancestors, from the volet down, for display
	Line       int      // where the item starts in its file
}

// Items returns every assessable item in document order; within a fonction the
// critères of its réalisations come first, then the conditions in the fixed
// resource volet order.
func (r *Referentiel) Items() []AssessableItem {
	var out []AssessableItem
	add := func(it Item, kind Kind, v *Volet, fonction, ressource, parent string, path ...string) {
		out = append(out, AssessableItem{
			Code:       it.Code,
			Kind:       kind,
			Texte:      it.Texte,
			Precisions: slices.Clone(it.Precisions),
			Imperatif:  it.Imperatif,
			Aide:       it.Aide,
			Preuves:    slices.Clone(it.Preuves),
			Volet:      v.Code,
			Fonction:   fonction,
			Ressource:  ressource,
			Parent:     parent,
			Path:       append([]string{v.Titre}, path...),
			Line:       it.Line,
		})
	}
	for vi := range r.Volets {
		v := &r.Volets[vi]
		for _, c := range v.Caracteristiques {
			for _, it := range c.Modalites {
				add(it, KindModalite, v, "", "", c.Code, c.Texte)
			}
		}
		for _, f := range v.Fonctions {
			for _, re := range f.Realisations {
				for _, it := range re.Criteres {
					add(it, KindCritere, v, f.Code, "", re.Code, f.Titre, re.Texte)
				}
			}
			for _, res := range f.Ressources {
				for _, it := range res.Conditions {
					add(it, KindCondition, v, f.Code, res.Volet, f.Code, f.Titre, LibelleRessource(res.Volet))
				}
			}
		}
		for _, g := range v.Groupes {
			for _, it := range g.Engagements {
				add(it, KindEngagement, v, "", "", g.Code, g.Titre)
			}
		}
		for _, c := range v.Chapitres {
			for _, it := range c.Criteres {
				add(it, KindCritere, v, "", "", c.Code, c.Titre)
			}
		}
	}
	return out
}
