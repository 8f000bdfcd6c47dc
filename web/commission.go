package web

// CommissionView is the commission's home: its sessions and the dossiers awaiting a decision.
type CommissionView struct {
	Page
	Sessions  []SessionRow
	EnAttente []DossierRow
	Errors    FormErrors
	Fields    map[string]string
	Date      string
	Membres   string
}

// SessionRow is a session in a list.
type SessionRow struct {
	URL, Date, Membres string
	Dossiers           int
}

// DossierRow is a dossier before the commission.
type DossierRow struct {
	ID, Structure, Campagne, Etat string
}

// SessionView is one session: its agenda and the decisions on it.
type SessionView struct {
	Page
	URL, Date, Membres string
	Agenda             []AgendaRow
	Candidats          []Option
	Resultats          []Option
	AgendaErrors       FormErrors
	// Form is the decision form that was refused, for its dossier.
	Form DecisionForm
}

// AgendaRow is a dossier on the agenda with its decisions.
type AgendaRow struct {
	ID, Structure, Campagne, Etat string
	Decisions                     []DecisionRow
	// Decidable: no decision stands and the dossier has a rapport définitif.
	Decidable bool
	// Representable: its standing decision is an adjournment and it is decided.
	Representable  bool
	RepresenterURL string
}

// DecisionRow is one decision, as recorded.
type DecisionRow struct {
	ID, Resultat, Motifs, Conditions, Delai, By, At string
	CorrectionURL                                   string
	Corrige, CorrigeePar                            string
	Standing                                        bool
}

// DecisionForm is a decision being entered, with its errors.
type DecisionForm struct {
	// For is the dossier (or, for a correction, the decision) the form is about.
	For                                 string
	Resultat, Motifs, Conditions, Delai string
	Errors                              FormErrors
	Fields                              map[string]string
	Correction                          bool
}

// RegistreView is the national register of labels.
type RegistreView struct {
	Page
	Regions []Option
	Region  string
	Rows    []RegistreRow
	Suivis  int
}

// RegistreRow is one ML of the register.
type RegistreRow struct {
	Structure, Region, Statut, Debut, Fin string
	// Suivi: a follow-up audit is due; SuiviURL plans it (the Pôle).
	Suivi    bool
	SuiviURL string
	// SuiviPlanifie says in words the label's latest follow-up audit, once
	// planned ("": none); SuiviAuditURL links to it (the Pôle).
	SuiviPlanifie string
	SuiviAuditURL string
}
