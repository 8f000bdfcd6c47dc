package reseau_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/reseau"
)

const header = "region_code;region_nom;structure_code;structure_nom;structure_forme;structure_siret;site_code;site_nom;site_type;site_adresse;site_code_postal;site_commune"

// Two valid rows; the malformed cases below each break them in one place.
const (
	rowSiege   = "BRE;Bretagne;ML-RENNES;Mission Locale de Rennes;association;;RENNES-SIEGE;Siège de Rennes;Siège;6 cours des Alliés;35000;Rennes"
	rowAntenne = "BRE;Bretagne;ML-RENNES;Mission Locale de Rennes;association;;RENNES-ANT-1;Antenne de Maurepas;Antenne;10 place du Gros-Chêne;35700;Rennes"
)

func file(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func parse(t *testing.T, content string) *reseau.Plan {
	t.Helper()
	plan, err := reseau.Parse(strings.NewReader(content))
	if err != nil {
		t.Fatalf("Parse: %v\n--- file:\n%s", err, content)
	}
	return plan
}

func problems(t *testing.T, content string) []reseau.Problem {
	t.Helper()
	plan, err := reseau.Parse(strings.NewReader(content))
	var perr *reseau.ParseError
	if !errors.As(err, &perr) {
		t.Fatalf("Parse = %v, %v; want a *ParseError\n--- file:\n%s", plan, err, content)
	}
	if plan != nil {
		t.Errorf("Parse returned a plan along with its errors")
	}
	return perr.Problems
}

func TestParseDemo(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/demo.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	plan, err := reseau.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Regions) != 2 || len(plan.Structures) != 3 || len(plan.Sites) != 10 {
		t.Fatalf("%d régions, %d structures, %d sites; want 2, 3, 10", len(plan.Regions), len(plan.Structures), len(plan.Sites))
	}
	if r := plan.Regions[1]; r.Code != "ARA" || r.Nom != "Auvergne-Rhône-Alpes" || r.Line != 9 {
		t.Errorf("second région = %+v", r)
	}
	if s := plan.Structures[1]; s.Code != "ML-BREST" || s.Nom != "Mission Locale du Pays de Brest" || s.RegionCode != "BRE" || s.Forme != domain.FormeAssociation || s.Line != 6 {
		t.Errorf("second structure = %+v", s)
	}
	kinds := map[string]int{}
	for _, s := range plan.Sites {
		kinds[s.StructureCode+" "+s.Kind]++
	}
	want := map[string]int{
		"ML-RENNES siege": 1, "ML-RENNES antenne": 2, "ML-RENNES permanence": 1,
		"ML-BREST siege": 1, "ML-BREST antenne": 1, "ML-BREST relais": 1,
		"ML-LYON siege": 1, "ML-LYON antenne": 2,
	}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%s: %d sites, want %d", k, kinds[k], n)
		}
	}
	// A quoted field keeps its separator-like comma.
	if s := plan.Sites[3]; s.Code != "RENNES-PERM-1" || s.Adresse != "Espace social, 4 place du Docteur Joly" || s.CodePostal != "35170" || s.Line != 5 {
		t.Errorf("fourth site = %+v", s)
	}
}

// TestParseVariants checks that the same content reads the same whatever the
// separator, byte order mark, line endings, column order and header case.
func TestParseVariants(t *testing.T) {
	t.Parallel()
	want := parse(t, file(header, rowSiege, rowAntenne))
	comma := func(s string) string { return strings.ReplaceAll(s, ";", ",") }
	cases := []struct{ name, content string }{
		{"comma", file(comma(header),
			`BRE,Bretagne,ML-RENNES,Mission Locale de Rennes,association,,RENNES-SIEGE,Siège de Rennes,Siège,6 cours des Alliés,35000,Rennes`,
			`"BRE","Bretagne","ML-RENNES","Mission Locale de Rennes","association","","RENNES-ANT-1","Antenne de Maurepas","Antenne","10 place du Gros-Chêne","35700","Rennes"`)},
		{"byte order mark", "\uFEFF" + file(header, rowSiege, rowAntenne)},
		{"CRLF", strings.ReplaceAll(file(header, rowSiege, rowAntenne), "\n", "\r\n")},
		{"no final newline", strings.TrimSuffix(file(header, rowSiege, rowAntenne), "\n")},
		{"upper case and spaces", file(strings.ToUpper(strings.ReplaceAll(header, ";", " ; ")), rowSiege, rowAntenne)},
		{"spaces around values", file(header, strings.ReplaceAll(rowSiege, ";", " ;  "), rowAntenne)},
		{"columns in another order", file(
			"site_commune;site_code_postal;site_adresse;site_type;site_nom;site_code;structure_siret;structure_forme;structure_nom;structure_code;region_nom;region_code",
			reverse(rowSiege), reverse(rowAntenne))},
		{"blank and empty rows", file(header, "", rowSiege, ";;;;;;;;;;;", "  ", rowAntenne)},
		{"unnamed empty columns", file(header+";;", rowSiege+";;", rowAntenne)},
		{"empty forme is association", file(header, strings.Replace(rowSiege, ";association;", ";;", 1), rowAntenne)},
		{"forme in capitals", file(header, strings.Replace(rowSiege, ";association;", ";Association;", 1), strings.Replace(rowAntenne, ";association;", ";ASSOCIATION;", 1))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := parse(t, tc.content)
			if !samePlan(got, want) {
				t.Errorf("plan = %+v\nwant %+v", got, want)
			}
		})
	}
}

func reverse(row string) string {
	f := strings.Split(row, ";")
	for i, j := 0, len(f)-1; i < j; i, j = i+1, j-1 {
		f[i], f[j] = f[j], f[i]
	}
	return strings.Join(f, ";")
}

// samePlan compares plans without their line numbers.
func samePlan(a, b *reseau.Plan) bool {
	if len(a.Regions) != len(b.Regions) || len(a.Structures) != len(b.Structures) || len(a.Sites) != len(b.Sites) {
		return false
	}
	for i := range a.Regions {
		if a.Regions[i].Region != b.Regions[i].Region {
			return false
		}
	}
	for i := range a.Structures {
		if a.Structures[i].Structure != b.Structures[i].Structure || a.Structures[i].RegionCode != b.Structures[i].RegionCode {
			return false
		}
	}
	for i := range a.Sites {
		if a.Sites[i].Site != b.Sites[i].Site || a.Sites[i].StructureCode != b.Sites[i].StructureCode {
			return false
		}
	}
	return true
}

func TestParseSiteTypeLabels(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"Siège": "siege", "SIÈGE": "siege", "siege": "siege", "siège": "siege",
		"Antenne": "antenne", " antenne ": "antenne", "ANTENNE": "antenne",
		"Relais": "relais", "relais": "relais",
		"Permanence": "permanence", "PERMANENCE": "permanence",
	}
	for label, want := range cases {
		t.Run(label, func(t *testing.T) {
			plan := parse(t, file(header, strings.Replace(rowSiege, ";Siège;", ";"+label+";", 1)))
			if got := plan.Sites[0].Kind; got != want {
				t.Errorf("site_type %q read as %q, want %q", label, got, want)
			}
		})
	}
}

func TestParseMissionLocaleWithoutSite(t *testing.T) {
	t.Parallel()
	plan := parse(t, file(header,
		"ARA;Auvergne-Rhône-Alpes;ML-LYON;Mission Locale de Lyon;gip;130 001 234 00012;;;;;;",
		rowSiege,
		// An ML described once without a site and once with one is consistent.
		"BRE;Bretagne;ML-RENNES;Mission Locale de Rennes;association;;;;;;;",
	))
	if len(plan.Regions) != 2 || len(plan.Structures) != 2 || len(plan.Sites) != 1 {
		t.Fatalf("plan = %+v", plan)
	}
	if s := plan.Structures[0]; s.Code != "ML-LYON" || s.Forme != domain.FormeGIP || s.Siret != "13000123400012" || s.RegionCode != "ARA" {
		t.Errorf("structure without site = %+v", s)
	}
}

func TestParseReportsEachDefectAtItsLine(t *testing.T) {
	t.Parallel()
	replace := func(row, old, repl string) string {
		if !strings.Contains(row, old) {
			panic("row lacks " + old)
		}
		return strings.Replace(row, old, repl, 1)
	}
	cases := []struct {
		name    string
		content string
		line    int
		message string
	}{
		{"empty file", "", 1, "le fichier est vide"},
		{"only a byte order mark and spaces", "\uFEFF \n\n", 1, "le fichier est vide"},
		{"header only", file(header), 1, "ne contient que la ligne d'en-tête"},
		{"header and empty rows", file(header, ";;;;;;;;;;;", ""), 1, "ne contient que la ligne d'en-tête"},
		{"unknown column", file(header+";couleur", rowSiege+";bleu"), 1, "colonne inconnue : « couleur »"},
		{"unknown columns", file(header+";Couleur;taille", rowSiege+";bleu;12"), 1, "colonnes inconnues : « Couleur », « taille »"},
		{"missing column", file(strings.Replace(header, ";site_commune", "", 1), strings.TrimSuffix(rowSiege, ";Rennes")), 1, "colonne manquante : site_commune"},
		{"missing columns", file(strings.Replace(header, ";structure_forme;structure_siret", "", 1), strings.Replace(rowSiege, ";association;", ";", 1)), 1,
			"colonnes manquantes : structure_forme, structure_siret"},
		{"doubled column", file(header+";SITE_NOM", rowSiege+";x"), 1, "colonne en double : site_nom"},
		{"tab separated", file(strings.ReplaceAll(header, ";", "\t")), 1, "la ligne d'en-tête n'a qu'une colonne"},
		{"latin-1", file(header, rowSiege, "BRE;Bretagne;ML-RENNES;Mission Locale de Rennes;association;;RENNES-ANT-1;Antenne;Antenne;place du Gros-Ch\xeane;35700;Rennes"), 3, "n'est pas encodé en UTF-8"},
		{"short row", file(header, rowSiege, strings.TrimSuffix(rowAntenne, ";Rennes")), 3, "11 champs au lieu de 12"},
		{"long row", file(header, rowSiege+";en trop"), 2, "13 champs au lieu de 12"},
		{"value in an unnamed column", file(header+";", rowSiege, rowAntenne+";note"), 3, "la colonne n° 13 n'a pas de nom"},
		{"bare quote", file(header, rowSiege, replace(rowAntenne, "Antenne de Maurepas", `Antenne "Maurepas"`)), 3, "guillemet"},
		{"unclosed quote", file(header, rowSiege, replace(rowAntenne, "Antenne de Maurepas", `"Antenne de Maurepas`), rowSiege), 3, "ouvert sur cette ligne est mal refermé (lu jusqu'à la ligne 4)"},
		{"bad région code", file(header, rowSiege, replace(rowAntenne, "BRE;", "BR E;")), 3, "colonne region_code (« BR E ») : Le code ne peut contenir"},
		{"empty région name", file(header, "BRE;;"+strings.SplitN(rowSiege, ";", 3)[2]), 2, "colonne region_nom : Le nom est obligatoire."},
		{"empty structure code", file(header, rowSiege, replace(rowAntenne, ";ML-RENNES;", ";;")), 3, "colonne structure_code : Le code est obligatoire."},
		{"bad forme", file(header, replace(rowSiege, ";association;", ";SARL;")), 2, "colonne structure_forme (« SARL ») : La forme juridique"},
		{"bad SIRET", file(header, replace(rowSiege, ";association;;", ";association;1234;")), 2, "colonne structure_siret (« 1234 ») : Le SIRET compte 14 chiffres."},
		{"bad site type", file(header, rowSiege, replace(rowAntenne, ";Antenne;", ";Bureau;")), 3, "colonne site_type (« Bureau ») : Choisissez le type de lieu"},
		{"empty site type", file(header, rowSiege, replace(rowAntenne, ";Antenne;", ";;")), 3, "colonne site_type : Choisissez le type de lieu"},
		{"bad postal code", file(header, rowSiege, replace(rowAntenne, ";35700;", ";3570;")), 3, "colonne site_code_postal (« 3570 ») : Le code postal compte 5 caractères"},
		{"site without commune", file(header, rowSiege, strings.TrimSuffix(rowAntenne, "Rennes")), 3, "colonne site_commune : La commune est obligatoire."},
		{"site without code", file(header, rowSiege, replace(rowAntenne, ";RENNES-ANT-1;", ";;")), 3, "colonne site_code : Le code est obligatoire."},
		{"région with two names", file(header, rowSiege, replace(rowAntenne, ";Bretagne;", ";Région Bretagne;")), 3,
			"la région BRE est nommée « Bretagne » à la ligne 2 et « Région Bretagne » ici"},
		{"structure with two names", file(header, rowSiege, replace(rowAntenne, ";Mission Locale de Rennes;", ";ML de Rennes;")), 3,
			"la Mission Locale ML-RENNES a le nom « Mission Locale de Rennes » à la ligne 2 et « ML de Rennes » ici"},
		{"structure in two régions", file(header, rowSiege, replace(rowAntenne, "BRE;Bretagne;", "ARA;Auvergne-Rhône-Alpes;")), 3,
			"la Mission Locale ML-RENNES est dans la région BRE à la ligne 2 et ARA ici"},
		{"structure with two formes", file(header, rowSiege, replace(rowAntenne, ";association;", ";gip;")), 3,
			"la Mission Locale ML-RENNES a la forme juridique « association » à la ligne 2 et « gip » ici"},
		{"structure with two SIRET", file(header, rowSiege, replace(rowAntenne, ";association;;", ";association;13000123400012;")), 3,
			"la Mission Locale ML-RENNES a le SIRET (vide) à la ligne 2 et « 13000123400012 » ici"},
		{"site twice", file(header, rowSiege, rowAntenne, replace(rowAntenne, "Maurepas", "Villejean")), 4,
			"le site RENNES-ANT-1 figure déjà à la ligne 3"},
		{"two sièges", file(header, rowSiege, replace(rowAntenne, ";Antenne;", ";siège;")), 3,
			"la Mission Locale ML-RENNES a déjà un siège, le site RENNES-SIEGE (ligne 2)"},
		{"line numbers count the lines inside quoted fields", file(header,
			replace(rowSiege, "6 cours des Alliés", "\"Bâtiment B\n6 cours des Alliés\""), replace(rowAntenne, ";35700;", ";357;")), 4,
			"colonne site_code_postal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := problems(t, tc.content)
			if len(ps) != 1 || ps[0].Line != tc.line || !strings.Contains(ps[0].Message, tc.message) {
				t.Errorf("problems = %q\nwant one at line %d containing %q", ps, tc.line, tc.message)
			}
		})
	}
}

func TestParseListsEveryProblem(t *testing.T) {
	t.Parallel()
	content := file(header,
		rowSiege,
		strings.Replace(rowAntenne, ";35700;", ";7500;", 1),                   // 3: postal code
		"BRE;Bretagne;ML-BREST;Mission Locale de Brest;GIE;;;;;;;",            // 4: forme
		"ARA;;ML-LYON;Mission Locale de Lyon;association;123;LYON-SIEGE;;;;;", // 5: région name, SIRET, site name, type, commune
		strings.Replace(rowAntenne, "RENNES-ANT-1", "RENNES-SIEGE", 1),        // 6: site twice
	)
	ps := problems(t, content)
	want := []struct {
		line   int
		column string
	}{
		{3, "site_code_postal"}, {4, "structure_forme"},
		{5, "region_nom"}, {5, "structure_siret"}, {5, "site_nom"}, {5, "site_type"}, {5, "site_commune"},
		{6, "RENNES-SIEGE figure déjà à la ligne 2"},
	}
	if len(ps) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(ps), len(want), (&reseau.ParseError{Problems: ps}).Error())
	}
	for i, w := range want {
		if ps[i].Line != w.line || !strings.Contains(ps[i].Message, w.column) {
			t.Errorf("problem %d = %q, want line %d about %s", i, ps[i], w.line, w.column)
		}
	}

	_, err := reseau.Parse(strings.NewReader(content))
	msg := err.Error()
	if !strings.HasPrefix(msg, "ligne 3 : colonne site_code_postal (« 7500 ») : ") || strings.Count(msg, "\n") != len(want)-1 {
		t.Errorf("Error() =\n%s\nwant one problem per line, the first at line 3", msg)
	}
	if domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(domain.ErrorMessage(err), "8 erreurs") {
		t.Errorf("domain view of the error: %s, %q", domain.ErrorCode(err), domain.ErrorMessage(err))
	}
}

// TestFormatExample keeps the example of FORMAT.md valid.
func TestFormatExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	_, example, ok := strings.Cut(string(doc), "```csv\n")
	example, _, ok2 := strings.Cut(example, "```")
	if !ok || !ok2 {
		t.Fatal("FORMAT.md has no ```csv example")
	}
	plan := parse(t, example)
	if len(plan.Regions) != 2 || len(plan.Structures) != 4 || len(plan.Sites) != 5 {
		t.Errorf("example: %d régions, %d structures, %d sites", len(plan.Regions), len(plan.Structures), len(plan.Sites))
	}
}
