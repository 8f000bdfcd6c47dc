package referentiel_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/referentiel"
)

func readFixture(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/label-fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The label's référentiel must load through the same Parse as the cadre commun.
func TestLabelFixtureItems(t *testing.T) {
	t.Parallel()
	ref, err := referentiel.Parse("label-fixture.yaml", readFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if ref.Code != "label" || ref.Version != "test-1" || ref.Source != "" {
		t.Errorf("identity = %q %q %q", ref.Code, ref.Version, ref.Source)
	}
	if len(ref.Volets) != 1 || ref.Volets[0].Type != referentiel.TypeChapitres || len(ref.Volets[0].Chapitres) != 3 {
		t.Fatalf("volets = %+v", ref.Volets)
	}

	items := ref.Items()
	var codes []string
	for _, it := range items {
		codes = append(codes, it.Code)
		if it.Kind != referentiel.KindCritere || it.Volet != "L" || it.Fonction != "" || it.Ressource != "" {
			t.Errorf("%s = %+v", it.Code, it)
		}
		if it.Imperatif != (it.Code == "L1.1") {
			t.Errorf("%s: imperatif = %v", it.Code, it.Imperatif)
		}
	}
	if want := []string{"L1.1", "L1.2", "L1.3", "L2.1", "L2.2", "L2.3", "L3.1", "L3.2"}; !slices.Equal(codes, want) {
		t.Errorf("codes = %v, want %v", codes, want)
	}

	it := items[0]
	if it.Texte != "Le conseil d'administration valide chaque année le projet de structure et son bilan." ||
		it.Aide != "Vérifier la date de la dernière délibération et la présence des quatre collèges." ||
		!slices.Equal(it.Preuves, []string{"Procès-verbal du dernier conseil d'administration", "Projet de structure en vigueur"}) ||
		it.Parent != "L1" || !slices.Equal(it.Path, []string{"Les exigences du label", "Gouvernance et pilotage"}) ||
		it.Line != 21 {
		t.Errorf("L1.1 = %+v", it)
	}
	if it := items[2]; !slices.Equal(it.Preuves, []string{"Tableau de bord de l'année écoulée"}) || it.Aide != "" {
		t.Errorf("L1.3 = %+v", it)
	}
	it = items[5]
	if !slices.Equal(it.Precisions, []string{"par une enquête de satisfaction annuelle,", "par des temps d'expression collective."}) ||
		it.Parent != "L2" || !slices.Equal(it.Path, []string{"Les exigences du label", "Accueil et accompagnement des jeunes"}) {
		t.Errorf("L2.3 = %+v", it)
	}

	// Items hands out copies: a caller editing one cannot alter the référentiel.
	items[0].Preuves[0] = "changed"
	if ref.Items()[0].Preuves[0] == "changed" {
		t.Error("Items shares its slices with the tree")
	}
}

func TestKindLibelle(t *testing.T) {
	t.Parallel()
	for k, want := range map[referentiel.Kind]string{
		referentiel.KindModalite:   "Modalité",
		referentiel.KindCritere:    "Critère",
		referentiel.KindCondition:  "Condition",
		referentiel.KindEngagement: "Engagement",
	} {
		if got := k.Libelle(); got != want {
			t.Errorf("%s.Libelle() = %q, want %q", k, got, want)
		}
	}
}

func TestLibelleRessource(t *testing.T) {
	t.Parallel()
	want := []string{"Volet RH", "Volet partenariat", "Volet organisation", "Volet financier", "Avec son réseau régional"}
	var got []string
	for _, k := range referentiel.RessourceVolets() {
		got = append(got, referentiel.LibelleRessource(k))
	}
	if !slices.Equal(got, want) {
		t.Errorf("labels = %v, want %v", got, want)
	}
	if l := referentiel.LibelleRessource("juridique"); l != "" {
		t.Errorf("LibelleRessource(juridique) = %q", l)
	}
}

// The README's complete example is what authors will copy: it must load.
func TestReadmeExampleParses(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../referentiel/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(data), "## A complete small example")
	if !ok {
		t.Fatal("README has no complete example")
	}
	_, after, _ = strings.Cut(after, "```yaml\n")
	example, _, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatal("README example is not a closed yaml block")
	}
	ref, err := referentiel.Parse("README.md example", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if items := ref.Items(); len(items) != 3 || !items[0].Imperatif {
		t.Errorf("README example items = %+v", items)
	}
}
