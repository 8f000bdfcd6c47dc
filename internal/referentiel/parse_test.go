package referentiel_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/unml/cadre/internal/referentiel"
)

// base is a small valid file with one volet of each type; the malformed cases
// below each break it in one place.
const base = `# A comment, which must not matter.
code: test
version: "1"
titre: "Référentiel de test"
source: "Tests"
echelle:
  niveaux:
    - {valeur: 1, libelle: "Insuffisant"}
    - {valeur: 2, libelle: "Suffisant"}
  non_concerne: "Non concerné"
volets:
  - code: G
    type: caracteristiques
    titre: "Gouvernance"
    caracteristiques:
      - code: G.C1
        texte: "Caractéristique"
        modalites:
          - code: G.C1.M1
            texte: "Modalité"
            precisions: ["Précision"]
  - code: O
    type: offre
    titre: "Offre"
    fonctions:
      - code: F1
        titre: "Fonction"
        finalite: "Finalité"
        realisations:
          - code: F1.R1
            texte: "Réalisation"
            criteres:
              - code: F1.R1.C1
                texte: "Critère"
        ressources:
          rh:
            intro: "Introduction :"
            conditions:
              - code: F1.RH.1
                texte: "Condition"
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
            preuves: ["Preuve"]
`

// want locates an expected problem by the nth (0-based) line of the broken file
// containing at, and checks that its message contains msg.
type want struct {
	at  string
	nth int
	msg string
}

func lineOf(t *testing.T, doc, at string, nth int) int {
	t.Helper()
	for i, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, at) {
			if nth == 0 {
				return i + 1
			}
			nth--
		}
	}
	t.Fatalf("no line contains %q", at)
	return 0
}

// checkProblems asserts that err lists exactly the wanted problems, in line order.
func checkProblems(t *testing.T, doc string, err error, wants []want) {
	t.Helper()
	var verr *referentiel.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error = %v (%T), want a *ValidationError", err, err)
	}
	if len(verr.Problems) != len(wants) {
		t.Errorf("%d problems, want %d:\n%v", len(verr.Problems), len(wants), err)
	}
	for i, w := range wants {
		if i >= len(verr.Problems) {
			break
		}
		p := verr.Problems[i]
		line := 0
		if w.at != "" {
			line = lineOf(t, doc, w.at, w.nth)
		}
		if p.Line != line || !strings.Contains(p.Message, w.msg) {
			t.Errorf("problem #%d = %d: %s\nwant %d: …%s…", i+1, p.Line, p.Message, line, w.msg)
		}
	}
}

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("base does not contain " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
}

func TestParseBaseIsValid(t *testing.T) {
	t.Parallel()
	ref, err := referentiel.Parse("base.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ref.Items()); n != 5 {
		t.Errorf("%d items, want 5", n)
	}
	if r := ref.Volets[1].Fonctions[0].Ressources[0]; r.Volet != referentiel.RessourceRH || r.Intro != "Introduction :" {
		t.Errorf("ressources = %+v", r)
	}
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(string) string
		wants  []want
	}{
		// The unclosed quote swallows the line break: the parser only stumbles on the next line.
		{"unclosed quote", replace(`titre: "Référentiel de test"`, `titre: "Référentiel de test`),
			[]want{{at: `source: "Tests"`, msg: "YAML syntax error"}}},
		// The mistake authors will make: French puts a space before ":", which YAML
		// reads as a key unless the text is quoted.
		{"unquoted text with a colon", replace(`titre: "Gouvernance"`, `titre: La gouvernance : une spécificité`),
			[]want{{at: "La gouvernance", msg: "YAML syntax error"}}},
		{"syntax error in a flow mapping", replace(`libelle: "Insuffisant"}`, `libelle: "Insuffisant"`),
			[]want{{at: `valeur: 2`, msg: "YAML syntax error"}}},
		{"empty file", func(string) string { return "" },
			[]want{{msg: "the file is empty"}}},
		{"not a mapping", func(string) string { return "- code: test\n" },
			[]want{{at: "- code: test", msg: "referentiel must be a mapping of keys, not a list"}}},
		{"second document", func(s string) string { return s + "---\ncode: autre\n" },
			[]want{{at: "code: autre", msg: "remove this second YAML document"}}},

		{"unknown top-level key", replace(`source: "Tests"`, "source: \"Tests\"\nauteur: \"Moi\""),
			[]want{{at: "auteur:", msg: `referentiel: unknown key "auteur"`}}},
		{"unknown item key", replace(`texte: "Engagement"`, "texte: \"Engagement\"\n            commentaire: \"x\""),
			[]want{{at: "commentaire:", msg: `engagement E1.1: unknown key "commentaire"`}}},
		{"misspelled key", replace(`texte: "Condition"`, `textes: "Condition"`),
			[]want{
				{at: "- code: F1.RH.1", msg: `condition F1.RH.1: missing required key "texte"`},
				{at: "textes:", msg: `condition F1.RH.1: unknown key "textes"`},
			}},
		{"duplicate key", replace(`titre: "Fonction"`, "titre: \"Fonction\"\n        titre: \"Bis\""),
			[]want{{at: `titre: "Bis"`, msg: `key "titre" appears twice (first at line 27)`}}},

		{"missing code", replace("- code: E1.1\n            texte:", "- texte:"),
			[]want{{at: `- texte: "Engagement"`, msg: `engagement #1 of groupe E1: missing required key "code"`}}},
		{"missing version", replace("version: \"1\"\n", ""),
			[]want{{at: "code: test", msg: `referentiel: missing required key "version"`}}},
		{"missing titre", replace("    titre: \"Offre\"\n", ""),
			[]want{{at: "- code: O", msg: `volet O: missing required key "titre"`}}},
		{"missing texte", replace("            texte: \"Critère du label\"\n", ""),
			[]want{{at: "- code: L1.1", msg: `critere L1.1: missing required key "texte"`}}},

		{"empty texte", replace(`texte: "Critère"`, `texte: ""`),
			[]want{{at: `texte: ""`, msg: `critere F1.R1.C1: "texte" is empty`}}},
		{"blank texte", replace(`texte: "Critère"`, `texte: "   "`),
			[]want{{at: `texte: "   "`, msg: `critere F1.R1.C1: "texte" is empty`}}},
		{"null texte", replace(`texte: "Critère"`, `texte: # nothing`),
			[]want{{at: "# nothing", msg: `critere F1.R1.C1: "texte" is empty`}}},
		{"empty precision", replace(`precisions: ["Précision"]`, `precisions: ["Précision", ""]`),
			[]want{{at: "precisions:", msg: `modalite G.C1.M1: entry #2 of "precisions" is empty`}}},
		{"empty optional note", replace(`note: "Note"`, `note: ""`),
			[]want{{at: `note: ""`, msg: `groupe E1: "note" is empty`}}},

		{"duplicate item code", replace("- code: L1.1", "- code: F1.R1.C1"),
			[]want{{at: "- code: F1.R1.C1", nth: 1, msg: `critere #1 of chapitre L1: duplicate code "F1.R1.C1" (first used at line 33)`}}},
		{"item code equal to a volet code", replace("- code: E1.1", "- code: O"),
			[]want{{at: "- code: O", nth: 1, msg: `duplicate code "O" (first used at line 22)`}}},
		{"code with spaces", replace("- code: F1.R1.C1", "- code: F1 R1 C1"),
			[]want{{at: "- code: F1 R1 C1", msg: `code "F1 R1 C1" may only contain letters, digits`}}},

		{"unknown volet type", replace("type: chapitres", "type: chapters"),
			[]want{{at: "type: chapters", msg: `volet L: unknown type "chapters" (allowed: caracteristiques, offre, engagements, chapitres)`}}},
		{"missing volet type", replace("    type: chapitres\n", ""),
			[]want{{at: "- code: L", msg: `volet L: missing required key "type"`}}},
		{"children under another type's key", replace("type: engagements", "type: chapitres"),
			[]want{
				{at: "- code: E", msg: `volet E: missing required key "chapitres"`},
				{at: "groupes:", msg: `volet E: key "groupes" does not belong in a volet of type chapitres`},
			}},
		{"unknown resource volet", replace("          rh:", "          juridique:"),
			[]want{{at: "juridique:", msg: `ressources of fonction F1: unknown resource volet "juridique" (allowed: rh, partenariat, organisation, financier, reseau_regional)`}}},
		{"resource volet without conditions", replace("            conditions:\n              - code: F1.RH.1\n                texte: \"Condition\"\n", ""),
			[]want{{at: "intro:", msg: `ressources.rh of fonction F1: missing required key "conditions"`}}},

		{"missing echelle", replace("echelle:\n  niveaux:\n    - {valeur: 1, libelle: \"Insuffisant\"}\n    - {valeur: 2, libelle: \"Suffisant\"}\n  non_concerne: \"Non concerné\"\n", ""),
			[]want{{at: "code: test", msg: `referentiel: missing required key "echelle"`}}},
		{"echelle without niveaux", replace("  niveaux:\n    - {valeur: 1, libelle: \"Insuffisant\"}\n    - {valeur: 2, libelle: \"Suffisant\"}\n", "  niveaux: []\n"),
			[]want{{at: "niveaux: []", msg: `echelle: "niveaux" is empty`}}},
		{"echelle with one niveau", replace("    - {valeur: 2, libelle: \"Suffisant\"}\n", ""),
			[]want{{at: "niveaux:", msg: "at least two niveaux"}}},
		{"non-consecutive valeurs", replace("valeur: 2", "valeur: 3"),
			[]want{{at: "valeur: 3", msg: "valeur 3 does not follow 1: valeurs must be consecutive integers in ascending order"}}},
		{"descending valeurs", replace("valeur: 1", "valeur: 3"),
			[]want{{at: "valeur: 2", msg: "valeur 2 does not follow 3"}}},
		{"duplicate valeurs", replace("valeur: 2", "valeur: 1"),
			[]want{{at: "valeur: 1", nth: 1, msg: "echelle: duplicate valeur 1 (first at line 8)"}}},
		{"empty libelle", replace(`libelle: "Suffisant"`, `libelle: ""`),
			[]want{{at: `libelle: ""`, msg: `niveau #2 of echelle: "libelle" is empty`}}},
		{"duplicate libelle", replace(`libelle: "Suffisant"`, `libelle: "Insuffisant"`),
			[]want{{at: "valeur: 2", msg: `echelle: duplicate libelle "Insuffisant" (first at line 8)`}}},
		{"missing non_concerne", replace("  non_concerne: \"Non concerné\"\n", ""),
			[]want{{at: "niveaux:", msg: `echelle: missing required key "non_concerne"`}}},

		{"volet with no children", func(s string) string { return s[:strings.Index(s, "    chapitres:")] + "    chapitres: []\n" },
			[]want{{at: "chapitres: []", msg: `volet L: "chapitres" is empty: add at least one entry`}}},
		{"référentiel with no volets", func(s string) string { return s[:strings.Index(s, "volets:")] + "volets:\n" },
			[]want{{at: "volets:", msg: `referentiel: "volets" is empty`}}},

		{"version as a number", replace(`version: "1"`, `version: 1.10`),
			[]want{{at: "version: 1.10", msg: `referentiel: "version" must be a text, not a number (put it in double quotes)`}}},
		{"imperatif as a text", replace("imperatif: true", `imperatif: "oui"`),
			[]want{{at: "imperatif:", msg: `critere L1.1: "imperatif" must be true or false, not a text`}}},
		{"valeur as a text", replace("valeur: 2", `valeur: "deux"`),
			[]want{{at: `valeur: "deux"`, msg: `niveau #2 of echelle: "valeur" must be an integer, not a text`}}},
		{"precisions as a text", replace(`precisions: ["Précision"]`, `precisions: "Précision"`),
			[]want{{at: "precisions:", msg: `modalite G.C1.M1: "precisions" must be a list`}}},
		{"item as a text", replace("- code: E1.1\n            texte: \"Engagement\"", `- "Engagement"`),
			[]want{{at: `- "Engagement"`, msg: "engagement #1 of groupe E1 must be a mapping of keys, not a text"}}},
		{"texte as a list", replace(`texte: "Réalisation"`, `texte: ["Réalisation"]`),
			[]want{{at: `texte: ["Réalisation"]`, msg: `realisation F1.R1: "texte" must be a text, not a list`}}},
		{"alias", replace(`texte: "Critère du label"`, `texte: *x`),
			[]want{{at: "*x", msg: `critere L1.1: "texte": aliases (*name) are not supported`}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := c.mutate(base)
			ref, err := referentiel.Parse("broken.yaml", []byte(doc))
			if ref != nil {
				t.Error("a broken file returned a tree")
			}
			checkProblems(t, doc, err, c.wants)
		})
	}
}

// TestParseReportsEveryProblem breaks the real file in four unrelated places: all
// four must come back, with their lines, in one error.
func TestParseReportsEveryProblem(t *testing.T) {
	t.Parallel()
	doc := string(mustRead(t))
	for _, r := range [][2]string{
		{"- code: G.C2.M1", "- code: G.C1.M1"},
		{`titre: "Orienter"`, `titre: ""`},
		{"          financier:\n            conditions:\n              - code: F5.FI.1", "          juridique:\n            conditions:\n              - code: F5.FI.1"},
		{`note: "* Définition`, `notes: "* Définition`},
	} {
		doc = replace(r[0], r[1])(doc)
	}
	_, err := referentiel.Parse(cadreFile, []byte(doc))
	wants := []want{
		{at: "- code: G.C1.M1", nth: 1, msg: `duplicate code "G.C1.M1"`},
		{at: `titre: ""`, msg: `fonction F3: "titre" is empty`},
		{at: "juridique:", msg: `unknown resource volet "juridique"`},
		{at: "notes:", msg: `groupe E3: unknown key "notes"`},
	}
	checkProblems(t, doc, err, wants)

	// Error() is what the CLI prints: one "file:line: message" per problem.
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(wants) {
		t.Fatalf("Error() has %d lines:\n%s", len(lines), err)
	}
	for i, w := range wants {
		prefix := fmt.Sprintf("%s:%d: ", cadreFile, lineOf(t, doc, w.at, w.nth))
		if !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("line %d = %q, want prefix %q", i+1, lines[i], prefix)
		}
	}
}

func TestProblemString(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p    referentiel.Problem
		want string
	}{
		{referentiel.Problem{File: "a.yaml", Line: 3, Message: "m"}, "a.yaml:3: m"},
		{referentiel.Problem{File: "a.yaml", Message: "m"}, "a.yaml: m"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}

func TestParseFS(t *testing.T) {
	t.Parallel()
	fixture := readFixture(t)
	t.Run("valid", func(t *testing.T) {
		refs, err := referentiel.ParseFS(fstest.MapFS{
			"a.yaml":     {Data: []byte(base)},
			"b.yaml":     {Data: fixture},
			"notes.txt":  {Data: []byte("not a référentiel")},
			"sub/c.yaml": {Data: []byte("ignored: true")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 2 || refs[0].Code != "test" || refs[1].Code != "label" {
			t.Errorf("ParseFS returned %d référentiels", len(refs))
		}
	})
	t.Run("problems of every file and a duplicate version", func(t *testing.T) {
		_, err := referentiel.ParseFS(fstest.MapFS{
			"a.yaml": {Data: []byte(base)},
			"b.yaml": {Data: []byte(strings.Replace(base, "# A comment", "# Another comment", 1))},
			"c.yaml": {Data: []byte("code: [\n")},
		})
		var verr *referentiel.ValidationError
		if !errors.As(err, &verr) || len(verr.Problems) != 2 {
			t.Fatalf("error = %v", err)
		}
		if p := verr.Problems[0]; p.File != "b.yaml" || !strings.Contains(p.Message, `version "1" is also defined in a.yaml`) {
			t.Errorf("problem = %v", p)
		}
		if p := verr.Problems[1]; p.File != "c.yaml" || !strings.Contains(p.Message, "YAML syntax error") {
			t.Errorf("problem = %v", p)
		}
	})
}
