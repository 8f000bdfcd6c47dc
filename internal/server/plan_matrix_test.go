package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/plan"
)

// planMatrixIDs creates an action in Rennes's and in Lyon's plans and finds
// the demo's commission session, Rennes's decision and Lyon's adjourned dossier.
func planMatrixIDs(t *testing.T, app *apptest.App) ids {
	t.Helper()
	f := app.Fixture
	var out ids
	out.action = map[bool]int64{}
	for own, ml := range map[bool]string{true: "rennes", false: "lyon"} {
		director := f.Users["directeur@ml-"+ml+".demo"]
		id, err := app.Store.CreatePlanAction(t.Context(), &domain.Actor{UserID: director}, domain.RoleDirecteur, plan.Action{
			StructureID: f.Structures["ML-"+map[string]string{"rennes": "RENNES", "lyon": "LYON"}[ml]], Titre: "Action de la matrice",
			Items: []string{"F1.R1.C1"}, Origine: plan.OrigineAutoeval, PiloteID: director, Priorite: plan.Moyenne, Echeance: time.Now().AddDate(0, 1, 0)})
		if err != nil {
			t.Fatal(err)
		}
		out.action[own] = id
	}
	if err := app.Pool.QueryRow(t.Context(), "SELECT max(id) FROM commission_sessions").Scan(&out.session); err != nil {
		t.Fatal(err)
	}
	decisions, err := app.Store.DecisionsOf(t.Context(), []int64{f.Autoevaluations["ML-RENNES/2025"]})
	if err != nil || len(decisions) != 1 {
		t.Fatalf("Rennes's decision: %v, %v", decisions, err)
	}
	out.decision = decisions[0].ID
	out.ajourne = f.Autoevaluations["ML-LYON/2025"]
	return out
}

var action = func(f ids) map[bool]int64 { return f.action }

// planView expects the plan's pages: the national team sees every ML's, the
// Bretagne référent and Rennes's people their own; admins and auditors none.
func planView(pole, referent, dir, contrib [2]int) want {
	return want{anon: {303, 303}, admin: {404, 404}, auditeur: {404, 404}, "pole@unml.demo": pole,
		"referent@bretagne.demo": referent, "directeur@ml-rennes.demo": dir, "contributeur@ml-rennes.demo": contrib}
}

// planRows are the authorization matrix rows of the plan d'amélioration.
var planRows = map[string]row{
	"GET /plan/structures/{id}":             {path: byID("/plan/structures/%d", structure), want: planView([2]int{200, 200}, [2]int{200, 404}, [2]int{200, 404}, [2]int{200, 404})},
	"GET /plan/structures/{id}/export.csv":  {path: byID("/plan/structures/%d/export.csv", structure), want: planView([2]int{200, 200}, [2]int{200, 404}, [2]int{200, 404}, [2]int{200, 404})},
	"GET /plan/structures/{id}/export.xlsx": {path: byID("/plan/structures/%d/export.xlsx", structure), want: planView([2]int{200, 200}, [2]int{200, 404}, [2]int{200, 404}, [2]int{200, 404})},
	// Only the ML's director creates actions; the others who see the plan are refused.
	"GET /plan/structures/{id}/actions/nouvelle":  {path: byID("/plan/structures/%d/actions/nouvelle?item=F1.R1.C1", structure), want: planView([2]int{403, 403}, [2]int{403, 404}, [2]int{200, 404}, [2]int{403, 404})},
	"POST /plan/structures/{id}/actions/nouvelle": {path: byID("/plan/structures/%d/actions/nouvelle", structure), want: planView([2]int{403, 403}, [2]int{403, 404}, [2]int{400, 404}, [2]int{403, 404})},
	"GET /plan/actions/{id}":                      {path: byID("/plan/actions/%d", action), want: planView([2]int{200, 200}, [2]int{200, 404}, [2]int{200, 404}, [2]int{200, 404})},
	"POST /plan/actions/{id}/statut":              {path: byID("/plan/actions/%d/statut", action), want: planView([2]int{403, 403}, [2]int{403, 404}, [2]int{400, 404}, [2]int{403, 404})},
	// An empty comment is refused to those who may comment.
	"POST /plan/actions/{id}/commentaire": {path: byID("/plan/actions/%d/commentaire", action), want: planView([2]int{400, 400}, [2]int{400, 404}, [2]int{400, 404}, [2]int{403, 404})},
	"GET /plan/regions/{id}":              {path: byID("/plan/regions/%d", region), want: planView([2]int{200, 200}, [2]int{200, 404}, [2]int{404, 404}, [2]int{404, 404})},
}

func one(format string, pick func(ids) int64) func(ids, bool) string {
	return func(f ids, _ bool) string { return fmt.Sprintf(format, pick(f)) }
}

// commissionRows are the rows of the commission and the register: the Pôle's
// pages (others are refused, or do not find the session), the register for all.
var commissionRows = map[string]row{
	"GET /commission":                              {path: fixed("/commission"), want: only(200, 403, pole)},
	"POST /commission/sessions":                    {path: fixed("/commission/sessions"), want: only(400, 403, pole)},
	"GET /commission/sessions/{id}":                {path: one("/commission/sessions/%d", func(f ids) int64 { return f.session }), want: only(200, 404, pole)},
	"POST /commission/sessions/{id}/ordre-du-jour": {path: one("/commission/sessions/%d/ordre-du-jour", func(f ids) int64 { return f.session }), want: only(400, 404, pole)},
	"POST /commission/sessions/{id}/decisions":     {path: one("/commission/sessions/%d/decisions", func(f ids) int64 { return f.session }), want: only(400, 404, pole)},
	"POST /commission/decisions/{id}/correction":   {path: one("/commission/decisions/%d/correction", func(f ids) int64 { return f.decision }), want: only(400, 404, pole)},
	"POST /commission/autoevaluations/{id}/representation": {path: one("/commission/autoevaluations/%d/representation", func(f ids) int64 { return f.ajourne }),
		want: only(400, 404, pole)},
	"GET /registre": {path: fixed("/registre?region=1"), want: everyone(200)},
}
