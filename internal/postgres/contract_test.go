package postgres

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// systemWrites are the store's writes that no person makes: the background
// work of every server. Everything else that writes names its actor.
var systemWrites = map[string]string{
	"DeleteExpiredSessions": "the cleanup loop",
	"CollectOrphanContent":  "the cleanup loop",
	"ClaimDueMail":          "the mail worker's bookkeeping",
	"MarkMailSent":          "the mail worker's bookkeeping",
	"MarkMailFailed":        "the mail worker's bookkeeping",
	// The référentiel package sits below the domain, which uses it; a version
	// is imported once, at start-up or from the command line, and never changes.
	"ImportReferentiel": "the import of immutable référentiel versions",
}

// TestEveryWriteTakesTheActorAndRunsInInTx reads the store's code: an exported
// method of *Store that writes must take a *domain.Actor and write through
// s.inTx, the one place where the journal and the tenant of row-level security
// are set; none may open its own transaction or write on the pool.
func TestEveryWriteTakesTheActorAndRunsInInTx(t *testing.T) {
	checked := 0
	for _, fd := range packageFuncs(t) {
		fn, fset, body := fd.decl, fd.fset, fd.body
		if fn.Recv == nil || !fn.Name.IsExported() || !isStoreReceiver(fn.Recv) {
			continue
		}
		writes := strings.Contains(body, "s.inTx(") || strings.Contains(body, "s.pool.Exec(") || strings.Contains(body, "s.pool.Begin(") ||
			strings.Contains(body, "pgx.BeginFunc(") || strings.Contains(body, "s.scopedTx(")
		if !writes {
			continue
		}
		checked++
		if _, ok := systemWrites[fn.Name.Name]; ok {
			continue
		}
		if !takesActor(fn) {
			t.Errorf("%s: (*Store).%s writes but takes no *domain.Actor", fset.Position(fn.Pos()), fn.Name.Name)
		}
		if strings.Contains(body, "s.pool.Exec(") || strings.Contains(body, "s.pool.Begin(") || strings.Contains(body, "pgx.BeginFunc(") {
			t.Errorf("%s: (*Store).%s writes outside s.inTx", fset.Position(fn.Pos()), fn.Name.Name)
		}
	}
	if checked < 20 {
		t.Errorf("only %d writing methods found: the test no longer sees the store's writes", checked)
	}
}

// journals matches a call that records a journal entry: tx.journal(...) or a
// journalSomething(...) helper.
var journals = regexp.MustCompile(`\.journal\(|\bjournal[A-Z]\w*\(`)

// TestEveryWriteJournals reads the store's code: every method of *Store that
// writes through s.inTx, exported or not, must record its changes in the
// journal: call tx.journal, a journal* helper, or a function of the package
// that does (followed through calls), so that no write goes unjournalled.
func TestEveryWriteJournals(t *testing.T) {
	type fun struct {
		pos     token.Position
		body    string
		inStore bool
	}
	funcs := map[string]fun{}
	for _, fd := range packageFuncs(t) {
		key := fd.decl.Name.Name
		if fd.decl.Recv != nil {
			key = "method " + key // a method may share a function's name
		}
		funcs[key] = fun{fd.fset.Position(fd.decl.Pos()), fd.body, fd.decl.Recv != nil && isStoreReceiver(fd.decl.Recv)}
	}
	// Which functions journal, directly or through the package's functions they call.
	journalling := map[string]bool{}
	// A call of each journalling function, compiled once: compiling them
	// afresh for every pair of functions took seconds of CPU under -race.
	calls := map[string]*regexp.Regexp{}
	for changed := true; changed; {
		changed = false
		for name, f := range funcs {
			if journalling[name] {
				continue
			}
			does := journals.MatchString(f.body)
			for callee := range journalling {
				if calls[callee] == nil {
					calls[callee] = regexp.MustCompile(`\b` + strings.TrimPrefix(callee, "method ") + `\(`)
				}
				does = does || calls[callee].MatchString(f.body)
			}
			if does {
				journalling[name], changed = true, true
			}
		}
	}
	checked := 0
	for name, f := range funcs {
		if !f.inStore || !strings.Contains(f.body, "s.inTx(") {
			continue
		}
		checked++
		if !journalling[name] {
			t.Errorf("%s: (*Store).%s writes through s.inTx but journals nothing", f.pos, strings.TrimPrefix(name, "method "))
		}
	}
	if checked < 25 {
		t.Errorf("only %d methods write through s.inTx: the test no longer sees the store's writes", checked)
	}
}

// funcDecl is a function of the package's code, with its body's text.
type funcDecl struct {
	fset *token.FileSet
	decl *ast.FuncDecl
	body string
}

// packageFuncs parses the package's non-test files and returns every function
// and method that has a body.
func packageFuncs(t *testing.T) []funcDecl {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []funcDecl
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Body != nil {
				out = append(out, funcDecl{fset, fn, string(src[fset.Position(fn.Body.Pos()).Offset:fset.Position(fn.Body.End()).Offset])})
			}
		}
	}
	return out
}

// tenantTables are the tables of migration 0009's policies (TestRowLevelSecurity
// finds them from the catalog).
var tenantTables = []string{"sites", "structure_regions", "campagne_structures", "autoevaluations",
	"autoevaluation_transitions", "cotations", "cotation_historique", "membership_sections", "campagne_rappels",
	"preuve_contenus", "preuve_morceaux", "preuves", "preuve_versions", "preuve_sites", "preuve_items",
	"preuve_statuts", "preuve_telechargements", "memberships",
	"revue_items", "revue_avis", "revue_renvois", "revue_renvoi_items", "preuve_modifications",
	"membership_historique", "audit_envois", "audits", "audit_sites", "audit_items", "audit_preuves", "audit_constats",
	"plan_actions", "plan_action_items", "plan_action_historique", "commission_dossiers", "commission_decisions", "label_rappels"}

// TestTenantReadsSetTheScope reads the store's code: a function that names a
// tenant table in its SQL must not query it on the pool directly, where no
// scope is set and row-level security shows nothing; it reads through s.query
// or s.read (or writes through s.inTx), which set the scope.
func TestTenantReadsSetTheScope(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for _, tb := range tenantTables {
		tables = append(tables, regexp.QuoteMeta(tb))
	}
	tenantSQL := regexp.MustCompile(`(?i)\b(FROM|JOIN|INTO|UPDATE)\s+(` + strings.Join(tables, "|") + `)\b`)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			body := string(src[fset.Position(fn.Body.Pos()).Offset:fset.Position(fn.Body.End()).Offset])
			if m := tenantSQL.FindString(body); m != "" && strings.Contains(body, ".pool.") {
				t.Errorf("%s: %s names %q and uses the pool directly: read through s.query or s.read", fset.Position(fn.Pos()), fn.Name.Name, m)
			}
		}
	}
}

func isStoreReceiver(recv *ast.FieldList) bool {
	if len(recv.List) != 1 {
		return false
	}
	star, ok := recv.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := star.X.(*ast.Ident)
	return ok && id.Name == "Store"
}

func takesActor(fn *ast.FuncDecl) bool {
	for _, p := range fn.Type.Params.List {
		star, ok := p.Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		if sel, ok := star.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Actor" {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "domain" {
				return true
			}
		}
	}
	return false
}
