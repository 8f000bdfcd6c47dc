package referentiel_test

import (
	"strings"
	"testing"

	"github.com/unml/cadre/internal/referentiel"
)

func fingerprint(t *testing.T, doc string) string {
	t.Helper()
	ref, err := referentiel.Parse("f.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return ref.Fingerprint()
}

// reformatted is base with the same content written differently: other
// comments, quoting, flow and block styles, folded text, resource volets in
// another order, blank lines.
const reformatted = `code: "test"
version: '1'

# The title, quoted differently.
titre: Référentiel de test
source: "Tests"
echelle: {niveaux: [{valeur: 1, libelle: Insuffisant}, {libelle: "Suffisant", valeur: 2}], non_concerne: "Non concerné"}
volets:
- code: G
  titre: "Gouvernance"
  type: caracteristiques
  caracteristiques:
  - code: G.C1
    texte: >
      Caractéristique
    modalites:
    - {code: G.C1.M1, texte: "Modalité", precisions: [Précision]}

- code: O
  type: offre
  titre: "Offre"
  fonctions:
  - code: F1
    titre: "Fonction"
    finalite: "Finalité"
    ressources:
      rh:
        conditions: [{code: F1.RH.1, texte: "  Condition  "}]
        intro: "Introduction :"
    realisations:
    - code: F1.R1
      texte: "Réalisation"
      criteres:
      - code: F1.R1.C1
        texte: "Critère" # trailing comment
- code: E
  type: engagements
  titre: "Engagements"
  groupes:
  - code: E1
    titre: "Groupe"
    note: "Note"
    engagements:
    - code: E1.1
      texte: "Engagement"
- code: L
  type: chapitres
  titre: "Label"
  chapitres:
  - code: L1
    titre: "Chapitre"
    criteres:
    - code: L1.1
      texte: "Critère du label"
      imperatif: true
      aide: "Aide"
      preuves:
      - "Preuve"
`

func TestFingerprint(t *testing.T) {
	t.Parallel()
	fp := fingerprint(t, base)
	if len(fp) != 64 || strings.Trim(fp, "0123456789abcdef") != "" {
		t.Fatalf("Fingerprint() = %q, want 64 hex digits", fp)
	}
	if got := fingerprint(t, reformatted); got != fp {
		t.Error("reformatting the file changed its fingerprint")
	}
	if got := fingerprint(t, strings.Replace(base, "# A comment", "# Comments do not count", 1)); got != fp {
		t.Error("a comment changed the fingerprint")
	}
	for _, c := range []struct{ name, old, new string }{
		{"one letter of a texte", `texte: "Critère"`, `texte: "Critere"`},
		{"a precision", `["Précision"]`, `["Précision", "Autre"]`},
		{"the imperatif flag", "imperatif: true", "imperatif: false"},
		{"an aide", `aide: "Aide"`, `aide: "Aide."`},
		{"a code", "- code: E1.1", "- code: E1.2"},
		{"the version", `version: "1"`, `version: "2"`},
		{"a niveau", `libelle: "Suffisant"`, `libelle: "Satisfaisant"`},
		{"a finalite", `finalite: "Finalité"`, `finalite: "Finalités"`},
	} {
		if got := fingerprint(t, strings.Replace(base, c.old, c.new, 1)); got == fp {
			t.Errorf("changing %s kept the fingerprint", c.name)
		}
	}
}
