package referentiel

import "testing"

func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Équipes":                "equipes",
		"  mise en   ŒUVRE ":     "mise en oeuvre",
		"l’accès":                "l'acces",
		"« tenir conseil »":      "\" tenir conseil \"",
		"F2.R1.C3":               "f2.r1.c3",
		"Ressources humaines\tà": "ressources humaines a",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
