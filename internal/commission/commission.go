// Package commission holds the national commission's part of the démarche
// (DESIGN.md §4): its sessions and their agenda of dossiers with a rapport
// définitif, its decisions (labellisé, ajourné with conditions and a
// deadline, non labellisé), final once recorded, and the label's life: its
// validity, the reminders before it expires, the follow-up audit at
// mid-term, and the national register.
package commission

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
)

// Resultat is a decision's outcome, stored as is.
type Resultat string

// The outcomes of a decision.
const (
	Labellise    Resultat = "labellise"
	Ajourne      Resultat = "ajourne"
	NonLabellise Resultat = "non_labellise"
)

// Resultats lists them in display order.
var Resultats = []Resultat{Labellise, Ajourne, NonLabellise}

// Label returns the outcome's French name.
func (r Resultat) Label() string {
	switch r {
	case Labellise:
		return "Labellisé"
	case Ajourne:
		return "Ajourné"
	case NonLabellise:
		return "Non labellisé"
	}
	return string(r)
}

// Valid reports whether r is a known outcome.
func (r Resultat) Valid() bool { return slices.Contains(Resultats, r) }

// DefaultValidite is how long a label lasts unless configured otherwise.
const DefaultValidite = 3 // years

// Session is a session of the commission.
type Session struct {
	ID      int64
	Date    time.Time
	Membres string
	// Dossiers counts the dossiers on its agenda.
	Dossiers int
}

// Normalize trims the members.
func (s *Session) Normalize() { s.Membres = strings.TrimSpace(s.Membres) }

// Validate checks a new session; field names are those of the form.
func (s Session) Validate() error {
	fe := domain.FieldErrors{}
	if s.Date.IsZero() {
		fe["date"] = "Indiquez la date de la session (jj/mm/aaaa)."
	}
	switch n := utf8.RuneCountInString(s.Membres); {
	case n == 0:
		fe["membres"] = "Indiquez les membres de la commission."
	case n > domain.MaxCommentRunes:
		fe["membres"] = "Ce texte est trop long (5 000 caractères au plus)."
	}
	return fe.Err()
}

// Dossier is an ML's dossier before the commission.
type Dossier struct {
	AutoevaluationID int64
	StructureID      int64
	StructureNom     string
	RegionID         int64
	CampagneNom      string
	Etat             demarche.Etat
}

// Decision is a decision of the commission on a dossier.
type Decision struct {
	ID               int64
	SessionID        int64
	SessionDate      time.Time
	AutoevaluationID int64
	StructureID      int64
	Resultat         Resultat
	Motifs           string
	// Conditions and Delai: what an adjourned dossier must meet, and by when.
	Conditions string
	Delai      *time.Time
	// CorrigeID is the decision this one corrects (0: none); CorrigeeParID
	// the one that corrected it (0: it stands).
	CorrigeID     int64
	CorrigeeParID int64
	By            string
	At            time.Time
}

// Normalize trims the texts; an outcome other than ajourné has no conditions.
func (d *Decision) Normalize() {
	d.Motifs, d.Conditions = strings.TrimSpace(d.Motifs), strings.TrimSpace(d.Conditions)
	if d.Resultat != Ajourne {
		d.Conditions, d.Delai = "", nil
	}
}

// Validate checks a decision taken at a session held on sessionDate: an
// outcome and its reasons; an adjournment also needs its conditions and a
// deadline after the session. Field names are those of the form.
func (d Decision) Validate(sessionDate time.Time) error {
	fe := domain.FieldErrors{}
	if !d.Resultat.Valid() {
		fe["resultat"] = "Choisissez la décision."
	}
	if d.Motifs == "" {
		fe["motifs"] = "Indiquez les motifs de la décision."
	}
	if d.Resultat == Ajourne {
		if d.Conditions == "" {
			fe["conditions"] = "Indiquez les conditions à remplir."
		}
		switch {
		case d.Delai == nil:
			fe["delai"] = "Indiquez le délai pour remplir les conditions (jj/mm/aaaa)."
		case !d.Delai.After(sessionDate):
			fe["delai"] = "Le délai doit suivre la date de la session."
		}
	}
	for name, text := range map[string]string{"motifs": d.Motifs, "conditions": d.Conditions} {
		if utf8.RuneCountInString(text) > domain.MaxCommentRunes {
			fe[name] = "Ce texte est trop long (5 000 caractères au plus)."
		}
	}
	return fe.Err()
}

// Label is an ML's label: from Debut to Fin, unless withdrawn by a correction.
type Label struct {
	ID           int64
	StructureID  int64
	StructureNom string
	RegionID     int64
	RegionNom    string
	// DecisionID is the decision that gave it (0: a label older than Cadre).
	DecisionID       int64
	AutoevaluationID int64
	Debut, Fin       time.Time
	RetireLe         *time.Time
}

// NewLabel returns the label a decision taken on debut gives for years years.
func NewLabel(d Decision, debut time.Time, years int) Label {
	return Label{StructureID: d.StructureID, DecisionID: d.ID, AutoevaluationID: d.AutoevaluationID, Debut: debut, Fin: debut.AddDate(years, 0, 0)}
}

// Statut is what the register says of a label on a day.
type Statut string

// The statuses of a label.
const (
	SansLabel Statut = "sans_label"
	Valide    Statut = "valide"
	Expirant  Statut = "expirant" // valid, ending within RappelHorizon months
	Expire    Statut = "expire"
	Retire    Statut = "retire"
)

// Label returns the status's French name.
func (s Statut) Label() string {
	switch s {
	case SansLabel:
		return "Non labellisée"
	case Valide:
		return "Labellisée"
	case Expirant:
		return "Labellisée, expire bientôt"
	case Expire:
		return "Label expiré"
	case Retire:
		return "Label retiré"
	}
	return string(s)
}

// Statut returns the label's status on today's calendar day.
func (l Label) Statut(today time.Time) Statut {
	t := day(today)
	switch {
	case l.ID == 0 && l.Debut.IsZero():
		return SansLabel
	case l.RetireLe != nil:
		return Retire
	case !t.Before(l.Fin):
		return Expire
	case !t.Before(l.Fin.AddDate(0, -RappelHorizon, 0)):
		return Expirant
	}
	return Valide
}

// MiParcours returns the label's mid-term, from which a follow-up audit is due.
func (l Label) MiParcours() time.Time {
	return l.Debut.Add(l.Fin.Sub(l.Debut) / 2).Truncate(24 * time.Hour)
}

// SuiviDu reports whether a follow-up audit is due on today: the label is in
// force and its mid-term is at most three months away or past.
func (l Label) SuiviDu(today time.Time) bool {
	s := l.Statut(today)
	return (s == Valide || s == Expirant) && !day(today).Before(l.MiParcours().AddDate(0, -3, 0))
}

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// The kinds of expiry reminder, as stored in label_rappels.
const (
	RappelM6 = "M-6"
	RappelM3 = "M-3"
)

// RappelHorizon is how many months before the end the first reminder is due.
const RappelHorizon = 6

// RappelDue returns the reminder due on today for a label ending on fin: M-3
// from three months before the end to its eve, M-6 from six months to three,
// none otherwise. A reminder missed (servers down) is still sent while its
// window lasts; when both are late only M-3 goes.
func RappelDue(fin, today time.Time) string {
	t := day(today)
	switch {
	case !t.Before(fin):
		return ""
	case !t.Before(fin.AddDate(0, -3, 0)):
		return RappelM3
	case !t.Before(fin.AddDate(0, -RappelHorizon, 0)):
		return RappelM6
	}
	return ""
}

// Ligne is one ML of the national register: its current label, if any.
type Ligne struct {
	StructureID  int64
	StructureNom string
	RegionID     int64
	RegionNom    string
	Label        Label // zero: never labelled
}
