package referentiel_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/referentiel"
	refdata "github.com/unml/cadre/referentiel"
)

const cadreFile = "cadre-commun-2018.yaml"

func mustRead(t *testing.T) []byte {
	t.Helper()
	data, err := refdata.Files.ReadFile(cadreFile)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func loadCadre(t *testing.T) *referentiel.Referentiel {
	t.Helper()
	ref, err := referentiel.Parse(cadreFile, mustRead(t))
	if err != nil {
		t.Fatalf("the embedded %s does not load:\n%v", cadreFile, err)
	}
	return ref
}

func TestCadreCommunLoads(t *testing.T) {
	t.Parallel()
	ref := loadCadre(t)
	if ref.Code != "cadre-commun" || ref.Version != "2018" || ref.Source != "UNML, 2018" {
		t.Errorf("identity = %q %q %q", ref.Code, ref.Version, ref.Source)
	}
	if ref.Titre != "Le cadre commun de référence de l'offre de service des Missions Locales" {
		t.Errorf("titre = %q", ref.Titre)
	}
	want := referentiel.Echelle{
		Niveaux: []referentiel.Niveau{
			{Valeur: 1, Libelle: "Pas du tout satisfaisant"},
			{Valeur: 2, Libelle: "Plutôt pas satisfaisant"},
			{Valeur: 3, Libelle: "Plutôt satisfaisant"},
			{Valeur: 4, Libelle: "Tout à fait satisfaisant"},
		},
		NonConcerne: "Non concerné",
	}
	if !slices.Equal(ref.Echelle.Niveaux, want.Niveaux) || ref.Echelle.NonConcerne != want.NonConcerne {
		t.Errorf("echelle = %+v", ref.Echelle)
	}
	if ref.Echelle.Max() != 4 {
		t.Errorf("Max() = %d", ref.Echelle.Max())
	}
	var types []string
	for _, v := range ref.Volets {
		types = append(types, v.Code+":"+v.Type)
	}
	if got := strings.Join(types, " "); got != "G:caracteristiques P:caracteristiques O:offre E:engagements" {
		t.Errorf("volets = %s", got)
	}
	// The 2018 text says nothing about impératif items: nothing may claim it does.
	for _, it := range ref.Items() {
		if it.Imperatif || it.Aide != "" || len(it.Preuves) > 0 {
			t.Errorf("%s carries flags the 2018 text does not have", it.Code)
		}
	}
}

// The counts below were taken by hand from the seed text, table by table.
func TestCadreCommunCounts(t *testing.T) {
	t.Parallel()
	ref := loadCadre(t)
	byCode := map[string]referentiel.Volet{}
	for _, v := range ref.Volets {
		byCode[v.Code] = v
	}

	modalites := map[string][]int{ // modalités per caractéristique
		"G": {5, 2},
		"P": {1, 1, 3, 2, 1},
	}
	for code, want := range modalites {
		var got []int
		for _, c := range byCode[code].Caracteristiques {
			got = append(got, len(c.Modalites))
		}
		if !slices.Equal(got, want) {
			t.Errorf("volet %s: modalités per caractéristique = %v, want %v", code, got, want)
		}
	}

	fonctions := []struct {
		code     string
		criteres []int // critères per réalisation
		ress     []int // conditions per resource volet: RH, partenariat, organisation, financier, réseau régional
	}{
		{"F0", []int{2, 4, 2}, []int{3, 3, 3, 2, 2}},
		{"F1", []int{4, 1}, []int{2, 2, 4, 1, 3}},
		{"F2", []int{2, 1, 2}, []int{1, 1, 5, 1, 1}},
		{"F3", []int{3, 2}, []int{1, 3, 2, 1, 2}},
		{"F4", []int{2, 2, 2}, []int{2, 1, 2, 1, 2}},
		{"F5", []int{2, 2, 1}, []int{1, 1, 1, 1, 2}},
	}
	fs := byCode["O"].Fonctions
	if len(fs) != len(fonctions) {
		t.Fatalf("%d fonctions, want %d", len(fs), len(fonctions))
	}
	for i, want := range fonctions {
		f := fs[i]
		if f.Code != want.code {
			t.Errorf("fonction #%d = %s, want %s", i, f.Code, want.code)
		}
		var criteres, ress []int
		var volets []string
		for _, r := range f.Realisations {
			criteres = append(criteres, len(r.Criteres))
		}
		for _, r := range f.Ressources {
			ress = append(ress, len(r.Conditions))
			volets = append(volets, r.Volet)
		}
		if !slices.Equal(criteres, want.criteres) {
			t.Errorf("%s: critères per réalisation = %v, want %v", f.Code, criteres, want.criteres)
		}
		if !slices.Equal(ress, want.ress) {
			t.Errorf("%s: conditions per resource volet = %v, want %v", f.Code, ress, want.ress)
		}
		if !slices.Equal(volets, referentiel.RessourceVolets()) {
			t.Errorf("%s: resource volets = %v", f.Code, volets)
		}
	}

	var engagements []int
	for _, g := range byCode["E"].Groupes {
		engagements = append(engagements, len(g.Engagements))
	}
	if want := []int{2, 4, 3, 2}; !slices.Equal(engagements, want) {
		t.Errorf("engagements per group = %v, want %v", engagements, want)
	}

	kinds := map[referentiel.Kind]int{}
	precisions := 0
	for _, it := range ref.Items() {
		kinds[it.Kind]++
		precisions += len(it.Precisions)
	}
	wantKinds := map[referentiel.Kind]int{
		referentiel.KindModalite:   15,
		referentiel.KindCritere:    34,
		referentiel.KindCondition:  57,
		referentiel.KindEngagement: 11,
	}
	for k, n := range wantKinds {
		if kinds[k] != n {
			t.Errorf("%d items of kind %s, want %d", kinds[k], k, n)
		}
	}
	if len(ref.Items()) != 117 || precisions != 6 {
		t.Errorf("%d items and %d precisions, want 117 and 6", len(ref.Items()), precisions)
	}
}

// seed holds the texts of sections 3.1 to 5 of the source, cut the way the
// extraction lays them out: table rows are tab-separated cells, list items start
// with ■ (and their sub-items with →), section 5 lists items as "- " lines.
type seed struct {
	squares   []string // ■ items: modalités, critères, conditions, in order
	arrows    []string // → sub-items: précisions
	intros    []string // text before the first ■ of a cell
	heads     []string // first cells: caractéristiques and réalisations
	labels    []string // resource volet labels ("Volet RH"…)
	groupes   []string // section 5 group titles
	notes     []string // section 5 footnotes
	dashes    []string // section 5 "- " items: engagements
	headings  []string // every heading line of sections 3 to 5, for titles
	following map[string]string
	sommaire  []string
}

var tag = regexp.MustCompile(`<[^>]*>`)

func clean(s string) string { return strings.TrimSpace(tag.ReplaceAllString(s, "")) }

func readSeed(t *testing.T) seed {
	t.Helper()
	data, err := os.ReadFile("testdata/cadre-commun-2018-source.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	index := func(from int, prefix string) int {
		for i := from; i < len(lines); i++ {
			if strings.HasPrefix(lines[i], prefix) {
				return i
			}
		}
		t.Fatalf("seed: no line starting with %q after line %d", prefix, from+1)
		return 0
	}
	start := index(0, "3.1 LE CADRE COMMUN")
	eng := index(start, "LES ENGAGEMENTS")
	end := index(eng, "L'offre de service des Missions Locales") // back-cover furniture
	s := seed{following: map[string]string{}, sommaire: lines[:start]}

	for i, line := range lines[start:eng] {
		if l := strings.TrimSpace(line); l != "" && !strings.ContainsAny(l, "\t■") {
			s.headings = append(s.headings, l)
			for _, next := range lines[start+i+1 : eng] {
				if next = strings.TrimSpace(next); next != "" {
					s.following[l] = next
					break
				}
			}
		}
		if !strings.Contains(line, "■") {
			continue
		}
		cells := strings.Split(line, "\t")
		resourceRow := false
		for _, c := range cells {
			if isLabel(clean(c)) {
				resourceRow = true
			}
		}
		for ci, cell := range cells {
			if !strings.ContainsAny(cell, "■→") {
				c := clean(cell)
				switch {
				case c == "":
				case isLabel(c):
					s.labels = append(s.labels, c)
				case ci == 0 && !resourceRow: // resource rows open with a table caption
					s.heads = append(s.heads, c)
				}
				continue
			}
			parts := strings.Split(cell, "■")
			if lead := clean(parts[0]); lead != "" {
				s.intros = append(s.intros, lead)
			}
			for _, p := range parts[1:] {
				sub := strings.Split(p, "→")
				s.squares = append(s.squares, clean(sub[0]))
				for _, a := range sub[1:] {
					s.arrows = append(s.arrows, clean(a))
				}
			}
		}
	}
	for _, line := range lines[eng+1 : end] {
		l := strings.TrimSpace(line)
		switch {
		case l == "" || strings.HasPrefix(l, "(À TERME"):
		case strings.HasPrefix(l, "- "):
			s.dashes = append(s.dashes, strings.TrimSpace(l[2:]))
		case strings.HasPrefix(l, "* "):
			s.notes = append(s.notes, l)
		default:
			s.groupes = append(s.groupes, l)
		}
	}
	return s
}

func isLabel(s string) bool {
	for _, k := range referentiel.RessourceVolets() {
		if s == referentiel.LibelleRessource(k) {
			return true
		}
	}
	return false
}

// TestCadreCommunMatchesSeed compares the loaded texts with the source, in order
// and whole: an item dropped, added, moved or altered by one character fails.
func TestCadreCommunMatchesSeed(t *testing.T) {
	t.Parallel()
	ref := loadCadre(t)
	s := readSeed(t)

	var squares, arrows, engagements []string
	for _, it := range ref.Items() {
		if it.Kind == referentiel.KindEngagement {
			engagements = append(engagements, it.Texte)
		} else {
			squares = append(squares, it.Texte)
		}
		arrows = append(arrows, it.Precisions...)
	}
	var intros, heads, labels, groupes, notes []string
	for _, v := range ref.Volets {
		for _, c := range v.Caracteristiques {
			heads = append(heads, c.Texte)
		}
		for _, f := range v.Fonctions {
			for _, r := range f.Realisations {
				heads = append(heads, r.Texte)
			}
			for _, r := range f.Ressources {
				labels = append(labels, referentiel.LibelleRessource(r.Volet))
				if r.Intro != "" {
					intros = append(intros, r.Intro)
				}
			}
		}
		for _, g := range v.Groupes {
			groupes = append(groupes, g.Titre)
			if g.Note != "" {
				notes = append(notes, g.Note)
			}
		}
	}

	compare := func(what string, got, want []string) {
		t.Helper()
		if len(want) == 0 {
			t.Errorf("%s: nothing extracted from the seed", what)
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d in the référentiel, %d in the seed", what, len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("%s #%d differs:\n got  %q\n seed %q", what, i+1, got[i], want[i])
			}
		}
	}
	compare("■ items", squares, s.squares)
	compare("→ précisions", arrows, s.arrows)
	compare("intros", intros, s.intros)
	compare("caractéristiques and réalisations", heads, s.heads)
	compare("resource volet labels", labels, s.labels)
	compare("engagements", engagements, s.dashes)
	compare("engagement groups", groupes, s.groupes)
	compare("notes", notes, s.notes)
	if len(s.squares) != 106 || len(s.arrows) != 6 || len(s.dashes) != 11 {
		t.Errorf("seed extraction found %d ■, %d → and %d engagements, want 106, 6 and 11",
			len(s.squares), len(s.arrows), len(s.dashes))
	}

	// Titles: the headings print them in capitals; the sommaire in sentence case.
	for _, v := range ref.Volets {
		for _, f := range v.Fonctions {
			var heading string
			for _, h := range s.headings {
				if strings.HasSuffix(h, strings.ToUpper(f.Titre)) || strings.HasSuffix(h, "« "+strings.ToUpper(f.Titre)+" »") {
					heading = h
				}
			}
			if heading == "" {
				t.Errorf("%s: no heading reads %q in capitals", f.Code, f.Titre)
				continue
			}
			if got := s.following[heading]; got != f.Finalite {
				t.Errorf("%s: finalite differs:\n got  %q\n seed %q", f.Code, f.Finalite, got)
			}
			if f.Code != "F0" && !slices.ContainsFunc(s.sommaire, func(l string) bool { return strings.Contains(l, "« "+f.Titre+" »") }) {
				t.Errorf("%s: the sommaire does not name %q", f.Code, f.Titre)
			}
		}
		if v.Type == referentiel.TypeCaracteristiques &&
			!slices.ContainsFunc(s.headings, func(h string) bool { return strings.HasSuffix(h, " "+strings.ToUpper(v.Titre)) }) {
			t.Errorf("volet %s: no heading reads %q in capitals", v.Code, v.Titre)
		}
	}
}

func TestCadreCommunItems(t *testing.T) {
	t.Parallel()
	ref := loadCadre(t)
	items := ref.Items()
	byCode := map[string]referentiel.AssessableItem{}
	for _, it := range items {
		byCode[it.Code] = it
	}
	if items[0].Code != "G.C1.M1" || items[len(items)-1].Code != "E4.2" {
		t.Errorf("items run from %s to %s", items[0].Code, items[len(items)-1].Code)
	}
	it := byCode["F0.RH.1"]
	wantPath := []string{
		"L'offre de service socle des Missions Locales",
		"Les principes socles d'action, transverses à l'ensemble des fonctions de la Mission Locale",
		"Volet RH",
	}
	if it.Kind != referentiel.KindCondition || it.Fonction != "F0" || it.Ressource != referentiel.RessourceRH ||
		it.Parent != "F0" || it.Volet != "O" || !slices.Equal(it.Path, wantPath) {
		t.Errorf("F0.RH.1 = %+v", it)
	}
	it = byCode["F3.R2.C1"]
	if it.Kind != referentiel.KindCritere || it.Parent != "F3.R2" ||
		!slices.Equal(it.Path, []string{"L'offre de service socle des Missions Locales", "Orienter",
			"Aiguiller le jeune vers le bon interlocuteur (en interne à la ML ou externe)"}) {
		t.Errorf("F3.R2.C1 = %+v", it)
	}
	it = byCode["P.C5.M1"]
	if it.Kind != referentiel.KindModalite || len(it.Precisions) != 3 || it.Parent != "P.C5" || it.Line == 0 {
		t.Errorf("P.C5.M1 = %+v", it)
	}
	it = byCode["E3.2"]
	if it.Kind != referentiel.KindEngagement || it.Parent != "E3" ||
		!slices.Equal(it.Path, []string{"Les engagements", "La Mission Locale inscrite dans une démarche d'utilité sociale*"}) {
		t.Errorf("E3.2 = %+v", it)
	}
}

// TestCadreCommunFingerprint pins the fingerprint of version 2018. Databases hold
// it: if this fails, either the file's content changed (publish a new version
// instead) or the canonical encoding changed (existing imports would all look
// modified).
func TestCadreCommunFingerprint(t *testing.T) {
	t.Parallel()
	const want = "a95d4adf8ed0b56d165247080eb071cfb105a8bdee6d17a21d6b946d2a081fb2"
	if got := loadCadre(t).Fingerprint(); got != want {
		t.Errorf("Fingerprint() = %s, want %s", got, want)
	}
}
