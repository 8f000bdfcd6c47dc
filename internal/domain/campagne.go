package domain

import "time"

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
