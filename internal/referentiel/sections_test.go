package referentiel_test

import (
	"slices"
	"testing"
)

func TestSections(t *testing.T) {
	t.Parallel()
	r := loadCadre(t)
	sections := r.Sections()
	var codes []string
	total := 0
	for _, s := range sections {
		codes = append(codes, s.Code)
		total += len(s.Items)
	}
	if want := []string{"G", "P", "F0", "F1", "F2", "F3", "F4", "F5", "E"}; !slices.Equal(codes, want) {
		t.Errorf("sections = %v, want %v", codes, want)
	}
	if total != len(r.Items()) {
		t.Errorf("sections hold %d items, the référentiel %d", total, len(r.Items()))
	}
	if sections[3].Titre != "Repérer et mobiliser les jeunes" || sections[3].Items[0] != "F1.R1.C1" {
		t.Errorf("F1 = %q, first item %q", sections[3].Titre, sections[3].Items[0])
	}
}
