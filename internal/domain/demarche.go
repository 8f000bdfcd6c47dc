package domain

import (
	"github.com/unml/cadre/internal/referentiel"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Etat is the state of one ML's auto-évaluation in a campaign (DESIGN.md §4).
type Etat string

// The states of the démarche, in order.
const (
	EtatEnCours           Etat = "en_cours"
	EtatSoumise           Etat = "soumise"
	EtatAvisRendu         Etat = "avis_rendu"
	EtatEnAudit           Etat = "en_audit"
	EtatRapportProvisoire Etat = "rapport_provisoire"
	EtatRapportDefinitif  Etat = "rapport_definitif"
	EtatDecidee           Etat = "decidee"
)

// Etats lists the states in the order of the démarche.
var Etats = []Etat{EtatEnCours, EtatSoumise, EtatAvisRendu, EtatEnAudit, EtatRapportProvisoire, EtatRapportDefinitif, EtatDecidee}

// Label returns the state's French name.
func (e Etat) Label() string {
	switch e {
	case EtatEnCours:
		return "En cours"
	case EtatSoumise:
		return "Soumise"
	case EtatAvisRendu:
		return "Avis régional rendu"
	case EtatEnAudit:
		return "En audit"
	case EtatRapportProvisoire:
		return "Rapport provisoire"
	case EtatRapportDefinitif:
		return "Rapport définitif"
	case EtatDecidee:
		return "Décidée"
	}
	return string(e)
}

// Transition is a step of the démarche.
type Transition string

// The transitions of DESIGN.md §4.
const (
	TrSubmit       Transition = "submit"       // the director submits the self-assessment
	TrAvis         Transition = "avis"         // the ARML gives its regional opinion
	TrAssign       Transition = "assign"       // the UNML assigns the audit
	TrReturn       Transition = "return"       // ARML or UNML send it back for completion, with reasons
	TrReport       Transition = "report"       // the auditor writes the provisional report
	TrObservations Transition = "observations" // the ML answers; the report becomes final
	TrDecide       Transition = "decide"       // the UNML records the commission's decision
)

// Label returns the transition's French name.
func (t Transition) Label() string {
	switch t {
	case TrSubmit:
		return "Soumission"
	case TrAvis:
		return "Avis régional"
	case TrAssign:
		return "Affectation de l'audit"
	case TrReturn:
		return "Renvoi pour compléments"
	case TrReport:
		return "Rapport d'audit provisoire"
	case TrObservations:
		return "Observations de la Mission Locale"
	case TrDecide:
		return "Décision de la commission"
	}
	return string(t)
}

// step is one allowed transition: from which states, to which, by which roles.
type step struct {
	from  []Etat
	to    Etat
	roles []Role
	// reasons: the transition needs a comment (a return, a decision).
	reasons bool
}

var steps = map[Transition]step{
	TrSubmit:       {from: []Etat{EtatEnCours}, to: EtatSoumise, roles: []Role{RoleDirecteur}},
	TrAvis:         {from: []Etat{EtatSoumise}, to: EtatAvisRendu, roles: []Role{RoleReferentARML}},
	TrAssign:       {from: []Etat{EtatAvisRendu}, to: EtatEnAudit, roles: []Role{RolePole}},
	TrReturn:       {from: []Etat{EtatSoumise, EtatAvisRendu, EtatEnAudit}, to: EtatEnCours, roles: []Role{RoleReferentARML, RolePole}, reasons: true},
	TrReport:       {from: []Etat{EtatEnAudit}, to: EtatRapportProvisoire, roles: []Role{RoleAuditeur}},
	TrObservations: {from: []Etat{EtatRapportProvisoire}, to: EtatRapportDefinitif, roles: []Role{RoleDirecteur}},
	TrDecide:       {from: []Etat{EtatRapportDefinitif}, to: EtatDecidee, roles: []Role{RolePole}, reasons: true},
}

// Next returns the state that transition t leads to from state from, taken by
// someone holding role; any other transition is refused with a French message:
// ECONFLICT when the state does not allow it, EFORBIDDEN when the role may not.
func Next(from Etat, t Transition, role Role, commentaire string) (Etat, error) {
	s, ok := steps[t]
	if !ok {
		return from, Errorf(EINVALID, "Action inconnue.")
	}
	allowedFrom := false
	for _, e := range s.from {
		allowedFrom = allowedFrom || e == from
	}
	if !allowedFrom {
		return from, Errorf(ECONFLICT, "« %s » n'est pas possible : l'auto-évaluation est à l'état « %s ».", t.Label(), from.Label())
	}
	allowedRole := false
	for _, r := range s.roles {
		allowedRole = allowedRole || r == role
	}
	if !allowedRole {
		return from, Errorf(EFORBIDDEN, "« %s » n'est pas possible avec le rôle %s.", t.Label(), role.Label())
	}
	if s.reasons && strings.TrimSpace(commentaire) == "" {
		return from, FieldErrors{"commentaire": "Indiquez les motifs."}.Err()
	}
	return s.to, nil
}

// Editable reports whether the ML may still change its ratings in state e.
func (e Etat) Editable() bool { return e == EtatEnCours }

// Campagne is a campaign of self-assessment on one référentiel version.
type Campagne struct {
	ID            int64
	Nom           string
	ReferentielID int64
	Referentiel   string // title and version, for display
	Ouverture     time.Time
	Cloture       time.Time
	Etat          string // preparation, ouverte, close
}

// Cotation is the ML's answer on one item.
type Cotation struct {
	Valeur        int // 0: not rated
	NonConcerne   bool
	Justification string
	Commentaire   string
}

// Rated reports whether the item has an answer: a rating or "non concerné".
func (c Cotation) Rated() bool { return c.Valeur != 0 || c.NonConcerne }

// Normalize trims the texts.
func (c *Cotation) Normalize() {
	c.Justification, c.Commentaire = strings.TrimSpace(c.Justification), strings.TrimSpace(c.Commentaire)
}

// MaxCommentRunes bounds comments and justifications.
const MaxCommentRunes = 5000

// Validate checks an answer against the item and its scale: a value of the scale,
// or "non concerné" with a justification, never on an impératif item. An empty
// answer (clearing an item) is valid. Field names are suffixed by the item code so
// that one page of items can show each error at its item.
func (c Cotation) Validate(code string, imperatif bool, valeurs []int) error {
	fe := FieldErrors{}
	if c.Valeur != 0 {
		known := false
		for _, v := range valeurs {
			known = known || v == c.Valeur
		}
		if !known {
			fe["valeur-"+code] = "Choisissez une cotation de l'échelle."
		}
	}
	if c.NonConcerne {
		switch {
		case c.Valeur != 0:
			fe["valeur-"+code] = "Choisissez une cotation ou « non concerné », pas les deux."
		case imperatif:
			fe["valeur-"+code] = "Cet élément est impératif : il ne peut pas être « non concerné »."
		case c.Justification == "":
			fe["justification-"+code] = "Justifiez « non concerné » : cette justification est obligatoire."
		}
	}
	if utf8.RuneCountInString(c.Justification) > MaxCommentRunes {
		fe["justification-"+code] = "La justification est trop longue (5 000 caractères au plus)."
	}
	if utf8.RuneCountInString(c.Commentaire) > MaxCommentRunes {
		fe["commentaire-"+code] = "Le commentaire est trop long (5 000 caractères au plus)."
	}
	return fe.Err()
}

// ChecklistEntry is an item that keeps an auto-évaluation from being submitted.
type ChecklistEntry struct {
	Code    string
	Section string
	Texte   string
	Problem string
}

// SubmissionChecklist lists, in document order, every item not yet answered and
// every "non concerné" without justification. Submission needs it empty.
func SubmissionChecklist(items []referentiel.AssessableItem, answers map[string]Cotation) []ChecklistEntry {
	var out []ChecklistEntry
	for _, it := range items {
		a := answers[it.Code]
		problem := ""
		switch {
		case !a.Rated():
			problem = "Non coté"
		case a.NonConcerne && strings.TrimSpace(a.Justification) == "":
			problem = "« Non concerné » sans justification"
		}
		if problem != "" {
			out = append(out, ChecklistEntry{Code: it.Code, Section: referentiel.SectionOf(it), Texte: it.Texte, Problem: problem})
		}
	}
	return out
}

// Progress is how far a section (or the whole) is rated, with the mean of its
// ratings and their distribution (DESIGN.md §4: no single public mark).
type Progress struct {
	Code, Titre  string
	Rated, Total int
	NonConcerne  int
	Mean         float64 // over rated items, "non concerné" excluded; 0 when none
	Distribution map[int]int
}

// Percent is the share of answered items, rounded down.
func (p Progress) Percent() int {
	if p.Total == 0 {
		return 0
	}
	return p.Rated * 100 / p.Total
}

// SectionsProgress returns the progress of each section, then of the whole.
func SectionsProgress(sections []referentiel.Section, answers map[string]Cotation) ([]Progress, Progress) {
	all := Progress{Code: "", Titre: "Ensemble", Distribution: map[int]int{}}
	var out []Progress
	sum, n := 0, 0
	for _, s := range sections {
		p := Progress{Code: s.Code, Titre: s.Titre, Total: len(s.Items), Distribution: map[int]int{}}
		psum, pn := 0, 0
		for _, code := range s.Items {
			a := answers[code]
			if !a.Rated() {
				continue
			}
			p.Rated++
			if a.NonConcerne {
				p.NonConcerne++
				continue
			}
			p.Distribution[a.Valeur]++
			all.Distribution[a.Valeur]++
			psum += a.Valeur
			pn++
		}
		if pn > 0 {
			p.Mean = float64(psum) / float64(pn)
		}
		sum, n = sum+psum, n+pn
		all.Rated += p.Rated
		all.Total += p.Total
		all.NonConcerne += p.NonConcerne
		out = append(out, p)
	}
	if n > 0 {
		all.Mean = float64(sum) / float64(n)
	}
	return out, all
}

// Autoevaluation is one ML's self-assessment in one campaign.
type Autoevaluation struct {
	ID                 int64
	CampagneID         int64
	CampagneNom        string
	Cloture            time.Time
	StructureID        int64
	StructureNom       string
	RegionID           int64
	Etat               Etat
	ReferentielID      int64
	ReferentielVersion string
}

// Scope locates the auto-évaluation for the policy.
func (a Autoevaluation) Scope() Scope {
	return Scope{RegionID: a.RegionID, StructureID: a.StructureID}
}

// SavedCotation is a stored answer with its version and last author.
type SavedCotation struct {
	Cotation
	Version int // 0: never answered
	By      string
	At      time.Time
}

// CotationChange is an answer to save, made from the version the person saw.
type CotationChange struct {
	Code        string
	Cotation    Cotation
	BaseVersion int
}

// ConflictError lists the items someone else changed since the page was loaded;
// nothing was saved. Its code is ECONFLICT.
type ConflictError struct {
	Current map[string]SavedCotation
}

func (e *ConflictError) Error() string {
	return ECONFLICT + ": " + strconv.Itoa(len(e.Current)) + " item(s) changed meanwhile"
}

// HistoryEntry is one change of an answer.
type HistoryEntry struct {
	Version  int
	By       string
	At       time.Time
	Old, New Cotation
}
