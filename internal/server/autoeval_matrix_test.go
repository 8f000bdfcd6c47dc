package server_test

// assessment expects, on the own tenant (ML Rennes' auto-évaluation) and another
// (ML Lyon's), the national team and the ML's and région's people to see it, and
// statuses for what they do.
func assessment(pole, referent, director, contributor int) want {
	return want{anon: {303, 303}, admin: {404, 404}, auditeur: {404, 404}, "pole@unml.demo": {pole, pole},
		"referent@bretagne.demo": {referent, 404}, "directeur@ml-rennes.demo": {director, 404}, "contributeur@ml-rennes.demo": {contributor, 404}}
}

// autoevalRows are the authorization matrix rows of the self-assessment screens.
var autoevalRows = map[string]row{
	"GET /autoevaluations/{id}":                         {path: byID("/autoevaluations/%d", autoeval), want: assessment(200, 200, 200, 200)},
	"GET /autoevaluations/{id}/sections/{section}":      {path: byID("/autoevaluations/%d/sections/F1", autoeval), want: assessment(200, 200, 200, 200)},
	"POST /autoevaluations/{id}/sections/{section}":     {path: byID("/autoevaluations/%d/sections/F1", autoeval), want: assessment(403, 403, 303, 303)},
	"POST /autoevaluations/{id}/items/{code}":           {path: byID("/autoevaluations/%d/items/F1.R1.C1", autoeval), want: assessment(403, 403, 400, 400)},
	"GET /autoevaluations/{id}/items/{code}/historique": {path: byID("/autoevaluations/%d/items/F1.R1.C1/historique", autoeval), want: assessment(200, 200, 200, 200)},
	"GET /autoevaluations/{id}/soumission":              {path: byID("/autoevaluations/%d/soumission", autoeval), want: assessment(200, 200, 200, 200)},
	"POST /autoevaluations/{id}/soumission":             {path: byID("/autoevaluations/%d/soumission", autoeval), want: assessment(403, 403, 400, 403)},
	"GET /autoevaluations/{id}/soumettre":               {path: byID("/autoevaluations/%d/soumettre", autoeval), want: assessment(403, 403, 303, 403)},
	"GET /autoevaluations/{id}/reprise":                 {path: byID("/autoevaluations/%d/reprise", autoeval), want: assessment(403, 403, 200, 403)},
	"POST /autoevaluations/{id}/reprise":                {path: byID("/autoevaluations/%d/reprise", autoeval), want: assessment(403, 403, 303, 403), destructive: true},
	"POST /autoevaluations/{id}/affectations":           {path: byID("/autoevaluations/%d/affectations", autoeval), want: assessment(403, 403, 400, 403)},
}
