// Package plan holds the plan d'amélioration of a Mission Locale (DESIGN.md
// §4): actions with the items they concern, their origin (the
// self-assessment, a regional remark, a finding of the audit), a pilote, a due
// date, a priority, a status and its history. The plan outlives campaigns. The
// package also states the rule the final report of an audit obeys: every écart
// and every impératif item rated below the top needs at least one action.
package plan

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/domain"
)

// Statut is an action's status, stored as is.
type Statut string

// The statuses of an action.
const (
	AEngager   Statut = "a_engager"
	EnCours    Statut = "en_cours"
	Realisee   Statut = "realisee"
	Abandonnee Statut = "abandonnee"
)

// Statuts lists them in display order.
var Statuts = []Statut{AEngager, EnCours, Realisee, Abandonnee}

// Label returns the status's French name.
func (s Statut) Label() string {
	switch s {
	case AEngager:
		return "À engager"
	case EnCours:
		return "En cours"
	case Realisee:
		return "Réalisée"
	case Abandonnee:
		return "Abandonnée"
	}
	return string(s)
}

// Valid reports whether s is a known status.
func (s Statut) Valid() bool { return slices.Contains(Statuts, s) }

// Open reports whether an action in status s is still to be carried out.
func (s Statut) Open() bool { return s == AEngager || s == EnCours }

// Origine says where an action comes from, stored as is.
type Origine string

// The origins of an action.
const (
	OrigineAutoeval Origine = "autoevaluation"
	OrigineAvis     Origine = "avis_regional"
	OrigineConstat  Origine = "constat"
)

// Origines lists them in display order.
var Origines = []Origine{OrigineAutoeval, OrigineAvis, OrigineConstat}

// Label returns the origin's French name.
func (o Origine) Label() string {
	switch o {
	case OrigineAutoeval:
		return "Auto-évaluation"
	case OrigineAvis:
		return "Avis régional"
	case OrigineConstat:
		return "Constat d'audit"
	}
	return string(o)
}

// Valid reports whether o is a known origin.
func (o Origine) Valid() bool { return slices.Contains(Origines, o) }

// Priorite is an action's priority, stored as is.
type Priorite string

// The priorities of an action.
const (
	Haute   Priorite = "haute"
	Moyenne Priorite = "moyenne"
	Basse   Priorite = "basse"
)

// Priorites lists them from the highest.
var Priorites = []Priorite{Haute, Moyenne, Basse}

// Label returns the priority's French name.
func (p Priorite) Label() string {
	switch p {
	case Haute:
		return "Haute"
	case Moyenne:
		return "Moyenne"
	case Basse:
		return "Basse"
	}
	return string(p)
}

// Valid reports whether p is a known priority.
func (p Priorite) Valid() bool { return slices.Contains(Priorites, p) }

// MaxTitreRunes bounds an action's title.
const MaxTitreRunes = 300

// Action is one action of an ML's plan.
type Action struct {
	ID           int64
	StructureID  int64
	StructureNom string
	RegionID     int64
	Titre        string
	Description  string
	Items        []string // item codes
	Origine      Origine
	// AutoevaluationID is the dossier the action comes from (auto-évaluation or
	// avis régional); 0: none.
	AutoevaluationID int64
	// ConstatID is the audit's finding the action answers; 0: none.
	ConstatID int64
	PiloteID  int64
	PiloteNom string
	Priorite  Priorite
	Echeance  time.Time
	Statut    Statut
	// PreuveID, PreuveTitre and RealiseeLe prove a realised action.
	PreuveID     int64
	PreuveTitre  string
	RealiseeLe   *time.Time
	MotifAbandon string
	Version      int
	CreatedAt    time.Time
}

// Overdue reports whether the action is still open after its due date, on
// today's calendar day.
func (a Action) Overdue(today time.Time) bool {
	return a.Statut.Open() && a.Echeance.Before(day(today))
}

// JoursRetard returns how many days late an overdue action is.
func (a Action) JoursRetard(today time.Time) int {
	if !a.Overdue(today) {
		return 0
	}
	return int(day(today).Sub(a.Echeance).Hours() / 24)
}

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Normalize trims the texts and sorts the item codes, without duplicates.
func (a *Action) Normalize() {
	a.Titre, a.Description = strings.TrimSpace(a.Titre), strings.TrimSpace(a.Description)
	var codes []string
	for _, c := range a.Items {
		if c = strings.TrimSpace(c); c != "" {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	a.Items = slices.Compact(codes)
}

// Validate checks a new action; field names are those of the form. Whether
// the pilote belongs to the ML and the codes to a référentiel is the store's
// to check.
func (a Action) Validate() error {
	fe := domain.FieldErrors{}
	switch n := utf8.RuneCountInString(a.Titre); {
	case n == 0:
		fe["titre"] = "Indiquez l'intitulé de l'action."
	case n > MaxTitreRunes:
		fe["titre"] = "Cet intitulé est trop long (300 caractères au plus)."
	}
	if utf8.RuneCountInString(a.Description) > domain.MaxCommentRunes {
		fe["description"] = "Ce texte est trop long (5 000 caractères au plus)."
	}
	if !a.Origine.Valid() {
		fe["origine"] = "Choisissez l'origine de l'action."
	}
	if a.Origine == OrigineConstat && a.ConstatID <= 0 {
		fe["origine"] = "Une action issue d'un constat d'audit est créée depuis ce constat."
	}
	if a.Origine == OrigineAvis && a.AutoevaluationID <= 0 {
		fe["origine"] = "Une action issue de l'avis régional est créée depuis la remarque de la revue."
	}
	if (a.Origine == OrigineAutoeval || a.Origine == OrigineAvis) && len(a.Items) == 0 {
		fe["items"] = "Indiquez au moins un élément du référentiel concerné."
	}
	if a.PiloteID <= 0 {
		fe["pilote"] = "Choisissez le·la pilote de l'action."
	}
	if !a.Priorite.Valid() {
		fe["priorite"] = "Choisissez une priorité."
	}
	if a.Echeance.IsZero() {
		fe["echeance"] = "Indiquez une échéance valide (jj/mm/aaaa)."
	}
	return fe.Err()
}

// Changement is a change of an action's status, with what the new status needs.
type Changement struct {
	Statut Statut
	// PreuveID and RealiseeLe: the proof of a realised action.
	PreuveID   int64
	RealiseeLe time.Time
	// Motif: the reason of an abandonment.
	Motif string
	// Commentaire goes to the history.
	Commentaire string
	// BaseVersion is the version the change was made from.
	BaseVersion int
}

// Apply checks that the status of an action may change from "from" as c asks,
// on today's calendar day: an open action may move to any other status; a
// realised or abandoned one is closed and changes no more (ECONFLICT).
// Réalisée needs a piece of evidence and a date not in the future; abandonnée
// a reason (EINVALID, per field).
func (c Changement) Apply(from Statut, today time.Time) error {
	if !c.Statut.Valid() {
		return domain.FieldErrors{"statut": "Choisissez un statut."}.Err()
	}
	if !from.Open() {
		return domain.Errorf(domain.ECONFLICT, "L'action est « %s » : son statut ne change plus.", from.Label())
	}
	if c.Statut == from {
		return domain.FieldErrors{"statut": "L'action est déjà « " + from.Label() + " »."}.Err()
	}
	fe := domain.FieldErrors{}
	switch c.Statut {
	case Realisee:
		if c.PreuveID <= 0 {
			fe["preuve"] = "Choisissez l'élément de preuve de la réalisation."
		}
		switch {
		case c.RealiseeLe.IsZero():
			fe["realisee_le"] = "Indiquez la date de réalisation (jj/mm/aaaa)."
		case day(c.RealiseeLe).After(day(today)):
			fe["realisee_le"] = "La date de réalisation ne peut pas être dans le futur."
		}
	case Abandonnee:
		if strings.TrimSpace(c.Motif) == "" {
			fe["motif"] = "Indiquez le motif de l'abandon."
		}
	}
	if utf8.RuneCountInString(c.Motif) > domain.MaxCommentRunes || utf8.RuneCountInString(c.Commentaire) > domain.MaxCommentRunes {
		fe["commentaire"] = "Ce texte est trop long (5 000 caractères au plus)."
	}
	return fe.Err()
}

// Evenement is one line of an action's history.
type Evenement struct {
	Kind   string // creation, statut, commentaire
	Statut Statut
	Texte  string
	By     string
	Role   domain.Role
	At     time.Time
}
