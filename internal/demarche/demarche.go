// Package demarche holds the state machine of one Mission Locale's dossier in a
// campaign (DESIGN.md §4): its states, the transitions between them, and who
// may take each. Every step of the labelling (self-assessment, regional review,
// audit, decision) moves the dossier through it. The stored values of states
// and transitions are these French words.
package demarche

import (
	"strings"
	"time"

	"github.com/unml/cadre/internal/domain"
)

// Etat is the state of one ML's dossier (its auto-évaluation) in a campaign.
type Etat string

// The states of the démarche, in order.
const (
	EnCours           Etat = "en_cours"
	Soumise           Etat = "soumise"
	AvisRendu         Etat = "avis_rendu"
	EnAudit           Etat = "en_audit"
	RapportProvisoire Etat = "rapport_provisoire"
	RapportDefinitif  Etat = "rapport_definitif"
	Decidee           Etat = "decidee"
)

// Etats lists the states in the order of the démarche.
var Etats = []Etat{EnCours, Soumise, AvisRendu, EnAudit, RapportProvisoire, RapportDefinitif, Decidee}

// Label returns the state's French name.
func (e Etat) Label() string {
	switch e {
	case EnCours:
		return "En cours"
	case Soumise:
		return "Soumise"
	case AvisRendu:
		return "Avis régional rendu"
	case EnAudit:
		return "En audit"
	case RapportProvisoire:
		return "Rapport provisoire"
	case RapportDefinitif:
		return "Rapport définitif"
	case Decidee:
		return "Décidée"
	}
	return string(e)
}

// Editable reports whether the ML may still change its ratings in state e.
func (e Etat) Editable() bool { return e == EnCours }

// Transition is a step of the démarche, stored as the French verb that names it.
type Transition string

// The transitions of DESIGN.md §4.
const (
	Soumettre               Transition = "soumettre"                // the director submits the self-assessment
	RendreAvis              Transition = "rendre_avis"              // the ARML gives its regional opinion
	AffecterAudit           Transition = "affecter_audit"           // the UNML assigns the audit
	Renvoyer                Transition = "renvoyer"                 // ARML or UNML send it back for completion, with reasons
	RendreRapport           Transition = "rendre_rapport"           // the auditor writes the provisional report
	TransmettreObservations Transition = "transmettre_observations" // the ML answers; the report becomes final
	Decider                 Transition = "decider"                  // the UNML records the commission's decision
	// The audit's own steps (issue 13).
	AffecterSansAvis Transition = "affecter_sans_avis"        // the UNML assigns the audit of a submitted dossier without an avis régional, with a reason
	EmettreDefinitif Transition = "emettre_rapport_definitif" // the pair issues the final report, after the ML's observations
	// Representer puts an adjourned dossier back before the commission once its
	// conditions are met (the commission's Service checks that the latest
	// decision is an adjournment): it is again a rapport définitif.
	Representer Transition = "representer"
)

// Label returns the transition's French name.
func (t Transition) Label() string {
	switch t {
	case Soumettre:
		return "Soumission"
	case RendreAvis:
		return "Avis régional"
	case AffecterAudit:
		return "Affectation de l'audit"
	case Renvoyer:
		return "Renvoi pour compléments"
	case RendreRapport:
		return "Rapport d'audit provisoire"
	case TransmettreObservations:
		return "Observations de la Mission Locale"
	case Decider:
		return "Décision de la commission"
	case AffecterSansAvis:
		return "Affectation de l'audit sans avis régional"
	case EmettreDefinitif:
		return "Rapport d'audit définitif"
	case Representer:
		return "Nouvelle présentation à la commission"
	}
	return string(t)
}

// step is one allowed transition: from which states, to which, by which roles.
type step struct {
	from  []Etat
	to    Etat
	roles []domain.Role
	// reasons: the transition needs a comment (a return, a decision).
	reasons bool
}

var steps = map[Transition]step{
	Soumettre:               {from: []Etat{EnCours}, to: Soumise, roles: []domain.Role{domain.RoleDirecteur}},
	RendreAvis:              {from: []Etat{Soumise}, to: AvisRendu, roles: []domain.Role{domain.RoleReferentARML}},
	AffecterAudit:           {from: []Etat{AvisRendu}, to: EnAudit, roles: []domain.Role{domain.RolePole}},
	Renvoyer:                {from: []Etat{Soumise, AvisRendu, EnAudit}, to: EnCours, roles: []domain.Role{domain.RoleReferentARML, domain.RolePole}, reasons: true},
	RendreRapport:           {from: []Etat{EnAudit}, to: RapportProvisoire, roles: []domain.Role{domain.RoleAuditeur}},
	TransmettreObservations: {from: []Etat{RapportProvisoire}, to: RapportDefinitif, roles: []domain.Role{domain.RoleDirecteur}},
	Decider:                 {from: []Etat{RapportDefinitif}, to: Decidee, roles: []domain.Role{domain.RolePole}, reasons: true},
	AffecterSansAvis:        {from: []Etat{Soumise}, to: EnAudit, roles: []domain.Role{domain.RolePole}, reasons: true},
	EmettreDefinitif:        {from: []Etat{RapportProvisoire}, to: RapportDefinitif, roles: []domain.Role{domain.RoleAuditeur}},
	Representer:             {from: []Etat{Decidee}, to: RapportDefinitif, roles: []domain.Role{domain.RolePole}, reasons: true},
}

// Next returns the state that transition t leads to from state from, taken by
// someone holding role; any other transition is refused with a French message:
// ECONFLICT when the state does not allow it, EFORBIDDEN when the role may not,
// EINVALID (on commentaire) when reasons are needed and missing.
func Next(from Etat, t Transition, role domain.Role, commentaire string) (Etat, error) {
	s, ok := steps[t]
	if !ok {
		return from, domain.Errorf(domain.EINVALID, "Action inconnue.")
	}
	allowedFrom := false
	for _, e := range s.from {
		allowedFrom = allowedFrom || e == from
	}
	if !allowedFrom {
		return from, domain.Errorf(domain.ECONFLICT, "« %s » n'est pas possible : l'auto-évaluation est à l'état « %s ».", t.Label(), from.Label())
	}
	allowedRole := false
	for _, r := range s.roles {
		allowedRole = allowedRole || r == role
	}
	if !allowedRole {
		return from, domain.Errorf(domain.EFORBIDDEN, "« %s » n'est pas possible avec le rôle %s.", t.Label(), role.Label())
	}
	if s.reasons && strings.TrimSpace(commentaire) == "" {
		return from, domain.FieldErrors{"commentaire": "Indiquez les motifs."}.Err()
	}
	return s.to, nil
}

// Record is a transition as the dossier's history keeps it.
type Record struct {
	Action      Transition
	From, To    Etat
	By          string
	Role        domain.Role
	Commentaire string
	At          time.Time
}
