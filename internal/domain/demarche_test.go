package domain

import (
	"testing"

	"github.com/unml/cadre/internal/referentiel"
)

// TestStateMachine tries every transition from every state with every role: only
// the transitions of DESIGN.md §4 pass, each only for its roles.
func TestStateMachine(t *testing.T) {
	t.Parallel()
	allowed := map[Transition]struct {
		from  []Etat
		to    Etat
		roles []Role
	}{
		TrSubmit:       {[]Etat{EtatEnCours}, EtatSoumise, []Role{RoleDirecteur}},
		TrAvis:         {[]Etat{EtatSoumise}, EtatAvisRendu, []Role{RoleReferentARML}},
		TrAssign:       {[]Etat{EtatAvisRendu}, EtatEnAudit, []Role{RolePole}},
		TrReturn:       {[]Etat{EtatSoumise, EtatAvisRendu, EtatEnAudit}, EtatEnCours, []Role{RoleReferentARML, RolePole}},
		TrReport:       {[]Etat{EtatEnAudit}, EtatRapportProvisoire, []Role{RoleAuditeur}},
		TrObservations: {[]Etat{EtatRapportProvisoire}, EtatRapportDefinitif, []Role{RoleDirecteur}},
		TrDecide:       {[]Etat{EtatRapportDefinitif}, EtatDecidee, []Role{RolePole}},
	}
	in := func(list []Etat, e Etat) bool {
		for _, x := range list {
			if x == e {
				return true
			}
		}
		return false
	}
	hasRole := func(list []Role, r Role) bool {
		for _, x := range list {
			if x == r {
				return true
			}
		}
		return false
	}
	passed := 0
	for tr, rule := range allowed {
		for _, from := range Etats {
			for _, role := range Roles {
				next, err := Next(from, tr, role, "motifs")
				switch {
				case !in(rule.from, from):
					if ErrorCode(err) != ECONFLICT || next != from {
						t.Errorf("%s from %s by %s: (%s, %v), want refused with ECONFLICT", tr, from, role, next, err)
					}
				case !hasRole(rule.roles, role):
					if ErrorCode(err) != EFORBIDDEN || next != from {
						t.Errorf("%s from %s by %s: (%s, %v), want refused with EFORBIDDEN", tr, from, role, next, err)
					}
				default:
					if err != nil || next != rule.to {
						t.Errorf("%s from %s by %s: (%s, %v), want %s", tr, from, role, next, err, rule.to)
					}
					passed++
				}
				if err != nil && ErrorMessage(err) == "Erreur interne." {
					t.Errorf("%s from %s by %s: refusal without a French message", tr, from, role)
				}
			}
		}
	}
	// submit 1 + avis 1 + assign 1 + return 3×2 + report 1 + observations 1 + decide 1
	if passed != 12 {
		t.Errorf("%d transitions allowed, want 12", passed)
	}
	if _, err := Next(EtatEnCours, Transition("teleport"), RolePole, ""); ErrorCode(err) != EINVALID {
		t.Errorf("unknown transition: %v", err)
	}
}

func TestTransitionsThatNeedReasons(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tr   Transition
		from Etat
		role Role
	}{{TrReturn, EtatSoumise, RoleReferentARML}, {TrDecide, EtatRapportDefinitif, RolePole}} {
		if _, err := Next(tc.from, tc.tr, tc.role, "  "); ErrorFields(err)["commentaire"] == "" {
			t.Errorf("%s without reasons: %v, want a field error on commentaire", tc.tr, err)
		}
		if _, err := Next(tc.from, tc.tr, tc.role, "Preuves manquantes sur F2."); err != nil {
			t.Errorf("%s with reasons: %v", tc.tr, err)
		}
	}
	if _, err := Next(EtatEnCours, TrSubmit, RoleDirecteur, ""); err != nil {
		t.Errorf("submit needs no comment: %v", err)
	}
	if !EtatEnCours.Editable() || EtatSoumise.Editable() || EtatDecidee.Editable() {
		t.Error("only « en cours » is editable")
	}
}

func TestCotationValidate(t *testing.T) {
	t.Parallel()
	scale := []int{1, 2, 3, 4}
	for _, tc := range []struct {
		name      string
		c         Cotation
		imperatif bool
		field     string // "" when valid
	}{
		{"a rating", Cotation{Valeur: 3}, false, ""},
		{"a rating with comment", Cotation{Valeur: 1, Commentaire: "À construire."}, true, ""},
		{"cleared", Cotation{}, false, ""},
		{"non concerné justified", Cotation{NonConcerne: true, Justification: "Pas de public."}, false, ""},
		{"outside the scale", Cotation{Valeur: 5}, false, "valeur-X"},
		{"negative", Cotation{Valeur: -1}, false, "valeur-X"},
		{"both", Cotation{Valeur: 2, NonConcerne: true, Justification: "x"}, false, "valeur-X"},
		{"non concerné unjustified", Cotation{NonConcerne: true}, false, "justification-X"},
		{"non concerné on impératif", Cotation{NonConcerne: true, Justification: "x"}, true, "valeur-X"},
		{"comment too long", Cotation{Valeur: 2, Commentaire: string(make([]rune, MaxCommentRunes+1))}, false, "commentaire-X"},
	} {
		err := tc.c.Validate("X", tc.imperatif, scale)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want valid", tc.name, err)
			}
			continue
		}
		if ErrorCode(err) != EINVALID || ErrorFields(err)[tc.field] == "" {
			t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
		}
	}
}

func TestChecklistAndProgress(t *testing.T) {
	t.Parallel()
	items := []referentiel.AssessableItem{
		{Code: "A.1", Volet: "A", Texte: "un"}, {Code: "A.2", Volet: "A", Texte: "deux"},
		{Code: "F1.R1.C1", Volet: "O", Fonction: "F1", Texte: "trois"}, {Code: "F1.R1.C2", Volet: "O", Fonction: "F1", Texte: "quatre"},
	}
	answers := map[string]Cotation{
		"A.1":      {Valeur: 4},
		"A.2":      {NonConcerne: true},
		"F1.R1.C1": {Valeur: 2},
	}
	list := SubmissionChecklist(items, answers)
	if len(list) != 2 || list[0].Code != "A.2" || list[1].Code != "F1.R1.C2" || list[1].Section != "F1" || list[1].Problem != "Non coté" {
		t.Fatalf("checklist = %+v", list)
	}
	answers["A.2"] = Cotation{NonConcerne: true, Justification: "Sans objet."}
	answers["F1.R1.C2"] = Cotation{Valeur: 3}
	if list := SubmissionChecklist(items, answers); len(list) != 0 {
		t.Errorf("complete answers leave %+v", list)
	}
	sections := []referentiel.Section{{Code: "A", Items: []string{"A.1", "A.2"}}, {Code: "F1", Items: []string{"F1.R1.C1", "F1.R1.C2"}}}
	per, all := SectionsProgress(sections, answers)
	if per[0].Rated != 2 || per[0].NonConcerne != 1 || per[0].Mean != 4 || per[1].Mean != 2.5 || per[1].Distribution[3] != 1 {
		t.Errorf("progress = %+v", per)
	}
	if all.Rated != 4 || all.Total != 4 || all.Percent() != 100 || all.Mean != 3 {
		t.Errorf("overall = %+v", all)
	}
}
