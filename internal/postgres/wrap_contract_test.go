package postgres

import (
	"go/ast"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// TestEveryStoreErrorIsWrappedOnce reads the store's code: an exported method of
// *Store that returns an error names its operation and ids in it exactly once,
// either as a read (a named err result and, first thing,
// `defer wrap(&err, "Method(…)", ids…)`) or as a write (every s.inTx it calls
// gets an op that starts with the method's name, `fmt.Sprintf("Method(%d)", id)`),
// or by returning another exported method's result as it is. It must not do
// both, and no method of the store, exported or not, wraps an error a second
// time with fmt.Errorf("…: %w", err).
func TestEveryStoreErrorIsWrappedOnce(t *testing.T) {
	funcs := packageFuncs(t)
	// The unexported methods that write through s.inTx, for the exported ones
	// that call them (createPreuve for CreatePreuve): their ops count as the
	// caller's.
	helpers := map[string]*ast.FuncDecl{}
	for _, fd := range funcs {
		if fd.decl.Recv != nil && !fd.decl.Name.IsExported() && isStoreReceiver(fd.decl.Recv) {
			if ops, ok := inTxOps(fd.decl); len(ops) > 0 || !ok {
				helpers[fd.decl.Name.Name] = fd.decl
			}
		}
	}
	checked := 0
	for _, fd := range funcs {
		fn, fset := fd.decl, fd.fset
		if fn.Recv == nil || !isStoreReceiver(fn.Recv) {
			continue
		}
		if fn.Name.Name == "inTx" {
			continue // the one wrap of every write, with its op
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && isRewrap(call) {
				t.Errorf("%s: (*Store).%s wraps an error with fmt.Errorf: return err as it is, the exported method names its operation", fset.Position(call.Pos()), fn.Name.Name)
			}
			return true
		})
		if !fn.Name.IsExported() || !returnsError(fn) {
			continue
		}
		checked++
		name, pos := fn.Name.Name, fset.Position(fn.Pos())
		wraps := defersWrap(fn)
		ops, opsOK := inTxOps(fn)
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && isIdent(sel.X, "s") && helpers[sel.Sel.Name] != nil {
					more, ok := inTxOps(helpers[sel.Sel.Name])
					ops, opsOK = append(ops, more...), opsOK && ok
				}
			}
			return true
		})
		switch {
		case wraps && len(ops) > 0:
			t.Errorf("%s: (*Store).%s defers wrap and writes through s.inTx: its error would be wrapped twice", pos, name)
		case wraps:
			if !namedErr(fn) {
				t.Errorf("%s: (*Store).%s defers wrap but its error result is not named err", pos, name)
			}
			if op := wrapFormat(fn); !namesMethod(op, name) {
				t.Errorf("%s: (*Store).%s wraps its error as %q: want %q", pos, name, op, name+"(…)")
			}
		case len(ops) > 0 || !opsOK:
			if !opsOK {
				t.Errorf("%s: (*Store).%s gives s.inTx an op this test cannot read: use fmt.Sprintf(%q, ids…)", pos, name, name+"(%d)")
			}
			for _, op := range ops {
				if !namesMethod(op, name) {
					t.Errorf("%s: (*Store).%s writes with op %q: want %q", pos, name, op, name+"(…)")
				}
			}
		case delegates(fn):
		default:
			t.Errorf("%s: (*Store).%s returns an error without its operation: add a named err result and `defer wrap(&err, %q, ids…)`", pos, name, name+"(%d)")
		}
	}
	if checked < 80 {
		t.Errorf("only %d exported methods return an error: the test no longer sees the store", checked)
	}
}

// namesMethod reports whether an op or wrap format names the method: the
// method's name, alone or followed by its ids in parentheses.
func namesMethod(op, method string) bool {
	return op == method || strings.HasPrefix(op, method+"(")
}

func returnsError(fn *ast.FuncDecl) bool {
	res := fn.Type.Results
	if res == nil || len(res.List) == 0 {
		return false
	}
	id, ok := res.List[len(res.List)-1].Type.(*ast.Ident)
	return ok && id.Name == "error"
}

func namedErr(fn *ast.FuncDecl) bool {
	last := fn.Type.Results.List[len(fn.Type.Results.List)-1]
	return len(last.Names) > 0 && last.Names[len(last.Names)-1].Name == "err"
}

// wrapCall returns the deferred wrap call that opens fn's body, if it does.
func wrapCall(fn *ast.FuncDecl) *ast.CallExpr {
	if len(fn.Body.List) == 0 {
		return nil
	}
	d, ok := fn.Body.List[0].(*ast.DeferStmt)
	if !ok {
		return nil
	}
	if id, ok := d.Call.Fun.(*ast.Ident); ok && id.Name == "wrap" && len(d.Call.Args) >= 2 {
		return d.Call
	}
	return nil
}

func defersWrap(fn *ast.FuncDecl) bool { return wrapCall(fn) != nil }

func wrapFormat(fn *ast.FuncDecl) string {
	s, _ := stringLit(wrapCall(fn).Args[1])
	return s
}

// inTxOps returns the op of every s.inTx call in fn (string literals, the format
// of fmt.Sprintf, or the same assigned to a variable first); ok is false when
// one of them is none of those.
func inTxOps(fn *ast.FuncDecl) (ops []string, ok bool) {
	assigned := map[string]ast.Expr{}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if a, isAssign := n.(*ast.AssignStmt); isAssign && len(a.Lhs) == len(a.Rhs) {
			for i, l := range a.Lhs {
				if id, isIdent := l.(*ast.Ident); isIdent {
					assigned[id.Name] = a.Rhs[i]
				}
			}
		}
		return true
	})
	ok = true
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		call, isCall := n.(*ast.CallExpr)
		if !isCall || !isStoreCall(call, "inTx") || len(call.Args) < 3 {
			return true
		}
		arg := call.Args[2]
		if id, isIdent := arg.(*ast.Ident); isIdent && assigned[id.Name] != nil {
			arg = assigned[id.Name]
		}
		if op, isOp := opFormat(arg); isOp {
			ops = append(ops, op)
		} else {
			ok = false
		}
		return true
	})
	return ops, ok
}

// opFormat reads an op: a string literal, or fmt.Sprintf's format.
func opFormat(e ast.Expr) (string, bool) {
	if s, ok := stringLit(e); ok {
		return s, true
	}
	if call, ok := e.(*ast.CallExpr); ok && isPkgCall(call, "fmt", "Sprintf") && len(call.Args) > 0 {
		return stringLit(call.Args[0])
	}
	return "", false
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// delegates reports whether fn's body is `return s.Other(…)`, another exported
// method of the store, which names its own operation.
func delegates(fn *ast.FuncDecl) bool {
	if len(fn.Body.List) != 1 {
		return false
	}
	ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return false
	}
	call, ok := ret.Results[0].(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && isIdent(sel.X, "s") && sel.Sel.IsExported()
}

// isRewrap matches fmt.Errorf("…%w…", …, err): a second wrap of an error that
// already carries its cause's words (a sentinel such as domain.ErrNotFound,
// wrapped with a message, is not one).
func isRewrap(call *ast.CallExpr) bool {
	if !isPkgCall(call, "fmt", "Errorf") || len(call.Args) < 2 {
		return false
	}
	format, _ := stringLit(call.Args[0])
	return strings.Contains(format, "%w") && isIdent(call.Args[len(call.Args)-1], "err")
}

func isStoreCall(call *ast.CallExpr, method string) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && isIdent(sel.X, "s") && sel.Sel.Name == method
}

func isPkgCall(call *ast.CallExpr, pkg, fun string) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && isIdent(sel.X, pkg) && sel.Sel.Name == fun
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
