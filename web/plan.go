package web

// PlanHome is the overdue actions of the plans a person follows, for the home page.
type PlanHome struct {
	Plans []PlanHomeLink
}

// PlanHomeLink is one plan on the home page with its overdue actions.
type PlanHomeLink struct {
	Nom, URL string
	Total    int
	Overdue  []ActionRow
}

// ActionRow is one action in a list.
type ActionRow struct {
	URL, Titre, Structure, Items, Origine, Pilote, Priorite, Echeance, Statut string
	// Retard: the days late of an overdue action ("" when it is not).
	Retard string
	Closed bool
}

// PlanView is an ML's plan d'amélioration.
type PlanView struct {
	Page
	Structure  string
	URL        string
	NewURL     string
	CanManage  bool
	Retard     bool // only the overdue actions are listed
	Counts     []Option
	Rows       []ActionRow
	Overdue    int
	ExportCSV  string
	ExportXLSX string
}

// ActionFormView is the form of a new action.
type ActionFormView struct {
	Page
	Structure  string
	PlanURL    string
	Action     string
	Errors     FormErrors
	Fields     map[string]string
	Titre      string
	Desc       string
	Items      string
	Origine    string
	OrigineLbl string
	// Hidden fields: the dossier and the finding the action comes from.
	Autoevaluation, Constat string
	Pilote                  string
	Pilotes                 []Option
	Priorite                string
	Priorites               []Option
	Echeance                string
}

// ActionView is one action with its history and forms.
type ActionView struct {
	Page
	URL, PlanURL, Structure string
	Row                     ActionRow
	Description             string
	Preuve, PreuveURL       string
	RealiseeLe, Motif       string
	Origine                 string
	Version                 string
	CanManage, CanComment   bool
	Open                    bool
	Statuts                 []Option
	Preuves                 []Option
	Errors                  FormErrors
	Fields                  map[string]string
	Form                    StatutForm
	CommentErrors           FormErrors
	Comment                 string
	Historique              []ActionEvent
}

// StatutForm is what a refused change of status keeps.
type StatutForm struct {
	Statut, Preuve, RealiseeLe, Motif, Commentaire string
}

// ActionEvent is one line of an action's history.
type ActionEvent struct {
	What, By, At, Texte string
}

// RegionPlansView is the plans of a région's MLs, for its référent.
type RegionPlansView struct {
	Page
	Region  string
	Overdue []ActionRow
	Plans   []PlanHomeLink
}

// fieldError returns the error of the field name, if any.
func (fe FormErrors) fieldError(name string) string {
	for _, f := range fe.Fields {
		if f.Name == name {
			return f.Error
		}
	}
	return ""
}
