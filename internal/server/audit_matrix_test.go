package server_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/unml/cadre/internal/apptest"
)

// firstID runs a query of one id in app's database.
func firstID(t *testing.T, app *apptest.App, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := app.Pool.QueryRow(t.Context(), sql, args...).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

var (
	auditPreuve = func(f ids) map[bool]int64 { return f.auditPreuve }
	auditConst  = func(f ids) map[bool]int64 { return f.constat }
)

// onAudit builds a path under the audit of the row's tenant, with the
// piece or finding of the same audit where the format asks for two ids.
func onAudit(format string, second func(ids) map[bool]int64) func(ids, bool) string {
	return func(f ids, own bool) string {
		if second == nil {
			return fmt.Sprintf(format, f.audit[own])
		}
		return fmt.Sprintf(format, f.audit[own], second(f)[own])
	}
}

// auditWant gives the expectations on the own audit (ML Rennes's 2025,
// rapport définitif: the director, the contributor and the Bretagne référent
// see its verdicts, the director its report) and the other one (ML Brest's
// 2026, in progress: none of them sees it). The demo auditor is one of the
// pair of both; admins see nothing. An auditor outside the pair gets 404:
// TestAuditUnassignedAuditor.
func auditWant(pole, auditeur [2]int, referent, dirRen, contrib int) want {
	return want{anon: {303, 303}, admin: {404, 404}, "pole@unml.demo": pole, "auditeur@unml.demo": auditeur,
		"referent@bretagne.demo": {referent, 404}, "directeur@ml-rennes.demo": {dirRen, 404}, "contributeur@ml-rennes.demo": {contrib, 404}}
}

var (
	ok2        = [2]int{200, 200}
	forbidden2 = [2]int{403, 403}
)

// auditRows are the authorization matrix rows of the labelling audit.
var auditRows = map[string]row{
	"GET /audits": {path: fixed("/audits"),
		want: same(map[string]int{anon: 303, admin: 404, pole: 200, auditeur: 200, referent: 200, dirRen: 200, contrib: 200})},
	// An empty form: the Pôle is told to choose a dossier; nobody else reaches it.
	"POST /audits/envois":                 {path: fixed("/audits/envois"), want: only(400, 404, pole)},
	"GET /audits/affecter/{id}":           {path: byID("/audits/affecter/%d", dossier), want: only(200, 404, pole)},
	"POST /audits/affecter/{id}":          {path: byID("/audits/affecter/%d", dossier), want: only(400, 404, pole)},
	"GET /audits/{id}":                    {path: onAudit("/audits/%d", nil), want: auditWant(ok2, ok2, 303, 303, 303)},
	"GET /audits/{id}/sections/{section}": {path: onAudit("/audits/%d/sections/F1", nil), want: auditWant(ok2, ok2, 404, 404, 404)},
	// Nothing changed: the Pôle may not rate; the pair is told the frozen audit
	// no longer changes, and the audit in progress that nothing was saved.
	"POST /audits/{id}/sections/{section}": {path: onAudit("/audits/%d/sections/F1", nil), want: auditWant(forbidden2, [2]int{409, 303}, 404, 404, 404)},
	"POST /audits/{id}/preuves/{preuve}":   {path: onAudit("/audits/%d/preuves/%d", auditPreuve), want: auditWant(forbidden2, [2]int{409, 400}, 404, 404, 404)},
	"GET /audits/{id}/preuves/{preuve}/telecharger": {path: onAudit("/audits/%d/preuves/%d/telecharger", auditPreuve),
		want: auditWant(ok2, ok2, 404, 404, 404)},
	"POST /audits/{id}/constats":           {path: onAudit("/audits/%d/constats", nil), want: auditWant(forbidden2, [2]int{409, 400}, 404, 404, 404)},
	"GET /audits/{id}/constats/{constat}":  {path: onAudit("/audits/%d/constats/%d", auditConst), want: auditWant(ok2, ok2, 404, 200, 404)},
	"POST /audits/{id}/sites":              {path: onAudit("/audits/%d/sites", nil), want: auditWant([2]int{409, 400}, [2]int{409, 400}, 404, 404, 404)},
	"GET /audits/{id}/verification":        {path: onAudit("/audits/%d/verification", nil), want: auditWant(ok2, ok2, 404, 404, 404)},
	"POST /audits/{id}/rapport-provisoire": {path: onAudit("/audits/%d/rapport-provisoire", nil), want: auditWant(forbidden2, [2]int{409, 400}, 404, 404, 404)},
	"GET /audits/{id}/rapport":             {path: onAudit("/audits/%d/rapport", nil), want: auditWant(ok2, ok2, 404, 200, 404)},
	"POST /audits/{id}/observations":       {path: onAudit("/audits/%d/observations", nil), want: auditWant(forbidden2, forbidden2, 404, 409, 404)},
	"POST /audits/{id}/reponses":           {path: onAudit("/audits/%d/reponses", nil), want: auditWant(forbidden2, [2]int{409, 409}, 404, 404, 404)},
	"POST /audits/{id}/rapport-definitif":  {path: onAudit("/audits/%d/rapport-definitif", nil), want: auditWant(forbidden2, [2]int{409, 409}, 404, 404, 404)},
	"GET /audits/{id}/verdicts":            {path: onAudit("/audits/%d/verdicts", nil), want: auditWant(ok2, ok2, 200, 200, 200)},
	// The qualification is for auditor accounts: the Pôle is told so for these.
	"POST /utilisateurs/{id}/qualification": {path: byID("/utilisateurs/%d/qualification", user), body: url.Values{"qualification": {"reseau"}},
		want: only(400, 404, pole)},
}
