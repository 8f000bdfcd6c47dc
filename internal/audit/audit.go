// Package audit holds the labelling audit of a Mission Locale's dossier
// (DESIGN.md §2, §4, §5; issue 13): the pair of auditors and the conflict
// rule, the sample of sites drawn from a stored seed, the audit rating per
// item, the verdict per piece of evidence, the findings (constats), the
// provisional and final reports with the ML's observations, and the three
// verdicts side by side; and the Service that decides who may see and do each.
// ("audit" is the labelling audit; the log of changes is the journal.)
package audit

import (
	"strconv"
	"time"

	"github.com/unml/cadre/internal/domain"
)

// Nature is the kind of an audit, stored as is. The label's follow-up audit
// (suivi) and renewal reuse it.
type Nature string

// The kinds of audit.
const (
	Initial        Nature = "initial"
	Suivi          Nature = "suivi"
	Renouvellement Nature = "renouvellement"
)

// Natures lists the kinds in display order.
var Natures = []Nature{Initial, Suivi, Renouvellement}

// Label returns the kind's French name.
func (n Nature) Label() string {
	switch n {
	case Initial:
		return "Audit initial"
	case Suivi:
		return "Audit de suivi"
	case Renouvellement:
		return "Audit de renouvellement"
	}
	return string(n)
}

// Valid reports whether n is a known kind.
func (n Nature) Valid() bool {
	for _, k := range Natures {
		if n == k {
			return true
		}
	}
	return false
}

// LabelSuivi is what a follow-up audit of a dossier depends on.
type LabelSuivi struct {
	// EnVigueur: the ML holds, today, the label the dossier's decision gave.
	EnVigueur bool
	// Ouvert is the dossier's follow-up audit not at its rapport définitif (0: none).
	Ouvert int64
}

// Qualification is what an auditor is qualified as, stored on the account.
type Qualification string

// The qualifications of a pair's two members.
const (
	Certifie Qualification = "certifie"
	Reseau   Qualification = "reseau"
)

// Qualifications lists them in display order.
var Qualifications = []Qualification{Certifie, Reseau}

// Label returns the qualification's French name.
func (q Qualification) Label() string {
	switch q {
	case Certifie:
		return "Auditeur·rice certifié·e"
	case Reseau:
		return "Auditeur·rice du réseau"
	}
	return "Non qualifié·e"
}

// Valid reports whether q is a known qualification.
func (q Qualification) Valid() bool { return q == Certifie || q == Reseau }

// Etat is the state of an audit, stored as is.
type Etat string

// The states of an audit.
const (
	EnCours           Etat = "en_cours"
	RapportProvisoire Etat = "rapport_provisoire"
	RapportDefinitif  Etat = "rapport_definitif"
)

// Label returns the state's French name.
func (e Etat) Label() string {
	switch e {
	case EnCours:
		return "En cours"
	case RapportProvisoire:
		return "Rapport provisoire émis"
	case RapportDefinitif:
		return "Rapport définitif émis"
	}
	return string(e)
}

// Auditeur is an auditor account with its qualification and workload.
type Auditeur struct {
	UserID        int64
	Nom, Email    string
	Qualification Qualification
	// Prevus, EnCours, RapportsDus: audits planned (not started), in
	// progress, and with a final report still to issue.
	Prevus, EnCours, RapportsDus int
}

// Audit is one dossier's audit.
type Audit struct {
	ID               int64
	AutoevaluationID int64
	CampagneID       int64
	CampagneNom      string
	StructureID      int64
	StructureNom     string
	RegionID         int64
	ReferentielID    int64
	Nature           Nature
	Certifie, Reseau int64 // the pair's user ids
	CertifieNom      string
	ReseauNom        string
	Debut, Fin       time.Time
	Etat             Etat
	Seed             int64
	// Candidats are the ML's sites when the sample was drawn (by id), Visites
	// those visited by its earlier audits, Siege its siège (0: none): the
	// draw's inputs, kept to replay it.
	Candidats, Visites []int64
	Siege              int64
	// ObservationsLimite: the last day for the ML's observations.
	ObservationsLimite  *time.Time
	ObservationGenerale string
	ReponseGenerale     string
	Synthese            string
	ProvisoireAt        *time.Time
	DefinitifAt         *time.Time
	SansAvisMotif       string // the reason it was sent without an avis régional, if so
}

// Scope locates the audit for the policy.
func (a Audit) Scope() domain.Scope {
	return domain.Scope{RegionID: a.RegionID, StructureID: a.StructureID}
}

// Pair reports whether userID is one of the audit's two auditors.
func (a Audit) Pair(userID int64) bool {
	return userID != 0 && (a.Certifie == userID || a.Reseau == userID)
}

// Frozen reports whether the final report is out: nothing changes any more.
func (a Audit) Frozen() bool { return a.Etat == RapportDefinitif }

// Assignment is what the Pôle decides when it assigns an audit.
type Assignment struct {
	Nature           Nature
	Certifie, Reseau int64
	Debut, Fin       time.Time
	// Seed draws the sample; 0 draws a fresh one (the demo fixes its own).
	Seed int64
}

// Site is a site of the ML as the sampling sees it.
type Site struct {
	ID    int64
	Nom   string
	Kind  string
	Siege bool
}

// SampledSite is one site of an audit's sample.
type SampledSite struct {
	Rang      int
	SiteID    int64
	Nom       string
	TireID    int64 // the site the draw chose in this place
	TireNom   string
	Aleatoire bool
	Siege     bool
	// Justification of a replacement, its author and date (empty: not replaced).
	Justification string
	By            string
	At            *time.Time
}

// Replaced reports whether the site is not the one drawn.
func (s SampledSite) Replaced() bool { return s.SiteID != s.TireID }

// Verdict is an auditor's verdict on one piece of evidence, stored as is.
type Verdict string

// The verdicts on a piece.
const (
	Acceptee Verdict = "acceptee"
	Refusee  Verdict = "refusee"
)

// Label returns the verdict's French name.
func (v Verdict) Label() string {
	switch v {
	case Acceptee:
		return "Acceptée"
	case Refusee:
		return "Refusée"
	}
	return "Sans verdict"
}

// NatureConstat is the kind of a finding, stored as is.
type NatureConstat string

// The kinds of finding, from the best to the worst.
const (
	PointFort      NatureConstat = "point_fort"
	PisteProgres   NatureConstat = "piste_progres"
	PointVigilance NatureConstat = "point_vigilance"
	EcartMineur    NatureConstat = "ecart_mineur"
	EcartMajeur    NatureConstat = "ecart_majeur"
)

// NaturesConstat lists them in display order.
var NaturesConstat = []NatureConstat{PointFort, PisteProgres, PointVigilance, EcartMineur, EcartMajeur}

// Label returns the kind's French name.
func (n NatureConstat) Label() string {
	switch n {
	case PointFort:
		return "Point fort"
	case PisteProgres:
		return "Piste de progrès"
	case PointVigilance:
		return "Point de vigilance"
	case EcartMineur:
		return "Écart mineur"
	case EcartMajeur:
		return "Écart majeur"
	}
	return string(n)
}

// Valid reports whether n is a known kind.
func (n NatureConstat) Valid() bool {
	for _, k := range NaturesConstat {
		if n == k {
			return true
		}
	}
	return false
}

// Ecart reports whether the finding is a gap, which needs an action in the plan.
func (n NatureConstat) Ecart() bool { return n == EcartMineur || n == EcartMajeur }

// Constat is a finding of the audit.
type Constat struct {
	ID          int64
	Nature      NatureConstat
	Texte       string
	Items       []string // item codes
	Sites       []int64  // sampled site ids
	Observation string   // the ML's observation on the provisional report
	Reponse     string   // the pair's answer to it
	By          string
	At          time.Time
}

// Note is an audit rating of one item: a value on the scale (0: none) and a comment.
type Note struct {
	Valeur      int
	Commentaire string
}

// SavedNote is a stored audit rating with its version and last author.
type SavedNote struct {
	Note
	Version int // 0: never given
	By      string
	At      time.Time
}

// NoteChange is an audit rating to save, made from the version the auditor saw.
type NoteChange struct {
	Code        string
	Note        Note
	BaseVersion int
}

// PreuveVerdict is a verdict on a piece with its reason.
type PreuveVerdict struct {
	Verdict Verdict
	Motif   string
}

// SavedVerdict is a stored verdict with its version and last author.
type SavedVerdict struct {
	PreuveVerdict
	Version int
	By      string
	At      time.Time
}

// Preuve is a piece of the ML's evidence as the audit sees it.
type Preuve struct {
	ID     int64
	Titre  string
	Nature string // fichier, lien, sur_place
	URL    string
	Items  []string
}

// SurPlace reports whether the piece is shown on the day, nothing uploaded.
func (p Preuve) SurPlace() bool { return p.Nature == "sur_place" }

// ConflictError lists what the other auditor changed since the page was
// loaded; nothing was saved. It unwraps to an ECONFLICT *domain.Error.
type ConflictError struct {
	// What: "la cotation d'audit de F1.R1.C1", with the other's value.
	What []string
}

func (e *ConflictError) Error() string {
	return domain.ECONFLICT + ": " + strconv.Itoa(len(e.What)) + " audit values changed meanwhile"
}

// Unwrap gives the conflict its code and French message.
func (e *ConflictError) Unwrap() error {
	msg := "L'autre auditeur·rice a modifié ceci depuis le chargement de la page, rien n'a été enregistré :"
	for i, w := range e.What {
		if i > 0 {
			msg += " ;"
		}
		msg += " " + w
	}
	return domain.Errorf(domain.ECONFLICT, "%s. Comparez, puis enregistrez à nouveau.", msg)
}
