package autoeval

import (
	"testing"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/referentiel"
)

func TestCotationValidate(t *testing.T) {
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
		{"comment too long", Cotation{Valeur: 2, Commentaire: string(make([]rune, domain.MaxCommentRunes+1))}, false, "commentaire-X"},
	} {
		err := tc.c.Validate("X", tc.imperatif, scale)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want valid", tc.name, err)
			}
			continue
		}
		if domain.ErrorCode(err) != domain.EINVALID || domain.ErrorFields(err)[tc.field] == "" {
			t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
		}
	}
}

func TestChecklistAndProgress(t *testing.T) {
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
