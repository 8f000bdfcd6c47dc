package web

// The labelling audit's view models (issue 13): pages take them ready to
// print; the handlers in internal/server/audit.go build them.

// AuditLink is one audit in a list.
type AuditLink struct {
	URL, StructureNom, CampagneNom, Nature, Etat, Dates, Pair string
}

// QueueRow is one dossier of the audit queue.
type QueueRow struct {
	StructureNom, CampagneNom, Etat, Depuis, SansAvisMotif string
	AssignURL, AuditURL                                    string
}

// WorkloadRow is one auditor's qualification and workload.
type WorkloadRow struct {
	Nom, Email, Qualification string
	Prevus, EnCours, Dus      int
}

// AuditsView is the audits' home: the Pôle's queue and workload, an
// auditor's audits, an ML's reports.
type AuditsView struct {
	Page
	Queue    []QueueRow
	Soumises []Option // submitted dossiers that may be sent without an avis
	Workload []WorkloadRow
	Audits   []AuditLink
	CanQueue bool
	Errors   FormErrors
	Motif    string
}

// AffecterView is the assignment form of a dossier.
type AffecterView struct {
	Page
	StructureNom, CampagneNom, Etat, SansAvisMotif string
	Errors                                         FormErrors
	Fields                                         []Field
	Action, BackURL                                string
	Taille                                         string
}

// SampleRow is one site of the sample.
type SampleRow struct {
	Rang                 string
	Nom, Tire, Mode      string
	Justification, Trace string
	Replaceable          bool
}

// AuditSectionLink is a part of the référentiel with its audit progress.
type AuditSectionLink struct {
	URL, Code, Titre, Progress string
}

// AuditPreuveRow is one piece of evidence with its verdict form.
type AuditPreuveRow struct {
	ID, Titre, Nature, Items string
	DownloadURL, LinkURL     string
	Verdict, Motif, Trace    string
	Version                  string
	Action                   string
	SurPlace                 bool
}

// ConstatRow is one finding.
type ConstatRow struct {
	N, Nature, Texte, Items, Sites, URL string
	Ecart                               bool
	Observation, Reponse                string
	ID                                  string
}

// AuditView is an audit's workspace.
type AuditView struct {
	Page
	ID                                   string
	StructureNom, CampagneNom            string
	Nature, Etat, Dates, Pair, SansAvis  string
	Regle, Seed, Candidats, Limite       string
	Sample                               []SampleRow
	Sections                             []AuditSectionLink
	Preuves                              []AuditPreuveRow
	Constats                             []ConstatRow
	Conduct, Replace, Editable, CanFinal bool
	NatureOptions, SiteOptions           []Option
	SampleOptions, ItemHint              []Option
	SiteChoices                          []Option
	Errors                               FormErrors
	Texte                                string
	BaseURL                              string
	Synthese                             string
	Provisoire                           bool
}

// AuditItemRow is one item of a section of the workspace.
type AuditItemRow struct {
	Code, Texte, Imperatif        string
	ML, MLComment, Arml, ArmlNote string
	Note                          int
	Commentaire, Gaps, Trace      string
	Version                       string
	Preuves                       string
}

// AuditSectionView is one part of the référentiel in the workspace.
type AuditSectionView struct {
	Page
	BackURL, Heading, Action string
	Editable                 bool
	Items                    []AuditItemRow
	Scale                    []Option
	Errors                   FormErrors
}

// ConstatView is one finding's screen.
type ConstatView struct {
	Page
	BackURL, PlanURL string
	Constat          ConstatRow
}

// VerifyView tells whether the draw replays.
type VerifyView struct {
	Page
	BackURL, Seed, Regle, Result string
	OK                           bool
}

// RapportView is the provisional or final report, printable.
type RapportView struct {
	Page
	Title, StructureNom, CampagneNom, Nature, Dates, Pair, Etat string
	Synthese, Regle, Seed, Limite                               string
	Sample                                                      []SampleRow
	Parts                                                       []PartRow
	Constats                                                    []ConstatRow
	Preuves                                                     []AuditPreuveRow
	Items                                                       []VerdictRow
	ObservationGenerale, ReponseGenerale                        string
	Observe, Answer, CanFinal, Definitif                        bool
	ObserveAction, AnswerAction, FinalAction, VerdictsURL       string
	BackURL                                                     string
	// Error says why the last form was refused.
	Error string
}

// PartRow is a part's means of the three ratings.
type PartRow struct {
	Titre, ML, Arml, Audit, Gap string
}

// VerdictRow is one item's three ratings.
type VerdictRow struct {
	Code, Texte, ML, Arml, Audit, Gap string
}

// VerdictsView is the three verdicts screen.
type VerdictsView struct {
	Page
	StructureNom, CampagneNom string
	Parts                     []PartRow
	Items                     []VerdictRow
	BackURL                   string
}

// QualificationRow is an auditor on the users' page, with their qualification.
type QualificationRow struct {
	Nom, Email, Value, Action string
}
