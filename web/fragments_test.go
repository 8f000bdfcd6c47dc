package web

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/referentiel"
)

// A rating card renders its item's texts and scale once per référentiel
// version, and still shows each answer's own radio checked.
func TestItemCardFragments(t *testing.T) {
	v := SectionView{Referentiel: "test-fragments:1", Editable: true, NonConcerne: "Non concerné",
		Scale: []referentiel.Niveau{{Valeur: 1, Libelle: "Pas du tout"}, {Valeur: 2, Libelle: "En partie"}, {Valeur: 3, Libelle: "Tout à fait"}}}
	it := ItemView{Code: "F2.1.1", Texte: "Accueillir", Aide: "Repère <b>", Precisions: []string{"Une précision"}}
	checked := regexp.MustCompile(`id="([^"]+)"[^>]*value="[^"]*" checked`)
	render := func(it ItemView) string {
		var b strings.Builder
		if err := itemCard(v, it).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, tc := range []struct {
		answer autoeval.Cotation
		want   string // the checked radio's id; "" when none (a value off the scale)
	}{
		{autoeval.Cotation{}, "valeur-F2.1.1-aucune"},
		{autoeval.Cotation{Valeur: 2}, "valeur-F2.1.1-2"},
		{autoeval.Cotation{Valeur: 3}, "valeur-F2.1.1-3"},
		{autoeval.Cotation{NonConcerne: true, Justification: "x"}, "valeur-F2.1.1-nc"},
		{autoeval.Cotation{Valeur: 2}, "valeur-F2.1.1-2"},
		{autoeval.Cotation{Valeur: 9}, ""},
		{autoeval.Cotation{}, "valeur-F2.1.1-aucune"},
	} {
		it.Answer = tc.answer
		html := render(it)
		var got []string
		for _, m := range checked.FindAllStringSubmatch(html, -1) {
			got = append(got, m[1])
		}
		if want := tc.want; (want == "" && len(got) != 0) || (want != "" && (len(got) != 1 || got[0] != want)) {
			t.Errorf("answer %+v: checked %v, want %q", tc.answer, got, want)
		}
		if !strings.Contains(html, "Repère &lt;b&gt;") || !strings.Contains(html, "<li>Une précision</li>") {
			t.Errorf("answer %+v: the item's details are missing or unescaped:\n%s", tc.answer, html)
		}
	}
	if _, ok := fragments.Load("test-fragments:1/details/F2.1.1"); !ok {
		t.Error("the item's details were not kept for its référentiel version")
	}
	// Without a version nothing is kept, and the card still renders.
	v.Referentiel, it.Answer, it.Code = "", autoeval.Cotation{Valeur: 3}, "F9.9.9"
	if got := checked.FindAllStringSubmatch(render(it), -1); len(got) != 1 || got[0][1] != "valeur-F9.9.9-3" {
		t.Errorf("without a version: checked %v", got)
	}
	fragments.Range(func(k, _ any) bool {
		if strings.Contains(k.(string), "F9.9.9") {
			t.Errorf("kept %q without a version", k)
		}
		return true
	})
}
