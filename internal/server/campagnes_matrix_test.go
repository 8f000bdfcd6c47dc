package server_test

// campagneRows are the authorization matrix rows of the campaign pages. They
// assume the demo data (internal/demo): campaign 1 exists and is closed
// ("Auto-évaluation 2025"), so opening it again is a conflict. Campaigns are
// national: everyone but the national team gets 403, whether the campaign
// exists or not.
var campagneRows = map[string]row{
	"GET /campagnes":              {path: fixed("/campagnes"), want: only(200, 403, pole)},
	"GET /campagnes/nouvelle":     {path: fixed("/campagnes/nouvelle"), want: only(200, 403, pole)},
	"POST /campagnes/nouvelle":    {path: fixed("/campagnes/nouvelle"), want: only(400, 403, pole)},
	"GET /campagnes/{id}":         {path: fixed("/campagnes/1"), want: only(200, 403, pole)},
	"GET /campagnes/{id}/ouvrir":  {path: fixed("/campagnes/1/ouvrir"), want: only(409, 403, pole)},
	"POST /campagnes/{id}/ouvrir": {path: fixed("/campagnes/1/ouvrir"), want: only(409, 403, pole), destructive: true},
}
