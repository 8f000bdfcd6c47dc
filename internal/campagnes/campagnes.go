// Package campagnes holds the rules of campaigns of self-assessment: what makes a
// campaign valid, its states, and the closing reminders sent to the Missions
// Locales that have not submitted (Worker). No SQL, no HTTP.
package campagnes

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/domain"
)

// The states of a campaign (domain.Campagne.Etat).
const (
	EtatPreparation = "preparation" // created; the MLs concerned have no auto-évaluation yet
	EtatOuverte     = "ouverte"     // every ML concerned has its auto-évaluation
	EtatClose       = "close"       // closed
)

// EtatLabel returns the French name of a campaign's state.
func EtatLabel(etat string) string {
	switch etat {
	case EtatPreparation:
		return "En préparation"
	case EtatOuverte:
		return "Ouverte"
	case EtatClose:
		return "Close"
	}
	return etat
}

// MaxNomRunes bounds a campaign's name.
const MaxNomRunes = 200

// Validate checks a campaign's form: a name (200 characters at most), a référentiel
// version, an opening and a closing date, the closing not before the opening. It
// returns EINVALID with French messages on the fields nom, referentiel, ouverture
// and cloture. The name is expected trimmed; whether the référentiel exists is the
// store's question.
func Validate(c domain.Campagne) error {
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
	return fe.Err()
}

// Day returns midnight UTC of t's calendar day (in t's own location): campaign
// dates are days, not instants.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
