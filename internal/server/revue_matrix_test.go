package server_test

// review expects, on the own tenant (ML Quimper's submitted dossier, région
// Bretagne) and another (ML Lyon's, région ARA), the national team to see
// every région's review and the Bretagne référent its own only; the ML's
// people, admins and auditors never see the review.
func review(pole [2]int, referent int) want {
	return want{anon: {303, 303}, admin: {404, 404}, auditeur: {404, 404}, "pole@unml.demo": pole,
		"referent@bretagne.demo": {referent, 404}, "directeur@ml-rennes.demo": {404, 404}, "contributeur@ml-rennes.demo": {404, 404}}
}

// revueRows are the authorization matrix rows of the regional review.
var revueRows = map[string]row{
	"GET /revue": {path: fixed("/revue"),
		want: same(map[string]int{anon: 303, admin: 404, pole: 200, auditeur: 404, referent: 303, dirRen: 404, contrib: 404})},
	"GET /revue/regions/{id}":                            {path: byID("/revue/regions/%d", region), want: review([2]int{200, 200}, 200)},
	"GET /revue/regions/{id}/carte":                      {path: byID("/revue/regions/%d/carte", region), want: review([2]int{200, 200}, 200)},
	"GET /revue/autoevaluations/{id}":                    {path: byID("/revue/autoevaluations/%d", dossier), want: review([2]int{200, 200}, 200)},
	"GET /revue/autoevaluations/{id}/sections/{section}": {path: byID("/revue/autoevaluations/%d/sections/F1", dossier), want: review([2]int{200, 200}, 200)},
	// An empty form changes nothing: the référent is told so; the Pôle gives no avis.
	"POST /revue/autoevaluations/{id}/sections/{section}": {path: byID("/revue/autoevaluations/%d/sections/F1", dossier), want: review([2]int{403, 403}, 303)},
	"POST /revue/autoevaluations/{id}/avis":               {path: byID("/revue/autoevaluations/%d/avis", dossier), want: review([2]int{403, 403}, 400)},
	// A return needs its reasons: both who may return are told so.
	"POST /revue/autoevaluations/{id}/renvoi": {path: byID("/revue/autoevaluations/%d/renvoi", dossier), want: review([2]int{400, 400}, 400)},
}
