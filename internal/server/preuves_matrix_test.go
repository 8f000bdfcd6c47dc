package server_test

// evidence expects statuses for the national team, the région's référent, and the
// ML's director and contributor on ML Rennes' objects; the other tenant (ML Lyon)
// is hidden from all of them but the national team.
func evidence(pole, referent, director, contributor int) want {
	return want{anon: {303, 303}, admin: {404, 404}, auditeur: {404, 404}, "pole@unml.demo": {pole, pole},
		"referent@bretagne.demo": {referent, 404}, "directeur@ml-rennes.demo": {director, 404}, "contributeur@ml-rennes.demo": {contributor, 404}}
}

// preuveRows are the authorization matrix rows of the evidence library. The
// "own" piece is a file of ML Rennes, which does not open its files to the ARML.
var preuveRows = map[string]row{
	"GET /reseau/structures/{id}/preuves":             {path: byID("/reseau/structures/%d/preuves", structure), want: evidence(200, 200, 200, 200)},
	"GET /reseau/structures/{id}/preuves/nouvelle":    {path: byID("/reseau/structures/%d/preuves/nouvelle", structure), want: evidence(403, 403, 200, 200)},
	"POST /reseau/structures/{id}/preuves/nouvelle":   {path: byID("/reseau/structures/%d/preuves/nouvelle", structure), want: evidence(403, 403, 400, 400)},
	"POST /reseau/structures/{id}/preuves/parametres": {path: byID("/reseau/structures/%d/preuves/parametres", structure), want: evidence(403, 403, 303, 403), destructive: true},
	"POST /rgpd":                               {path: fixed("/rgpd"), want: everyone(400)},
	"GET /preuves/{id}":                        {path: byID("/preuves/%d", preuve), want: evidence(200, 200, 200, 200)},
	"POST /preuves/{id}/versions":              {path: byID("/preuves/%d/versions", preuve), want: evidence(403, 403, 400, 400)},
	"GET /preuves/{id}/modifier":               {path: byID("/preuves/%d/modifier", preuve), want: evidence(403, 403, 200, 200)},
	"POST /preuves/{id}/modifier":              {path: byID("/preuves/%d/modifier", preuve), want: evidence(403, 403, 400, 400)},
	"POST /preuves/{id}/items":                 {path: byID("/preuves/%d/items", preuve), want: evidence(403, 403, 400, 400)},
	"POST /preuves/{id}/items/{code}/detacher": {path: byID("/preuves/%d/items/G.C1.M1/detacher", preuve), want: evidence(403, 403, 303, 303), destructive: true},
	"GET /preuves/{id}/telecharger":            {path: byID("/preuves/%d/telecharger", preuve), want: evidence(200, 403, 200, 200)},
}
