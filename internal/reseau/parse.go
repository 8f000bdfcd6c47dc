package reseau

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/unml/cadre/internal/domain"
)

// The columns of a network file, in the order FORMAT.md lists them.
const (
	colRegionCode     = "region_code"
	colRegionNom      = "region_nom"
	colStructureCode  = "structure_code"
	colStructureNom   = "structure_nom"
	colStructureForme = "structure_forme"
	colStructureSiret = "structure_siret"
	colSiteCode       = "site_code"
	colSiteNom        = "site_nom"
	colSiteType       = "site_type"
	colSiteAdresse    = "site_adresse"
	colSiteCodePostal = "site_code_postal"
	colSiteCommune    = "site_commune"
)

// columns are every column a file must have. All are required, even those whose
// values may be empty: an absent column would otherwise read as empty values and
// silently erase, say, every address on the next import.
var columns = []string{
	colRegionCode, colRegionNom,
	colStructureCode, colStructureNom, colStructureForme, colStructureSiret,
	colSiteCode, colSiteNom, colSiteType, colSiteAdresse, colSiteCodePostal, colSiteCommune,
}

// Which column holds each field of the domain types, for their error messages.
var (
	regionFields    = [][2]string{{"code", colRegionCode}, {"nom", colRegionNom}}
	structureFields = [][2]string{{"code", colStructureCode}, {"nom", colStructureNom}, {"forme", colStructureForme}, {"siret", colStructureSiret}}
	siteFields      = [][2]string{{"code", colSiteCode}, {"nom", colSiteNom}, {"kind", colSiteType}, {"adresse", colSiteAdresse}, {"code_postal", colSiteCodePostal}, {"commune", colSiteCommune}}
)

// Parse reads a network file (see FORMAT.md). When the file has any defect it
// returns a *ParseError listing all of them with their lines, and no plan, so that
// no caller can import half a file.
func Parse(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read network file: %w", err)
	}
	p := &parser{
		regions:    map[string]int{},
		structures: map[string]int{},
		siteLines:  map[string]int{},
		sieges:     map[string]int{},
	}
	p.parse(data)
	if len(p.problems) > 0 {
		sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
		return nil, &ParseError{Problems: p.problems}
	}
	return &p.plan, nil
}

type parser struct {
	problems []Problem
	plan     Plan
	// Indexes into plan, by code, for the checks across rows.
	regions    map[string]int
	structures map[string]int
	sieges     map[string]int // structure code → its siège in plan.Sites
	siteLines  map[string]int // site code → its line, valid or not
}

func (p *parser) add(line int, format string, args ...any) {
	p.problems = append(p.problems, Problem{Line: line, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) parse(data []byte) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		p.add(invalidUTF8Line(data), "le fichier n'est pas encodé en UTF-8 (premier caractère illisible sur cette ligne) : "+
			"enregistrez-le au format « CSV UTF-8 »")
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		p.add(1, "le fichier est vide : sa première ligne doit nommer les colonnes (%s)", strings.Join(columns, ", "))
		return
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = separator(data)
	cr.FieldsPerRecord = -1 // counted here, to say which line is short
	header, err := cr.Read()
	if err != nil {
		p.csvError(err)
		return
	}
	cols, ok := p.header(header)
	if !ok {
		return
	}
	rows := 0
	for {
		record, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			p.csvError(err)
			return
		}
		line, _ := cr.FieldPos(0)
		if blank(record) {
			continue // a spreadsheet's empty row
		}
		rows++
		p.row(line, record, header, cols, cr.Comma)
	}
	if rows == 0 {
		p.add(1, "le fichier ne contient que la ligne d'en-tête : aucune ligne à importer")
	}
}

// separator picks ";" or "," from the header line, whichever it holds more of:
// French spreadsheets write ";", others ",".
func separator(data []byte) rune {
	header, _, _ := bytes.Cut(data, []byte("\n"))
	if semi, comma := bytes.Count(header, []byte(";")), bytes.Count(header, []byte(",")); comma > semi {
		return ','
	}
	return ';'
}

func invalidUTF8Line(data []byte) int {
	i := 0
	for i < len(data) {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	return 1 + bytes.Count(data[:i], []byte("\n"))
}

func (p *parser) csvError(err error) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		p.add(1, "fichier illisible : %v", err)
		return
	}
	const rest = " (la suite du fichier n'a pas été vérifiée)"
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		p.add(pe.Line, "guillemet « \" » au milieu d'un champ : entourez tout le champ de guillemets et doublez ceux qu'il contient"+rest)
	case errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine != pe.Line:
		p.add(pe.StartLine, "le champ entre guillemets ouvert sur cette ligne est mal refermé (lu jusqu'à la ligne %d) : "+
			"doublez les guillemets à l'intérieur d'un champ et faites suivre le guillemet final du séparateur"+rest, pe.Line)
	case errors.Is(pe.Err, csv.ErrQuote):
		p.add(pe.Line, "guillemet mal placé : un champ entre guillemets doit se terminer par un guillemet suivi du séparateur"+rest)
	default:
		p.add(pe.Line, "ligne illisible : %v%s", pe.Err, rest)
	}
}

// header maps each known column to its index. Columns without a name are allowed
// (spreadsheets add them) as long as their cells stay empty.
func (p *parser) header(names []string) (map[string]int, bool) {
	cols := map[string]int{}
	var unknown, doubled, missing []string
	for i, name := range names {
		key := strings.ToLower(strings.TrimSpace(name))
		switch {
		case key == "":
		case !slices.Contains(columns, key):
			unknown = append(unknown, "« "+strings.TrimSpace(name)+" »")
		case hasKey(cols, key):
			doubled = append(doubled, key)
		default:
			cols[key] = i
		}
	}
	for _, c := range columns {
		if !hasKey(cols, c) {
			missing = append(missing, c)
		}
	}
	if len(cols) == 0 && len(names) == 1 {
		p.add(1, "la ligne d'en-tête n'a qu'une colonne : séparez les colonnes par « ; » ou « , » et nommez-les %s", strings.Join(columns, ", "))
		return nil, false
	}
	if len(unknown) > 0 {
		p.add(1, "%s inconnue%s : %s ; les colonnes possibles sont %s",
			plural(len(unknown), "colonne", "colonnes"), plural(len(unknown), "", "s"), strings.Join(unknown, ", "), strings.Join(columns, ", "))
	}
	if len(doubled) > 0 {
		p.add(1, "%s en double : %s", plural(len(doubled), "colonne", "colonnes"), strings.Join(doubled, ", "))
	}
	if len(missing) > 0 {
		p.add(1, "%s : %s (toutes les colonnes sont obligatoires, même vides)",
			plural(len(missing), "colonne manquante", "colonnes manquantes"), strings.Join(missing, ", "))
	}
	return cols, len(unknown)+len(doubled)+len(missing) == 0
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

func blank(record []string) bool {
	for _, f := range record {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// row checks one line: its fields with the domain's rules, then against the rows
// before it.
func (p *parser) row(line int, record, header []string, cols map[string]int, sep rune) {
	// Fields beyond the last named column may be missing (spreadsheets trim
	// empty cells) but not hold values.
	named := 0
	for _, i := range cols {
		named = max(named, i+1)
	}
	if len(record) < named || (len(record) > len(header) && !blank(record[len(header):])) {
		p.add(line, "%d champs au lieu de %d : vérifiez les séparateurs (« %c » d'après la ligne d'en-tête) et les guillemets", len(record), len(header), sep)
		return
	}
	for i, name := range header[:min(len(header), len(record))] {
		if strings.TrimSpace(name) == "" && strings.TrimSpace(record[i]) != "" {
			p.add(line, "la colonne n° %d n'a pas de nom dans la ligne d'en-tête mais contient « %s »", i+1, strings.TrimSpace(record[i]))
		}
	}
	raw := make(map[string]string, len(columns))
	for _, c := range columns {
		raw[c] = strings.TrimSpace(record[cols[c]])
	}

	region := Region{Region: domain.Region{Code: raw[colRegionCode], Nom: raw[colRegionNom]}, Line: line}
	region.Normalize()
	regionOK := p.fieldErrors(line, region.Validate(), regionFields, raw)
	if regionOK {
		p.addRegion(region)
	}

	structure := Structure{Structure: domain.Structure{
		Code:  raw[colStructureCode],
		Nom:   raw[colStructureNom],
		Forme: strings.ToLower(raw[colStructureForme]),
		Siret: raw[colStructureSiret],
	}, RegionCode: region.Code, Line: line}
	structure.Normalize()
	err := structure.Validate()
	// The région is named by its code, checked above, not by an id.
	delete(domain.ErrorFields(err), "region")
	structureOK := p.fieldErrors(line, err, structureFields, raw)
	if structureOK {
		p.addStructure(structure, regionOK)
	}

	if raw[colSiteCode]+raw[colSiteNom]+raw[colSiteType]+raw[colSiteAdresse]+raw[colSiteCodePostal]+raw[colSiteCommune] == "" {
		return // a Mission Locale without a site
	}
	site := Site{Site: domain.Site{
		Code:       raw[colSiteCode],
		Nom:        raw[colSiteNom],
		Kind:       SiteKind(raw[colSiteType]),
		Adresse:    raw[colSiteAdresse],
		CodePostal: raw[colSiteCodePostal],
		Commune:    raw[colSiteCommune],
	}, StructureCode: structure.Code, Line: line}
	site.Normalize()
	err = site.Validate()
	_, badCode := domain.ErrorFields(err)["code"]
	siteOK := p.fieldErrors(line, err, siteFields, raw)
	// A duplicated code is worth reporting even on a row with other defects.
	if !badCode {
		if first, seen := p.siteLines[site.Code]; seen {
			p.add(line, "le site %s figure déjà à la ligne %d : un site ne se décrit que sur une ligne", site.Code, first)
			return
		}
		p.siteLines[site.Code] = line
	}
	if siteOK && structureOK {
		p.addSite(site)
	}
}

// fieldErrors turns a domain validation error into one problem per column and
// reports whether there was none.
func (p *parser) fieldErrors(line int, err error, fields [][2]string, raw map[string]string) bool {
	if err == nil {
		return true
	}
	fe := domain.ErrorFields(err)
	if fe == nil {
		p.add(line, "%s", domain.ErrorMessage(err))
		return false
	}
	if len(fe) == 0 {
		return true
	}
	for _, f := range fields {
		msg, ok := fe[f[0]]
		if !ok {
			continue
		}
		delete(fe, f[0])
		if v := raw[f[1]]; v != "" {
			p.add(line, "colonne %s (« %s ») : %s", f[1], v, msg)
		} else {
			p.add(line, "colonne %s : %s", f[1], msg)
		}
	}
	// Fields the domain may check one day without a column here.
	for _, k := range sortedKeys(fe) {
		p.add(line, "%s : %s", k, fe[k])
	}
	return false
}

func sortedKeys(m domain.FieldErrors) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (p *parser) addRegion(r Region) {
	i, seen := p.regions[r.Code]
	if !seen {
		p.regions[r.Code] = len(p.plan.Regions)
		p.plan.Regions = append(p.plan.Regions, r)
		return
	}
	if first := p.plan.Regions[i]; first.Nom != r.Nom {
		p.add(r.Line, "la région %s est nommée « %s » à la ligne %d et « %s » ici : une région n'a qu'un nom", r.Code, first.Nom, first.Line, r.Nom)
	}
}

// addStructure records s or checks it against its first line; regionOK says
// whether its région code is valid, hence worth comparing.
func (p *parser) addStructure(s Structure, regionOK bool) {
	i, seen := p.structures[s.Code]
	if !seen {
		p.structures[s.Code] = len(p.plan.Structures)
		p.plan.Structures = append(p.plan.Structures, s)
		return
	}
	first := p.plan.Structures[i]
	differs := func(what, a, b string) {
		if a != b {
			p.add(s.Line, "la Mission Locale %s a %s %s à la ligne %d et %s ici : chaque ligne d'une Mission Locale doit la décrire de la même façon",
				s.Code, what, quote(a), first.Line, quote(b))
		}
	}
	differs("le nom", first.Nom, s.Nom)
	if regionOK && first.RegionCode != s.RegionCode {
		p.add(s.Line, "la Mission Locale %s est dans la région %s à la ligne %d et %s ici : une Mission Locale est dans une seule région",
			s.Code, first.RegionCode, first.Line, s.RegionCode)
	}
	differs("la forme juridique", first.Forme, s.Forme)
	differs("le SIRET", first.Siret, s.Siret)
}

// addSite records s, whose code is new, checking that its Mission Locale has no
// other siège.
func (p *parser) addSite(s Site) {
	if s.Kind == "siege" {
		if i, seen := p.sieges[s.StructureCode]; seen {
			other := p.plan.Sites[i]
			p.add(s.Line, "la Mission Locale %s a déjà un siège, le site %s (ligne %d) : une Mission Locale n'a qu'un siège",
				s.StructureCode, other.Code, other.Line)
			return
		}
		p.sieges[s.StructureCode] = len(p.plan.Sites)
	}
	p.plan.Sites = append(p.plan.Sites, s)
}

// SiteKind returns the site kind that a label names, ignoring case and accents
// ("Siège", "SIEGE" and "siege" are all "siege"), or the label unchanged when it
// names none, for validation to reject.
func SiteKind(label string) string {
	folded := fold(strings.TrimSpace(label))
	for _, k := range domain.SiteKinds {
		if folded == k {
			return k
		}
	}
	return label
}

func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// quote shows a value in French quotes, or says it is empty.
func quote(v string) string {
	if v == "" {
		return "(vide)"
	}
	return "« " + v + " »"
}

func plural(n int, one, many string) string {
	if n > 1 {
		return many
	}
	return one
}
