// Package campagnes holds the rules of campaigns of self-assessment: what makes a
// campaign valid, its states and their transitions, the Service that is the only
// door for a change, and the closing reminders sent to the Missions Locales that
// have not submitted (Worker). No SQL, no HTTP.
package campagnes

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/domain"
)

// Campagne is a campaign of self-assessment on one référentiel version. It is a
// national object: it has no tenant, only the national team manages it.
type Campagne struct {
	ID            int64
	Nom           string
	ReferentielID int64
	Referentiel   string // title and version, for display
	Ouverture     time.Time
	Cloture       time.Time
	Etat          Etat
	// DelaiObservations is how many days an ML has to answer its audit's
	// provisional report; 0 when created: DefaultDelaiObservations.
	DelaiObservations int
}

// The bounds of a campaign's delay for observations on the audit's
// provisional report, in days, and its default.
const (
	DefaultDelaiObservations = 15
	MinDelaiObservations     = 1
	MaxDelaiObservations     = 120
)

// Etat is the state of a campaign, stored as is in campagnes.etat.
type Etat string

// The states of a campaign.
const (
	EtatPreparation Etat = "preparation" // created; the MLs concerned have no auto-évaluation yet
	EtatOuverte     Etat = "ouverte"     // every ML concerned has its auto-évaluation
	EtatClose       Etat = "close"       // closed
)

// Label returns the French name of the state.
func (e Etat) Label() string {
	switch e {
	case EtatPreparation:
		return "En préparation"
	case EtatOuverte:
		return "Ouverte"
	case EtatClose:
		return "Clôturée"
	}
	return string(e)
}

// Transition is a change of a campaign's state.
type Transition string

// The transitions of a campaign.
const (
	// TrOuvrir opens a campaign in preparation: its MLs get their auto-évaluation.
	TrOuvrir Transition = "ouvrir"
	// TrClore closes an open campaign.
	TrClore Transition = "clore"
)

// Label returns the French name of the transition, as a button says it.
func (t Transition) Label() string {
	switch t {
	case TrOuvrir:
		return "Ouvrir la campagne"
	case TrClore:
		return "Clore la campagne"
	}
	return string(t)
}

// step is one row of the transition table: the only state a transition leaves,
// the state it leads to, and why it is refused from each other known state (a
// format taking the campaign's name), so that the person learns what happened.
type step struct {
	from, to Etat
	refused  map[Etat]string
}

// steps is the transition table of a campaign: preparation → ouverte → close,
// never back.
var steps = map[Transition]step{
	TrOuvrir: {from: EtatPreparation, to: EtatOuverte, refused: map[Etat]string{
		EtatOuverte: "La campagne « %s » est déjà ouverte : ses auto-évaluations ont été créées à son ouverture.",
		EtatClose:   "La campagne « %s » est close : elle ne peut plus être ouverte.",
	}},
	TrClore: {from: EtatOuverte, to: EtatClose, refused: map[Etat]string{
		EtatPreparation: "La campagne « %s » n'est pas encore ouverte : elle ne peut pas être close.",
		EtatClose:       "La campagne « %s » est déjà close.",
	}},
}

// Allows reports whether transition t may leave state e (to offer its button).
func (e Etat) Allows(t Transition) bool {
	s, ok := steps[t]
	return ok && s.from == e
}

// Next returns the state that transition t leads to from state from, for the
// campaign named nom. Any other transition is refused: ECONFLICT with a French
// message naming the campaign when its state does not allow it, EINVALID for an
// unknown transition.
func Next(nom string, from Etat, t Transition) (Etat, error) {
	s, ok := steps[t]
	if !ok {
		return from, domain.Errorf(domain.EINVALID, "Action inconnue.")
	}
	if from == s.from {
		return s.to, nil
	}
	if msg, ok := s.refused[from]; ok {
		return from, domain.Errorf(domain.ECONFLICT, msg, nom)
	}
	return from, domain.Errorf(domain.ECONFLICT, "« %s » n'est pas possible : la campagne « %s » est à l'état « %s ».", t.Label(), nom, from.Label())
}

// MaxNomRunes bounds a campaign's name.
const MaxNomRunes = 200

// Validate checks a campaign's form: a name (200 characters at most), a référentiel
// version, an opening and a closing date, the closing not before the opening. It
// returns EINVALID with French messages on the fields nom, referentiel, ouverture
// and cloture. The name is expected trimmed; whether the référentiel exists is the
// store's question.
func Validate(c Campagne) error {
	fe := domain.FieldErrors{}
	switch {
	case strings.TrimSpace(c.Nom) == "":
		fe["nom"] = "Le nom de la campagne est obligatoire."
	case utf8.RuneCountInString(c.Nom) > MaxNomRunes:
		fe["nom"] = "Le nom de la campagne est trop long (200 caractères au plus)."
	}
	if c.ReferentielID <= 0 {
		fe["referentiel"] = "Choisissez la version du référentiel de la campagne."
	}
	if c.Ouverture.IsZero() {
		fe["ouverture"] = "Saisissez une date d'ouverture valide, par exemple 01/09/2026."
	}
	if c.Cloture.IsZero() {
		fe["cloture"] = "Saisissez une date de clôture valide, par exemple 31/12/2026."
	}
	if !c.Ouverture.IsZero() && !c.Cloture.IsZero() && Day(c.Cloture).Before(Day(c.Ouverture)) {
		fe["cloture"] = "La date de clôture doit être le jour de l'ouverture ou après."
	}
	if c.DelaiObservations != 0 && (c.DelaiObservations < MinDelaiObservations || c.DelaiObservations > MaxDelaiObservations) {
		fe["delai_observations"] = fmt.Sprintf("Indiquez un délai d'observations de %d à %d jours.", MinDelaiObservations, MaxDelaiObservations)
	}
	return fe.Err()
}

// Day returns midnight UTC of t's calendar day (in t's own location): campaign
// dates are days, not instants.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
