package journal

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/unml/cadre/internal/domain"
)

// The actions of the journal, as stored. Each has a French phrase (Actions).
const (
	ActLogin            = "auth.login"
	ActLoginFailed      = "auth.login_failed"
	ActLogoutEverywhere = "auth.logout_everywhere"
	ActPasswordSet      = "account.password_set"
	ActResetRequested   = "account.reset_requested"
	ActAccountCreated   = "account.created"
	ActAccountDisabled  = "account.disabled"
	ActAccountEnabled   = "account.enabled"
	ActRoleGiven        = "membership.created"
	ActRoleRemoved      = "membership.removed"
	ActSectionsSet      = "membership.sections_set"
	ActRegionCreated    = "region.created"
	ActRegionUpdated    = "region.updated"
	ActStructureCreated = "structure.created"
	ActStructureUpdated = "structure.updated"
	ActSiteCreated      = "site.created"
	ActSiteUpdated      = "site.updated"
	ActReferentielAdded = "referentiel.imported"
	ActCampagneCreated  = "campagne.created"
	ActCampagneOpened   = "campagne.opened"
	ActCampagneClosed   = "campagne.closed"
	ActRappelSent       = "campagne.rappel"
	ActCotationSaved    = "cotation.saved"
	ActTransition       = "autoevaluation.transition"
	ActPreuveCreated    = "preuve.created"
	ActPreuveVersion    = "preuve.version_added"
	ActPreuveUpdated    = "preuve.updated"
	ActPreuveAttached   = "preuve.attached"
	ActPreuveDetached   = "preuve.detached"
	ActPreuveDownloaded = "preuve.downloaded"
	ActPreuveStatut     = "preuve.statut_set"
	ActPreuvesSettings  = "structure.documents_arml_set"
	ActRGPD             = "rgpd.acknowledged"
	ActMailQueued       = "mail.queued"
	ActRevueItem        = "revue.item_avis"
	ActAvisRendu        = "revue.avis_rendu"
	ActRenvoi           = "revue.renvoi"
	ActSeed             = "system.seed"
	// The labelling audit (issue 13).
	ActAuditEnvoi        = "audit.envoi_sans_avis"
	ActAuditAffecte      = "audit.affecte"
	ActAuditSite         = "audit.site_remplace"
	ActAuditNote         = "audit.cotation"
	ActAuditVerdict      = "audit.verdict_preuve"
	ActAuditConstat      = "audit.constat"
	ActAuditObservations = "audit.observations"
	ActAuditReponses     = "audit.reponses"
	ActAuditRapport      = "audit.rapport"
	ActQualification     = "account.qualification_audit"
	ActPlanAction        = "plan.action_created"
	ActPlanStatut        = "plan.statut_set"
	ActPlanComment       = "plan.commented"
	ActSessionCreated    = "commission.session_created"
	ActAgendaAdded       = "commission.agenda_added"
	ActDecision          = "commission.decision"
	ActDecisionCorrigee  = "commission.decision_corrected"
	ActRepresentation    = "commission.representation"
	ActLabelRappel       = "label.rappel"
	ActLabelSeeded       = "label.recorded"
)

// Action is an action with its French phrase, for the filters and the sentences.
type Action struct {
	Code   string
	Phrase string // what the person did, after the name: "a coté"
	Label  string // the filter's name of it: "Cotation enregistrée"
}

// Actions lists every action in the filters' order.
var Actions = []Action{
	{ActLogin, "s'est connecté·e", "Connexion"},
	{ActLoginFailed, "a échoué à se connecter avec l'adresse", "Échec de connexion"},
	{ActLogoutEverywhere, "a fermé toutes ses sessions", "Déconnexion partout"},
	{ActPasswordSet, "a choisi le mot de passe du compte", "Mot de passe choisi"},
	{ActResetRequested, "a demandé la réinitialisation du mot de passe de", "Réinitialisation demandée"},
	{ActAccountCreated, "a créé le compte", "Compte créé"},
	{ActAccountDisabled, "a désactivé le compte", "Compte désactivé"},
	{ActAccountEnabled, "a réactivé le compte", "Compte réactivé"},
	{ActRoleGiven, "a donné un rôle à", "Rôle donné"},
	{ActRoleRemoved, "a retiré un rôle à", "Rôle retiré"},
	{ActSectionsSet, "a changé les sections confiées à", "Sections confiées"},
	{ActRegionCreated, "a créé la région", "Région créée"},
	{ActRegionUpdated, "a modifié la région", "Région modifiée"},
	{ActStructureCreated, "a créé la Mission Locale", "Mission Locale créée"},
	{ActStructureUpdated, "a modifié la Mission Locale", "Mission Locale modifiée"},
	{ActSiteCreated, "a créé le lieu d'accueil", "Lieu créé"},
	{ActSiteUpdated, "a modifié le lieu d'accueil", "Lieu modifié"},
	{ActReferentielAdded, "a importé le référentiel", "Référentiel importé"},
	{ActCampagneCreated, "a créé la campagne", "Campagne créée"},
	{ActCampagneOpened, "a ouvert la campagne", "Campagne ouverte"},
	{ActCampagneClosed, "a clos la campagne", "Campagne close"},
	{ActRappelSent, "a envoyé un rappel pour", "Rappel envoyé"},
	{ActCotationSaved, "a coté", "Cotation"},
	{ActTransition, "a fait avancer l'auto-évaluation", "Étape de la démarche"},
	{ActPreuveCreated, "a déposé l'élément de preuve", "Preuve déposée"},
	{ActPreuveVersion, "a déposé une nouvelle version de", "Nouvelle version"},
	{ActPreuveUpdated, "a modifié l'élément de preuve", "Preuve modifiée"},
	{ActPreuveAttached, "a rattaché une preuve à", "Preuve rattachée"},
	{ActPreuveDetached, "a détaché une preuve de", "Preuve détachée"},
	{ActPreuveDownloaded, "a téléchargé", "Téléchargement"},
	{ActPreuveStatut, "a statué sur l'élément de preuve", "Statut de preuve"},
	{ActPreuvesSettings, "a changé l'accès de l'ARML aux documents de", "Accès de l'ARML"},
	{ActRGPD, "a pris connaissance de l'avertissement RGPD", "Avertissement RGPD"},
	{ActMailQueued, "a mis en file un courriel pour", "Courriel"},
	{ActRevueItem, "a donné l'avis régional sur", "Avis sur un élément"},
	{ActAvisRendu, "a rendu l'avis régional sur l'auto-évaluation", "Avis régional rendu"},
	{ActRenvoi, "a renvoyé pour compléments l'auto-évaluation", "Renvoi pour compléments"},
	{ActSeed, "a chargé le jeu de données", "Jeu de données chargé"},
	{ActAuditEnvoi, "a envoyé à l'audit sans avis régional l'auto-évaluation", "Envoi à l'audit sans avis"},
	{ActAuditAffecte, "a affecté l'audit", "Audit affecté"},
	{ActAuditSite, "a remplacé un lieu de l'échantillon de l'audit", "Lieu remplacé"},
	{ActAuditNote, "a donné la cotation d'audit de", "Cotation d'audit"},
	{ActAuditVerdict, "a statué, pour l'audit, sur", "Verdict sur une preuve"},
	{ActAuditConstat, "a enregistré un constat d'audit :", "Constat d'audit"},
	{ActAuditObservations, "a formulé les observations de la Mission Locale sur l'audit", "Observations sur l'audit"},
	{ActAuditReponses, "a répondu aux observations sur l'audit", "Réponses aux observations"},
	{ActAuditRapport, "a émis le rapport de l'audit", "Rapport d'audit"},
	{ActQualification, "a changé la qualification d'auditeur·rice de", "Qualification d'auditeur"},
	{ActPlanAction, "a créé l'action du plan d'amélioration", "Action créée"},
	{ActPlanStatut, "a changé le statut de l'action", "Statut d'action"},
	{ActPlanComment, "a commenté l'action", "Commentaire d'action"},
	{ActSessionCreated, "a créé la session de la commission du", "Session de commission créée"},
	{ActAgendaAdded, "a inscrit à l'ordre du jour de la commission l'auto-évaluation", "Inscription à l'ordre du jour"},
	{ActDecision, "a enregistré la décision de la commission sur l'auto-évaluation", "Décision de la commission"},
	{ActDecisionCorrigee, "a corrigé la décision de la commission sur l'auto-évaluation", "Décision corrigée"},
	{ActRepresentation, "a présenté à nouveau à la commission l'auto-évaluation", "Nouvelle présentation"},
	{ActLabelRappel, "a envoyé un rappel d'expiration pour le label de", "Rappel d'expiration"},
	{ActLabelSeeded, "a enregistré le label de", "Label enregistré"},
}

// ObjectTypes names the kinds of objects, for the filters.
var ObjectTypes = []struct{ Code, Label string }{
	{"user", "Compte"}, {"membership", "Rôle"}, {"region", "Région"}, {"structure", "Mission Locale"}, {"site", "Lieu d'accueil"},
	{"referentiel", "Référentiel"}, {"campagne", "Campagne"}, {"autoevaluation", "Auto-évaluation"}, {"cotation", "Cotation"},
	{"preuve", "Élément de preuve"}, {"mail", "Courriel"}, {"revue", "Revue régionale"}, {"dataset", "Jeu de données"},
	{"audit", "Audit"},
	{"plan_action", "Action du plan"}, {"commission_session", "Session de commission"}, {"label", "Label"},
}

// KnownAction reports whether code is an action of the journal.
func KnownAction(code string) bool {
	for _, a := range Actions {
		if a.Code == code {
			return true
		}
	}
	return false
}

// KnownObjectType reports whether code is an object type of the journal.
func KnownObjectType(code string) bool {
	for _, o := range ObjectTypes {
		if o.Code == code {
			return true
		}
	}
	return false
}

// Sentence writes the entry in French: "Nolwenn Qualité a coté F2.R1.C1 : 2 → 3".
func Sentence(e Entry) string {
	who := e.ActorNom
	if who == "" {
		who = "Le système"
		if e.Action == ActLoginFailed || e.Action == ActResetRequested {
			who = "Un·e visiteur·se"
		}
	}
	phrase := e.Action
	for _, a := range Actions {
		if a.Code == e.Action {
			phrase = a.Phrase
		}
	}
	s := who + " " + phrase
	if e.Label != "" && e.Action != ActLogin && e.Action != ActLogoutEverywhere && e.Action != ActRGPD {
		s += " " + e.Label
	}
	if d := detail(e); d != "" {
		s += " : " + d
	}
	return s
}

// detail is what changed, for the actions where it says more than the label.
func detail(e Entry) string {
	var before, after map[string]any
	_ = json.Unmarshal(e.Before, &before)
	_ = json.Unmarshal(e.After, &after)
	switch e.Action {
	case ActCotationSaved:
		return cote(before) + " → " + cote(after)
	case ActTransition, ActCampagneOpened, ActCampagneClosed, ActPreuveStatut:
		if b, a := str(before, "etat_label"), str(after, "etat_label"); a != "" {
			if b == "" {
				return a
			}
			return b + " → " + a
		}
	case ActRoleGiven, ActRoleRemoved:
		m := after
		if e.Action == ActRoleRemoved {
			m = before
		}
		if r := str(m, "role"); r != "" {
			return domain.Role(r).Label()
		}
	case ActPreuvesSettings:
		if v, ok := after["documents_arml"].(bool); ok {
			return map[bool]string{true: "autorisé", false: "refusé"}[v]
		}
	case ActRegionUpdated, ActStructureUpdated, ActSiteUpdated, ActPreuveUpdated:
		return changedFields(before, after)
	}
	return ""
}

// cote writes an answer: its value, "non concerné" or "sans réponse".
func cote(m map[string]any) string {
	if m == nil {
		return "sans réponse"
	}
	if nc, _ := m["non_concerne"].(bool); nc {
		return "non concerné"
	}
	if v, ok := m["valeur"].(float64); ok && v != 0 {
		return fmt.Sprintf("%g", v)
	}
	return "sans réponse"
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// changedFields names the fields whose values differ, in a stable order.
func changedFields(before, after map[string]any) string {
	var names []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if k == "updated_at" || k == "created_at" {
			continue
		}
		if fmt.Sprint(before[k]) != fmt.Sprint(after[k]) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "champs " + strings.Join(names, ", ")
}
