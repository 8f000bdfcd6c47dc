// Package referentiel loads and validates référentiel files (the cadre commun of
// 2018, the label's own référentiel, later versions) into one typed tree, and
// flattens it into the assessable items that campaigns rate. It knows nothing of
// storage or HTTP: the file format is documented in referentiel/README.md.
package referentiel

// Volet types: each one fixes the shape of a volet's children.
const (
	// TypeCaracteristiques is a volet of caractéristiques, each with its modalités.
	TypeCaracteristiques = "caracteristiques"
	// TypeOffre is a volet of fonctions, each with réalisations, critères and resource conditions.
	TypeOffre = "offre"
	// TypeEngagements is a volet of groups of engagements.
	TypeEngagements = "engagements"
	// TypeChapitres is a volet of chapters of critères, the shape of the label's référentiel.
	TypeChapitres = "chapitres"
)

// Resource volets of a fonction: the keys used in files and in RessourceVolets.
const (
	// RessourceRH is the "Volet RH".
	RessourceRH = "rh"
	// RessourcePartenariat is the "Volet partenariat".
	RessourcePartenariat = "partenariat"
	// RessourceOrganisation is the "Volet organisation".
	RessourceOrganisation = "organisation"
	// RessourceFinancier is the "Volet financier".
	RessourceFinancier = "financier"
	// RessourceReseauRegional is the "Avec son réseau régional" volet.
	RessourceReseauRegional = "reseau_regional"
)

// RessourceVolets returns the resource volet keys in the order of the 2018 text,
// which is also the order of Fonction.Ressources. A fresh slice each time, so
// that no caller can reorder it for the others.
func RessourceVolets() []string {
	return []string{RessourceRH, RessourcePartenariat, RessourceOrganisation, RessourceFinancier, RessourceReseauRegional}
}

// LibelleRessource returns the French label of a resource volet as the 2018 text
// prints it, or "" for an unknown key.
func LibelleRessource(volet string) string {
	switch volet {
	case RessourceRH:
		return "Volet RH"
	case RessourcePartenariat:
		return "Volet partenariat"
	case RessourceOrganisation:
		return "Volet organisation"
	case RessourceFinancier:
		return "Volet financier"
	case RessourceReseauRegional:
		return "Avec son réseau régional"
	}
	return ""
}

// Referentiel is one version of a référentiel, as loaded from its file.
type Referentiel struct {
	Code    string  `json:"code"`             // identifies the référentiel across its versions
	Version string  `json:"version"`          // immutable once imported: a changed text needs a new one
	Titre   string  `json:"titre"`            // full title, for screens and reports
	Source  string  `json:"source,omitempty"` // who published it and when, if known
	Echelle Echelle `json:"echelle"`          // the rating scale of every item
	Volets  []Volet `json:"volets"`           // in document order
}

// Echelle is the rating scale of a référentiel.
type Echelle struct {
	Niveaux     []Niveau `json:"niveaux"`      // consecutive valeurs, lowest first
	NonConcerne string   `json:"non_concerne"` // label of the "does not apply" answer
}

// Max returns the top rating, the only one that needs no action on an impératif item.
func (e Echelle) Max() int {
	if len(e.Niveaux) == 0 {
		return 0
	}
	return e.Niveaux[len(e.Niveaux)-1].Valeur
}

// Niveau is one level of the rating scale.
type Niveau struct {
	Valeur  int    `json:"valeur"`  // the number scores are averaged on
	Libelle string `json:"libelle"` // what the user picks
}

// Volet is a top-level part of a référentiel; Type says which children list is filled.
type Volet struct {
	Code             string              `json:"code"`
	Type             string              `json:"type"` // TypeCaracteristiques, TypeOffre, TypeEngagements or TypeChapitres
	Titre            string              `json:"titre"`
	Caracteristiques []Caracteristique   `json:"caracteristiques,omitempty"` // type caracteristiques only
	Fonctions        []Fonction          `json:"fonctions,omitempty"`        // type offre only
	Groupes          []GroupeEngagements `json:"groupes,omitempty"`          // type engagements only
	Chapitres        []Chapitre          `json:"chapitres,omitempty"`        // type chapitres only
}

// Caracteristique is a caractéristique of a volet of type caracteristiques.
type Caracteristique struct {
	Code      string `json:"code"`
	Texte     string `json:"texte"`
	Modalites []Item `json:"modalites"`
}

// Fonction is a fonction of the offre de service (or its transverse principles).
type Fonction struct {
	Code         string            `json:"code"`
	Titre        string            `json:"titre"`
	Finalite     string            `json:"finalite,omitempty"` // the purpose sentence under the fonction's heading
	Realisations []Realisation     `json:"realisations"`
	Ressources   []VoletRessources `json:"ressources,omitempty"` // in RessourceVolets order, absent volets skipped
}

// Realisation is a réalisation of a fonction, assessed through its critères.
type Realisation struct {
	Code     string `json:"code"`
	Texte    string `json:"texte"`
	Criteres []Item `json:"criteres"`
}

// VoletRessources holds the conditions of one resource volet of a fonction.
type VoletRessources struct {
	Volet      string `json:"volet"`           // RessourceRH…
	Intro      string `json:"intro,omitempty"` // lead-in sentence printed before the conditions
	Conditions []Item `json:"conditions"`
}

// GroupeEngagements is a titled group of engagements.
type GroupeEngagements struct {
	Code        string `json:"code"`
	Titre       string `json:"titre"`
	Note        string `json:"note,omitempty"` // footnote printed under the group
	Engagements []Item `json:"engagements"`
}

// Chapitre is a chapter of critères in a volet of type chapitres.
type Chapitre struct {
	Code     string `json:"code"`
	Titre    string `json:"titre"`
	Criteres []Item `json:"criteres"`
}

// Item is an assessable leaf: a modalité, critère, condition or engagement.
type Item struct {
	Code       string   `json:"code"`
	Texte      string   `json:"texte"`
	Precisions []string `json:"precisions,omitempty"` // sub-items printed under the text
	Imperatif  bool     `json:"imperatif,omitempty"`  // cannot be "non concerné"; below the top rating forces an action
	Aide       string   `json:"aide,omitempty"`       // guidance for the assessor
	Preuves    []string `json:"preuves,omitempty"`    // evidence expected
	// Line is where the item starts in its file; it is not part of the content,
	// so the fingerprint ignores it.
	Line int `json:"-"`
}
