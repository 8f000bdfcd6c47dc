package referentiel

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Parse reads one référentiel file. filename only labels the problems. On any
// defect it returns a *ValidationError listing all of them with their lines; the
// tree is returned only when the file is entirely valid, so that no caller can
// import half a référentiel.
func Parse(filename string, data []byte) (*Referentiel, error) {
	d := &decoder{file: filename, codes: map[string]int{}}
	ref := d.document(data)
	if len(d.problems) > 0 {
		sortProblems(d.problems)
		return nil, &ValidationError{Problems: d.problems}
	}
	return ref, nil
}

// ParseFS parses every *.yaml file at the root of fsys, in name order, and checks
// that no two files claim the same code and version. Problems of all files come
// back together in one *ValidationError.
func ParseFS(fsys fs.FS) ([]*Referentiel, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list référentiel files: %w", err)
	}
	var (
		refs     []*Referentiel
		problems []Problem
		seen     = map[string]string{}
	)
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read référentiel file %s: %w", name, err)
		}
		ref, err := Parse(name, data)
		var verr *ValidationError
		if errors.As(err, &verr) {
			problems = append(problems, verr.Problems...)
			continue
		} else if err != nil {
			return nil, err
		}
		key := ref.Code + "\x00" + ref.Version
		if other, dup := seen[key]; dup {
			problems = append(problems, Problem{File: name, Message: fmt.Sprintf(
				"référentiel %q version %q is also defined in %s", ref.Code, ref.Version, other)})
			continue
		}
		seen[key] = name
		refs = append(refs, ref)
	}
	if len(problems) > 0 {
		sortProblems(problems)
		return nil, &ValidationError{Problems: problems}
	}
	return refs, nil
}

// decoder walks the YAML syntax tree rather than unmarshalling into structs:
// only the tree gives a line for every node, and walking it lets one pass report
// every problem instead of stopping at the first.
type decoder struct {
	file     string
	problems []Problem
	codes    map[string]int // every code of the file → line of its first use
}

func (d *decoder) add(line int, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) document(data []byte) *Referentiel {
	// Duplicate keys are allowed here only so that the walk reports them along
	// with everything else; the parser would otherwise stop at the first one.
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		var yerr yaml.Error
		if errors.As(err, &yerr) {
			d.add(tokenLine(yerr.GetToken()), "YAML syntax error: %s", yerr.GetMessage())
		} else {
			d.add(0, "YAML syntax error: %v", err)
		}
		return nil
	}
	var bodies []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	if len(bodies) == 0 {
		d.add(0, "the file is empty")
		return nil
	}
	for _, b := range bodies[1:] {
		d.add(nodeLine(b), "a file holds one référentiel: remove this second YAML document")
	}
	return d.referentiel(bodies[0])
}

func (d *decoder) referentiel(n ast.Node) *Referentiel {
	f := d.mapping(n, "referentiel")
	if f == nil {
		return nil
	}
	d.known(f, "code", "version", "titre", "source", "echelle", "volets")
	ref := &Referentiel{
		Code:    d.identifier(f, "code"),
		Version: d.identifier(f, "version"),
		Titre:   d.text(f, "titre", true),
		Source:  d.text(f, "source", false),
	}
	ref.Echelle = d.echelle(f)
	for i, vn := range d.list(f, "volets", true) {
		if v, ok := d.volet(vn, i); ok {
			ref.Volets = append(ref.Volets, v)
		}
	}
	return ref
}

func (d *decoder) echelle(parent *fields) Echelle {
	var e Echelle
	n, ok := parent.vals["echelle"]
	if !ok {
		d.add(parent.line, "%s: missing required key %q (the rating scale)", parent.label, "echelle")
		return e
	}
	f := d.mapping(n, "echelle")
	if f == nil {
		return e
	}
	d.known(f, "niveaux", "non_concerne")
	niveaux := d.list(f, "niveaux", true)
	if len(niveaux) == 1 {
		d.add(f.lines["niveaux"], "echelle: a scale needs at least two niveaux")
	}
	valeurs := map[int]int{}     // valeur → line
	libelles := map[string]int{} // libellé → line
	prev, havePrev := 0, false
	for i, nn := range niveaux {
		nf := d.mapping(nn, fmt.Sprintf("niveau #%d of echelle", i+1))
		if nf == nil {
			continue
		}
		d.known(nf, "valeur", "libelle")
		niv := Niveau{Libelle: d.text(nf, "libelle", true)}
		v, vok := d.integer(nf, "valeur", true)
		if vok {
			niv.Valeur = v
			if first, dup := valeurs[v]; dup {
				d.add(nf.lines["valeur"], "echelle: duplicate valeur %d (first at line %d)", v, first)
			} else {
				if havePrev && v != prev+1 {
					d.add(nf.lines["valeur"], "echelle: valeur %d does not follow %d: valeurs must be consecutive integers in ascending order", v, prev)
				}
				valeurs[v] = nf.lines["valeur"]
				prev, havePrev = v, true
			}
		}
		if niv.Libelle != "" {
			if first, dup := libelles[niv.Libelle]; dup {
				d.add(nf.lines["libelle"], "echelle: duplicate libelle %q (first at line %d)", niv.Libelle, first)
			} else {
				libelles[niv.Libelle] = nf.lines["libelle"]
			}
		}
		e.Niveaux = append(e.Niveaux, niv)
	}
	e.NonConcerne = d.text(f, "non_concerne", true)
	return e
}

// childKey names the key holding the children of a volet type, or "" for an unknown type.
func childKey(typ string) string {
	switch typ {
	case TypeCaracteristiques:
		return "caracteristiques"
	case TypeOffre:
		return "fonctions"
	case TypeEngagements:
		return "groupes"
	case TypeChapitres:
		return "chapitres"
	}
	return ""
}

func (d *decoder) volet(n ast.Node, i int) (Volet, bool) {
	var v Volet
	f := d.mapping(n, fmt.Sprintf("volet #%d", i+1))
	if f == nil {
		return v, false
	}
	v.Code = d.code(f, "volet")
	v.Titre = d.text(f, "titre", true)
	v.Type = d.text(f, "type", true)
	own := childKey(v.Type)
	if v.Type != "" && own == "" {
		d.add(f.lines["type"], "%s: unknown type %q (allowed: %s, %s, %s, %s)", f.label, v.Type,
			TypeCaracteristiques, TypeOffre, TypeEngagements, TypeChapitres)
	}
	for _, k := range f.keys {
		switch k {
		case "code", "type", "titre":
		case "caracteristiques", "fonctions", "groupes", "chapitres":
			// With an unknown type the children cannot be judged; the type is the problem.
			if own != "" && k != own {
				d.add(f.lines[k], "%s: key %q does not belong in a volet of type %s, whose children go under %q", f.label, k, v.Type, own)
			}
		default:
			d.add(f.lines[k], "%s: unknown key %q (allowed: code, type, titre and the children key of the type)", f.label, k)
		}
	}
	if own == "" {
		return v, true
	}
	children := d.list(f, own, true)
	for j, cn := range children {
		switch v.Type {
		case TypeCaracteristiques:
			if c, ok := d.caracteristique(cn, j, f.label); ok {
				v.Caracteristiques = append(v.Caracteristiques, c)
			}
		case TypeOffre:
			if fo, ok := d.fonction(cn, j, f.label); ok {
				v.Fonctions = append(v.Fonctions, fo)
			}
		case TypeEngagements:
			if g, ok := d.groupe(cn, j, f.label); ok {
				v.Groupes = append(v.Groupes, g)
			}
		case TypeChapitres:
			if c, ok := d.chapitre(cn, j, f.label); ok {
				v.Chapitres = append(v.Chapitres, c)
			}
		}
	}
	return v, true
}

func (d *decoder) caracteristique(n ast.Node, i int, parent string) (Caracteristique, bool) {
	var c Caracteristique
	f := d.mapping(n, fmt.Sprintf("caracteristique #%d of %s", i+1, parent))
	if f == nil {
		return c, false
	}
	c.Code = d.code(f, "caracteristique")
	d.known(f, "code", "texte", "modalites")
	c.Texte = d.text(f, "texte", true)
	c.Modalites = d.items(f, "modalites", "modalite")
	return c, true
}

func (d *decoder) fonction(n ast.Node, i int, parent string) (Fonction, bool) {
	var fo Fonction
	f := d.mapping(n, fmt.Sprintf("fonction #%d of %s", i+1, parent))
	if f == nil {
		return fo, false
	}
	fo.Code = d.code(f, "fonction")
	d.known(f, "code", "titre", "finalite", "realisations", "ressources")
	fo.Titre = d.text(f, "titre", true)
	fo.Finalite = d.text(f, "finalite", false)
	for j, rn := range d.list(f, "realisations", true) {
		rf := d.mapping(rn, fmt.Sprintf("realisation #%d of %s", j+1, f.label))
		if rf == nil {
			continue
		}
		r := Realisation{Code: d.code(rf, "realisation")}
		d.known(rf, "code", "texte", "criteres")
		r.Texte = d.text(rf, "texte", true)
		r.Criteres = d.items(rf, "criteres", "critere")
		fo.Realisations = append(fo.Realisations, r)
	}
	if rn, ok := f.vals["ressources"]; ok {
		fo.Ressources = d.ressources(rn, f.label)
	}
	return fo, true
}

func (d *decoder) ressources(n ast.Node, fonction string) []VoletRessources {
	label := "ressources of " + fonction
	f := d.mapping(n, label)
	if f == nil {
		return nil
	}
	if len(f.keys) == 0 {
		d.add(f.line, "%s: no resource volet: remove the key or add one", label)
		return nil
	}
	allowed := RessourceVolets()
	for _, k := range f.keys {
		if LibelleRessource(k) == "" {
			d.add(f.lines[k], "%s: unknown resource volet %q (allowed: %s)", label, k, strings.Join(allowed, ", "))
		}
	}
	var out []VoletRessources
	// The fixed order, not the file's, so that screens and fingerprints agree.
	for _, k := range allowed {
		vn, ok := f.vals[k]
		if !ok {
			continue
		}
		vf := d.mapping(vn, fmt.Sprintf("ressources.%s of %s", k, fonction))
		if vf == nil {
			continue
		}
		d.known(vf, "intro", "conditions")
		out = append(out, VoletRessources{
			Volet:      k,
			Intro:      d.text(vf, "intro", false),
			Conditions: d.items(vf, "conditions", "condition"),
		})
	}
	return out
}

func (d *decoder) groupe(n ast.Node, i int, parent string) (GroupeEngagements, bool) {
	var g GroupeEngagements
	f := d.mapping(n, fmt.Sprintf("groupe #%d of %s", i+1, parent))
	if f == nil {
		return g, false
	}
	g.Code = d.code(f, "groupe")
	d.known(f, "code", "titre", "note", "engagements")
	g.Titre = d.text(f, "titre", true)
	g.Note = d.text(f, "note", false)
	g.Engagements = d.items(f, "engagements", "engagement")
	return g, true
}

func (d *decoder) chapitre(n ast.Node, i int, parent string) (Chapitre, bool) {
	var c Chapitre
	f := d.mapping(n, fmt.Sprintf("chapitre #%d of %s", i+1, parent))
	if f == nil {
		return c, false
	}
	c.Code = d.code(f, "chapitre")
	d.known(f, "code", "titre", "criteres")
	c.Titre = d.text(f, "titre", true)
	c.Criteres = d.items(f, "criteres", "critere")
	return c, true
}

// items reads the required, non-empty list of assessable items under key.
func (d *decoder) items(parent *fields, key, kind string) []Item {
	var out []Item
	for i, n := range d.list(parent, key, true) {
		f := d.mapping(n, fmt.Sprintf("%s #%d of %s", kind, i+1, parent.label))
		if f == nil {
			continue
		}
		it := Item{Code: d.code(f, kind), Line: f.line}
		d.known(f, "code", "texte", "precisions", "imperatif", "aide", "preuves")
		it.Texte = d.text(f, "texte", true)
		it.Precisions = d.texts(f, "precisions")
		it.Imperatif = d.boolean(f, "imperatif")
		it.Aide = d.text(f, "aide", false)
		it.Preuves = d.texts(f, "preuves")
		out = append(out, it)
	}
	return out
}

// fields is a YAML mapping read into its keys, each with the line to blame.
type fields struct {
	label string // names the node in messages, e.g. "critere F2.R1.C3"
	line  int    // first line of the mapping
	keys  []string
	vals  map[string]ast.Node
	lines map[string]int
}

func (d *decoder) mapping(n ast.Node, label string) *fields {
	n = d.deref(n, label)
	if n == nil {
		return nil
	}
	var mvs []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		mvs = m.Values
	case *ast.MappingValueNode:
		mvs = []*ast.MappingValueNode{m}
	case *ast.NullNode:
		d.add(nodeLine(n), "%s is empty", label)
		return nil
	default:
		d.add(nodeLine(n), "%s must be a mapping of keys, not %s", label, describe(n))
		return nil
	}
	f := &fields{label: label, line: nodeLine(n), vals: map[string]ast.Node{}, lines: map[string]int{}}
	if len(mvs) > 0 {
		f.line = nodeLine(mvs[0].Key)
	}
	for _, mv := range mvs {
		kl := nodeLine(mv.Key)
		if _, merge := mv.Key.(*ast.MergeKeyNode); merge {
			d.add(kl, "%s: merge keys (<<) are not supported: write the keys out", label)
			continue
		}
		k := keyText(mv.Key)
		if first, dup := f.lines[k]; dup {
			d.add(kl, "%s: key %q appears twice (first at line %d)", label, k, first)
			continue
		}
		f.keys = append(f.keys, k)
		f.vals[k] = mv.Value
		f.lines[k] = kl
	}
	return f
}

// known reports every key of f that is not in allowed.
func (d *decoder) known(f *fields, allowed ...string) {
	for _, k := range f.keys {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			d.add(f.lines[k], "%s: unknown key %q (allowed: %s)", f.label, k, strings.Join(allowed, ", "))
		}
	}
}

// code reads the required code of a node, checks its form and its uniqueness in
// the whole file, and names the node by it in later messages.
func (d *decoder) code(f *fields, kind string) string {
	c := d.identifier(f, "code")
	if c == "" {
		return ""
	}
	line := f.lines["code"]
	if first, dup := d.codes[c]; dup {
		d.add(line, "%s: duplicate code %q (first used at line %d)", f.label, c, first)
	} else {
		d.codes[c] = line
	}
	f.label = kind + " " + c
	return c
}

// identifier reads a required text that other systems use as a key (codes,
// version), so it must stay free of spaces and punctuation that URLs and CSV
// exports would mangle.
func (d *decoder) identifier(f *fields, key string) string {
	s := d.text(f, key, true)
	if s != "" && !validIdentifier(s) {
		d.add(f.lines[key], "%s: %s %q may only contain letters, digits, '.', '-' and '_', and must start with a letter or digit", f.label, key, s)
	}
	return s
}

func validIdentifier(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case i > 0 && (r == '.' || r == '-' || r == '_'):
		default:
			return false
		}
	}
	return s != ""
}

// text reads a text value; present-but-empty is always a problem, since an
// optional key left empty is a forgotten text more often than a choice.
func (d *decoder) text(f *fields, key string, required bool) string {
	n, ok := f.vals[key]
	if !ok {
		if required {
			d.add(f.line, "%s: missing required key %q", f.label, key)
		}
		return ""
	}
	s, ok := d.scalarText(n, f.lines[key], fmt.Sprintf("%s: %q", f.label, key))
	if ok && s == "" {
		d.add(f.lines[key], "%s: %q is empty", f.label, key)
	}
	return s
}

// texts reads an optional list of non-empty texts.
func (d *decoder) texts(f *fields, key string) []string {
	var out []string
	for i, n := range d.list(f, key, false) {
		s, ok := d.scalarText(n, nodeLine(n), fmt.Sprintf("%s: entry #%d of %q", f.label, i+1, key))
		if ok && s == "" {
			d.add(nodeLine(n), "%s: entry #%d of %q is empty", f.label, i+1, key)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// scalarText returns the trimmed text of a scalar node, and false after reporting
// a value that is not text. Numbers and booleans are refused rather than
// converted, because YAML would silently turn 2018 into an integer and 1.10 into 1.1.
func (d *decoder) scalarText(n ast.Node, line int, what string) (string, bool) {
	if t, ok := n.(*ast.TagNode); ok && t.Start != nil && t.Start.Value == "!!str" && t.Value != nil {
		return strings.TrimSpace(t.Value.GetToken().Value), true
	}
	n = d.deref(n, what)
	switch s := n.(type) {
	case nil:
		return "", false
	case *ast.StringNode:
		return strings.TrimSpace(s.Value), true
	case *ast.LiteralNode:
		if s.Value == nil {
			return "", true
		}
		return strings.TrimSpace(s.Value.Value), true
	case *ast.NullNode:
		return "", true
	}
	d.add(line, "%s must be a text, not %s (put it in double quotes)", what, describe(n))
	return "", false
}

func (d *decoder) integer(f *fields, key string, required bool) (int, bool) {
	n, ok := f.vals[key]
	if !ok {
		if required {
			d.add(f.line, "%s: missing required key %q", f.label, key)
		}
		return 0, false
	}
	n = d.deref(n, fmt.Sprintf("%s: %q", f.label, key))
	if n == nil {
		return 0, false
	}
	if in, ok := n.(*ast.IntegerNode); ok {
		switch v := in.Value.(type) {
		case int64:
			if int64(int(v)) == v {
				return int(v), true
			}
		case uint64:
			if v <= uint64(int(^uint(0)>>1)) {
				return int(v), true
			}
		}
		d.add(f.lines[key], "%s: %q is out of range", f.label, key)
		return 0, false
	}
	d.add(f.lines[key], "%s: %q must be an integer, not %s", f.label, key, describe(n))
	return 0, false
}

func (d *decoder) boolean(f *fields, key string) bool {
	n, ok := f.vals[key]
	if !ok {
		return false
	}
	n = d.deref(n, fmt.Sprintf("%s: %q", f.label, key))
	if n == nil {
		return false
	}
	if b, ok := n.(*ast.BoolNode); ok {
		return b.Value
	}
	d.add(f.lines[key], "%s: %q must be true or false, not %s", f.label, key, describe(n))
	return false
}

// list returns the entries of a list value. An empty list is reported even when
// the key is optional: an empty list is a forgotten content, not a choice.
func (d *decoder) list(f *fields, key string, required bool) []ast.Node {
	n, ok := f.vals[key]
	if !ok {
		if required {
			d.add(f.line, "%s: missing required key %q", f.label, key)
		}
		return nil
	}
	n = d.deref(n, fmt.Sprintf("%s: %q", f.label, key))
	switch s := n.(type) {
	case nil:
		return nil
	case *ast.NullNode:
		d.add(f.lines[key], "%s: %q is empty: add at least one entry", f.label, key)
		return nil
	case *ast.SequenceNode:
		if len(s.Values) == 0 {
			d.add(f.lines[key], "%s: %q is empty: add at least one entry", f.label, key)
		}
		return s.Values
	}
	d.add(f.lines[key], "%s: %q must be a list (entries starting with \"- \"), not %s", f.label, key, describe(n))
	return nil
}

// deref looks through anchors and tags; aliases are refused because a copied
// subtree would duplicate codes and hide the text where it is read.
func (d *decoder) deref(n ast.Node, what string) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			d.add(nodeLine(v), "%s: aliases (*name) are not supported: write the value out", what)
			return nil
		default:
			return n
		}
	}
}

func keyText(k ast.MapKeyNode) string {
	switch v := k.(type) {
	case *ast.StringNode:
		return v.Value
	case *ast.MappingKeyNode:
		if s, ok := v.Value.(*ast.StringNode); ok {
			return s.Value
		}
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return k.String()
}

func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.NullNode:
		return "empty"
	case *ast.StringNode, *ast.LiteralNode:
		return "a text"
	}
	return n.Type().String()
}

func nodeLine(n ast.Node) int {
	if n == nil {
		return 0
	}
	return tokenLine(n.GetToken())
}

func tokenLine(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}
