package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/web"
)

// The people of the matrix, all from the demo data. "Own" objects are those of
// ML Rennes and région Bretagne; "other" ones those of ML Lyon and région ARA.
const (
	anon     = ""
	admin    = "admin@cadre.demo"
	pole     = "pole@unml.demo"
	auditeur = "auditeur@unml.demo"
	referent = "referent@bretagne.demo"
	dirRen   = "directeur@ml-rennes.demo"
	contrib  = "contributeur@ml-rennes.demo"
)

var principals = []string{anon, admin, pole, auditeur, referent, dirRen, contrib}

// want gives the expected status for a principal on the own and the other tenant.
type want map[string][2]int

// same expects one status whatever the tenant.
func same(statuses map[string]int) want {
	w := want{}
	for p, s := range statuses {
		w[p] = [2]int{s, s}
	}
	return w
}

// everyone expects status for every signed-in principal, and 303 (to the login
// page) for the visitor.
func everyone(status int) want {
	return same(map[string]int{anon: 303, admin: status, pole: status, auditeur: status, referent: status, dirRen: status, contrib: status})
}

// only expects ok for the listed principals and otherwise for the other signed-in ones.
func only(ok, otherwise int, who ...string) want {
	m := map[string]int{anon: 303}
	for _, p := range principals[1:] {
		m[p] = otherwise
	}
	for _, p := range who {
		m[p] = ok
	}
	return same(m)
}

// row is one route of the matrix.
type row struct {
	// path builds the URL for the own (true) or other (false) tenant.
	path func(f ids, own bool) string
	body url.Values
	want want
	// destructive routes run each case on a fresh app, so cases cannot interfere.
	destructive bool
}

// ids are the objects the paths point to.
type ids struct {
	region, structure, site, membership, user, autoeval, preuve map[bool]int64
	// dossier is a submitted auto-évaluation of the own région (ML Quimper's).
	dossier map[bool]int64
	// audit: Rennes's 2025 audit (rapport définitif) and Brest's 2026 one (in
	// progress), with one piece and one finding of each.
	audit, auditPreuve, constat map[bool]int64
	message                     int64
	css                         string
	// action is an action of the own (Rennes) and other (Lyon) ML's plan;
	// session and decision the demo's commission session and Rennes's decision.
	action            map[bool]int64
	session, decision int64
	// ajourne is the demo's adjourned dossier (Lyon 2025).
	ajourne int64
}

func fixed(p string) func(ids, bool) string { return func(ids, bool) string { return p } }

func byID(format string, pick func(ids) map[bool]int64) func(ids, bool) string {
	return func(f ids, own bool) string { return fmt.Sprintf(format, pick(f)[own]) }
}

var (
	region     = func(f ids) map[bool]int64 { return f.region }
	structure  = func(f ids) map[bool]int64 { return f.structure }
	site       = func(f ids) map[bool]int64 { return f.site }
	membership = func(f ids) map[bool]int64 { return f.membership }
	user       = func(f ids) map[bool]int64 { return f.user }
	autoeval   = func(f ids) map[bool]int64 { return f.autoeval }
	preuve     = func(f ids) map[bool]int64 { return f.preuve }
	dossier    = func(f ids) map[bool]int64 { return f.dossier }
)

// networkManage is the expectation of the national team's edit pages of an object
// of a given tenant: the national team may, admins see but may not, people of the
// tenant see but may not, people of other tenants do not see it.
func networkManage(okStatus int, seesOwn ...string) want {
	w := want{anon: {303, 303}, pole: {okStatus, okStatus}, admin: {403, 403}, auditeur: {404, 404}}
	for _, p := range []string{referent, dirRen, contrib} {
		w[p] = [2]int{404, 404}
	}
	for _, p := range seesOwn {
		w[p] = [2]int{403, 404}
	}
	return w
}

// matrix gathers the rows of every feature's file.
var matrix = mergeRows(baseRows, campagneRows, autoevalRows, preuveRows, revueRows, auditRows, planRows, commissionRows)

func mergeRows(parts ...map[string]row) map[string]row {
	all := map[string]row{}
	for _, part := range parts {
		for k, v := range part {
			all[k] = v
		}
	}
	return all
}

var baseRows = map[string]row{
	"GET /healthz":                      {path: fixed("/healthz"), want: same(map[string]int{anon: 200, admin: 200, pole: 200, auditeur: 200, referent: 200, dirRen: 200, contrib: 200})},
	"GET /readyz":                       {path: fixed("/readyz"), want: same(map[string]int{anon: 200, admin: 200, pole: 200, auditeur: 200, referent: 200, dirRen: 200, contrib: 200})},
	"HEAD /healthz":                     {path: fixed("/healthz"), want: same(map[string]int{anon: 200, admin: 200, pole: 200, auditeur: 200, referent: 200, dirRen: 200, contrib: 200})},
	"HEAD /readyz":                      {path: fixed("/readyz"), want: same(map[string]int{anon: 200, admin: 200, pole: 200, auditeur: 200, referent: 200, dirRen: 200, contrib: 200})},
	"GET /static/{version}/*":           {path: func(f ids, _ bool) string { return f.css }, want: same(map[string]int{anon: 200, admin: 200, pole: 200, auditeur: 200, referent: 200, dirRen: 200, contrib: 200})},
	"GET /connexion":                    {path: fixed("/connexion"), want: same(map[string]int{anon: 200, admin: 303, pole: 303, auditeur: 303, referent: 303, dirRen: 303, contrib: 303})},
	"POST /connexion":                   {path: fixed("/connexion"), want: same(map[string]int{anon: 400, admin: 400, pole: 400, auditeur: 400, referent: 400, dirRen: 400, contrib: 400})},
	"GET /mot-de-passe-oublie":          {path: fixed("/mot-de-passe-oublie"), want: same(map[string]int{anon: 200, admin: 200, pole: 200, auditeur: 200, referent: 200, dirRen: 200, contrib: 200})},
	"POST /mot-de-passe-oublie":         {path: fixed("/mot-de-passe-oublie"), want: same(map[string]int{anon: 400, admin: 400, pole: 400, auditeur: 400, referent: 400, dirRen: 400, contrib: 400})},
	"GET /mot-de-passe/{token}":         {path: fixed("/mot-de-passe/inconnu"), want: same(map[string]int{anon: 404, admin: 404, pole: 404, auditeur: 404, referent: 404, dirRen: 404, contrib: 404})},
	"POST /mot-de-passe/{token}":        {path: fixed("/mot-de-passe/inconnu"), want: same(map[string]int{anon: 404, admin: 404, pole: 404, auditeur: 404, referent: 404, dirRen: 404, contrib: 404})},
	"GET /invitation/{token}":           {path: fixed("/invitation/inconnu"), want: same(map[string]int{anon: 404, admin: 404, pole: 404, auditeur: 404, referent: 404, dirRen: 404, contrib: 404})},
	"POST /invitation/{token}":          {path: fixed("/invitation/inconnu"), want: same(map[string]int{anon: 404, admin: 404, pole: 404, auditeur: 404, referent: 404, dirRen: 404, contrib: 404})},
	"GET /":                             {path: fixed("/"), want: everyone(200)},
	"POST /deconnexion":                 {path: fixed("/deconnexion"), want: everyone(303)},
	"POST /deconnexion-partout":         {path: fixed("/deconnexion-partout"), want: everyone(303), destructive: true},
	"GET /compte":                       {path: fixed("/compte"), want: everyone(200)},
	"GET /referentiel":                  {path: fixed("/referentiel"), want: everyone(200)},
	"GET /referentiel/{code}/{version}": {path: fixed("/referentiel/cadre-commun/2018"), want: everyone(200)},
	"GET /reseau":                       {path: fixed("/reseau"), want: only(200, 200, admin, pole, referent, dirRen, contrib).with(auditeur, 403, 403)},
	"GET /reseau/regions/nouvelle":      {path: fixed("/reseau/regions/nouvelle"), want: only(200, 403, pole)},
	"POST /reseau/regions/nouvelle":     {path: fixed("/reseau/regions/nouvelle"), want: only(400, 403, pole)},
	"GET /reseau/regions/{id}": {path: byID("/reseau/regions/%d", region),
		want: want{anon: {303, 303}, admin: {200, 200}, pole: {200, 200}, auditeur: {404, 404}, referent: {200, 404}, dirRen: {404, 404}, contrib: {404, 404}}},
	"GET /reseau/regions/{id}/modifier":  {path: byID("/reseau/regions/%d/modifier", region), want: networkManage(200, referent)},
	"POST /reseau/regions/{id}/modifier": {path: byID("/reseau/regions/%d/modifier", region), want: networkManage(400, referent)},
	"GET /reseau/structures/nouvelle":    {path: fixed("/reseau/structures/nouvelle"), want: only(200, 403, pole)},
	"POST /reseau/structures/nouvelle":   {path: fixed("/reseau/structures/nouvelle"), want: only(400, 403, pole)},
	"GET /reseau/structures/{id}": {path: byID("/reseau/structures/%d", structure),
		want: want{anon: {303, 303}, admin: {200, 200}, pole: {200, 200}, auditeur: {404, 404}, referent: {200, 404}, dirRen: {200, 404}, contrib: {200, 404}}},
	"GET /reseau/structures/{id}/modifier":       {path: byID("/reseau/structures/%d/modifier", structure), want: networkManage(200, referent, dirRen, contrib)},
	"POST /reseau/structures/{id}/modifier":      {path: byID("/reseau/structures/%d/modifier", structure), want: networkManage(400, referent, dirRen, contrib)},
	"GET /reseau/structures/{id}/sites/nouveau":  {path: byID("/reseau/structures/%d/sites/nouveau", structure), want: networkManage(200, referent, dirRen, contrib)},
	"POST /reseau/structures/{id}/sites/nouveau": {path: byID("/reseau/structures/%d/sites/nouveau", structure), want: networkManage(400, referent, dirRen, contrib)},
	"GET /reseau/sites/{id}/modifier":            {path: byID("/reseau/sites/%d/modifier", site), want: networkManage(200, referent, dirRen, contrib)},
	"POST /reseau/sites/{id}/modifier":           {path: byID("/reseau/sites/%d/modifier", site), want: networkManage(400, referent, dirRen, contrib)},
	"POST /reseau/structures/{id}/equipe": {path: byID("/reseau/structures/%d/equipe", structure),
		want: want{anon: {303, 303}, admin: {403, 403}, pole: {400, 400}, auditeur: {404, 404}, referent: {403, 404}, dirRen: {400, 404}, contrib: {403, 404}}},
	"POST /reseau/membres/{id}/retirer": {path: byID("/reseau/membres/%d/retirer", membership), destructive: true,
		want: want{anon: {303, 303}, admin: {403, 403}, pole: {303, 303}, auditeur: {404, 404}, referent: {403, 404}, dirRen: {303, 404}, contrib: {403, 404}}},
	"GET /utilisateurs":                  {path: fixed("/utilisateurs"), want: only(200, 403, pole, admin)},
	"POST /utilisateurs/inviter":         {path: fixed("/utilisateurs/inviter"), want: only(400, 403, pole).with(admin, 403, 403)},
	"GET /utilisateurs/{id}/desactiver":  {path: byID("/utilisateurs/%d/desactiver", user), want: only(200, 404, pole, admin)},
	"POST /utilisateurs/{id}/desactiver": {path: byID("/utilisateurs/%d/desactiver", user), want: only(303, 404, pole, admin), destructive: true},
	"POST /utilisateurs/{id}/reactiver":  {path: byID("/utilisateurs/%d/reactiver", user), want: only(303, 404, pole, admin), destructive: true},
	"GET /journal":                       {path: fixed("/journal"), want: only(200, 403, pole, admin)},
	"GET /reseau/structures/{id}/journal": {path: byID("/reseau/structures/%d/journal", structure),
		want: want{anon: {303, 303}, admin: {403, 403}, pole: {200, 200}, auditeur: {404, 404}, referent: {200, 404}, dirRen: {200, 404}, contrib: {403, 404}}},
	"GET /admin/outbox":      {path: fixed("/admin/outbox"), want: only(200, 403, admin)},
	"GET /admin/outbox/{id}": {path: func(f ids, _ bool) string { return fmt.Sprintf("/admin/outbox/%d", f.message) }, want: only(200, 403, admin)},
}

func (w want) with(p string, own, other int) want {
	w[p] = [2]int{own, other}
	return w
}

// TestAuthorizationMatrix asks every route of the router as every role, on its own
// tenant and on another, and anonymously. A route without a row fails the test.
// Every request is also checked against the journal (checkJournalled): one
// that writes without journalling, or journals one change twice, fails.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	shared := apptest.New(t)
	routes := map[string]bool{}
	err := chi.Walk(shared.Server.Config.Handler.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for r := range routes {
		if _, ok := matrix[r]; !ok {
			t.Errorf("route %s has no row in the authorization matrix", r)
		}
	}
	for r := range matrix {
		if !routes[r] {
			t.Errorf("matrix row %s matches no route", r)
		}
	}

	sharedIDs := matrixIDs(t, shared)

	for name, r := range matrix {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			t.Parallel()
			method := strings.Fields(name)[0]
			for _, p := range principals {
				exp, ok := r.want[p]
				if !ok {
					t.Fatalf("no expectation for %q", p)
				}
				for i, own := range []bool{true, false} {
					app, f := shared, sharedIDs
					if r.destructive {
						app = apptest.New(t)
						f = matrixIDs(t, app)
					}
					client := apptest.NewClient(t)
					if p != anon {
						app.LoginClient(t, client, p)
					}
					target := r.path(f, own)
					var body *strings.Reader
					if method == http.MethodPost {
						body = strings.NewReader(r.body.Encode())
					} else {
						body = strings.NewReader("")
					}
					req, err := http.NewRequestWithContext(t.Context(), method, app.URL+target, body)
					if err != nil {
						t.Fatal(err)
					}
					if method == http.MethodPost {
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					}
					resp, err := client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					who := p
					if who == anon {
						who = "anonymous"
					}
					checkJournalled(t, app, resp, fmt.Sprintf("%s %s as %s", method, target, who))
					if resp.StatusCode != exp[i] {
						tenant := map[bool]string{true: "own", false: "other"}[own]
						t.Errorf("%s %s as %s (%s tenant) = %d, want %d", method, target, who, tenant, resp.StatusCode, exp[i])
					}
				}
			}
		})
	}
}

// matrixIDs gives the objects of the matrix's paths in app's demo data, and
// queues one email for the outbox pages.
func matrixIDs(t *testing.T, app *apptest.App) ids {
	t.Helper()
	f := app.Fixture
	memberships := map[string]int64{}
	rows, err := app.Pool.Query(t.Context(), "SELECT u.email, m.id FROM memberships m JOIN users u ON u.id = m.user_id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var email string
		var id int64
		if err := rows.Scan(&email, &id); err != nil {
			t.Fatal(err)
		}
		memberships[email] = id
	}
	if err := app.Store.EnqueueMail(t.Context(), nil, mail.Message{To: "x@example.org", Subject: "Essai", Body: "Corps"}); err != nil {
		t.Fatal(err)
	}
	var message int64
	if err := app.Pool.QueryRow(t.Context(), "SELECT max(id) FROM outbox").Scan(&message); err != nil {
		t.Fatal(err)
	}
	plan := planMatrixIDs(t, app)
	return ids{
		action: plan.action, session: plan.session, decision: plan.decision, ajourne: plan.ajourne,
		region:     map[bool]int64{true: f.Regions["BRE"], false: f.Regions["ARA"]},
		structure:  map[bool]int64{true: f.Structures["ML-RENNES"], false: f.Structures["ML-LYON"]},
		site:       map[bool]int64{true: f.Sites["RENNES-ANT-1"], false: f.Sites["LYON-ANT-1"]},
		membership: map[bool]int64{true: memberships[contrib], false: memberships["directeur@ml-lyon.demo"]},
		user:       map[bool]int64{true: f.Users[contrib], false: f.Users["directeur@ml-lyon.demo"]},
		autoeval:   map[bool]int64{true: f.Autoevaluations["ML-RENNES/2026"], false: f.Autoevaluations["ML-LYON/2026"]},
		preuve:     map[bool]int64{true: f.Preuves["ML-RENNES"], false: f.Preuves["ML-LYON"]},
		dossier:    map[bool]int64{true: f.Autoevaluations["ML-QUIMPER/2026"], false: f.Autoevaluations["ML-LYON/2026"]},
		message:    message,
		css:        web.Asset("css/cadre.css"),
		audit:      map[bool]int64{true: f.Audits["ML-RENNES/2025"], false: f.Audits["ML-BREST/2026"]},
		auditPreuve: map[bool]int64{true: f.Preuves["ML-RENNES"],
			false: firstID(t, app, "SELECT min(id) FROM preuves WHERE structure_id = $1 AND nature = 'fichier'", f.Structures["ML-BREST"])},
		constat: map[bool]int64{true: firstID(t, app, "SELECT min(id) FROM audit_constats WHERE audit_id = $1", f.Audits["ML-RENNES/2025"]),
			false: firstID(t, app, "SELECT min(id) FROM audit_constats WHERE audit_id = $1", f.Audits["ML-BREST/2026"])},
	}
}
