package accounts_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The demo accounts.
const (
	admin       = "admin@cadre.demo"
	pole        = "pole@unml.demo"
	auditeur    = "auditeur@unml.demo"
	referentBRE = "referent@bretagne.demo"
	dirRennes   = "directeur@ml-rennes.demo"
	contRennes  = "contributeur@ml-rennes.demo"
	dirBrest    = "directeur@ml-brest.demo"
	dirLyon     = "directeur@ml-lyon.demo"
)

const (
	baseURL = "https://cadre.example.org/" // the trailing slash must not double in links
	site    = "https://cadre.example.org"
	ip      = "192.0.2.1"
	ip2     = "198.51.100.7"
	// goodPassword passes the password policy for every address of these tests.
	goodPassword = "trois chevaux dans la lande"
)

// env is one fresh database with the demo data and the account rules on it.
type env struct {
	t     *testing.T
	ctx   context.Context
	pool  *pgxpool.Pool
	store *postgres.Store
	svc   *accounts.Service
	f     *demo.Fixture
}

// with returns e for the subtest t, so that its helpers fail the subtest.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

func setup(t *testing.T) *env {
	t.Helper()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	// The store is the application role's; the tests' own SQL sees past
	// row-level security.
	return &env{t: t, ctx: ctx, pool: pgtest.Admin(t, pool), store: store, svc: accounts.NewService(store, auth.TestParams, u), f: f}
}

// actor loads a demo account as signed in now.
func (e *env) actor(email string) *domain.Actor {
	e.t.Helper()
	id, ok := e.f.Users[email]
	if !ok {
		id = e.userID(email)
	}
	a, err := e.store.Actor(e.ctx, id, time.Now())
	if err != nil {
		e.t.Fatalf("actor %s: %v", email, err)
	}
	return a
}

func (e *env) userID(email string) int64 {
	e.t.Helper()
	var id int64
	if err := e.pool.QueryRow(e.ctx, "SELECT id FROM users WHERE email = $1", email).Scan(&id); err != nil {
		e.t.Fatalf("user %s: %v", email, err)
	}
	return id
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// addUser creates an active account with the demo password.
func (e *env) addUser(email string, ms ...domain.Membership) int64 {
	e.t.Helper()
	hash, err := auth.HashPassword(demo.Password, auth.TestParams)
	if err != nil {
		e.t.Fatal(err)
	}
	id, err := e.store.CreateActiveUser(e.ctx, nil, email, "Personne "+email, hash, ms...)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// membershipID returns the id of a person's membership of a role.
func (e *env) membershipID(email string, role domain.Role) int64 {
	e.t.Helper()
	var id int64
	err := e.pool.QueryRow(e.ctx, "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1 AND m.role = $2",
		email, role).Scan(&id)
	if err != nil {
		e.t.Fatalf("membership %s %s: %v", email, role, err)
	}
	return id
}

// counts is the number of rows of the tables accounts write to.
type counts struct{ users, memberships, tokens, outbox, failures int }

func (e *env) counts() counts {
	e.t.Helper()
	return counts{
		users:       e.count("SELECT count(*) FROM users"),
		memberships: e.count("SELECT count(*) FROM memberships"),
		tokens:      e.count("SELECT count(*) FROM user_tokens"),
		outbox:      e.count("SELECT count(*) FROM outbox"),
		failures:    e.count("SELECT count(*) FROM login_failures"),
	}
}

type sent struct{ to, subject, body string }

// outbox returns the queued email, oldest first.
func (e *env) outbox() []sent {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, "SELECT recipient, subject, body FROM outbox ORDER BY id")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var list []sent
	for rows.Next() {
		var s sent
		if err := rows.Scan(&s.to, &s.subject, &s.body); err != nil {
			e.t.Fatal(err)
		}
		list = append(list, s)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return list
}

// lastMail returns the last queued email, which must be to recipient.
func (e *env) lastMail(recipient string) sent {
	e.t.Helper()
	list := e.outbox()
	if len(list) == 0 {
		e.t.Fatal("the outbox is empty")
	}
	m := list[len(list)-1]
	if m.to != recipient {
		e.t.Fatalf("last email is to %q, want %q", m.to, recipient)
	}
	if strings.TrimSpace(m.subject) == "" {
		e.t.Errorf("email to %s has no subject", recipient)
	}
	return m
}

// tokenIn returns the token of the one link site+path+"<token>" in body.
func tokenIn(t *testing.T, body, path string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(site+path) + `([A-Za-z0-9_-]+)`)
	m := re.FindAllStringSubmatch(body, -1)
	if len(m) != 1 {
		t.Fatalf("want one link %s<token> in the email, got %d:\n%s", site+path, len(m), body)
	}
	return m[0][1]
}

func (e *env) login(email, password, from string) (int64, time.Time, error) {
	return e.svc.Login(e.ctx, email, password, from)
}

// mustLogin signs in and returns the instant of the session.
func (e *env) mustLogin(email, password string) time.Time {
	e.t.Helper()
	id, at, err := e.login(email, password, ip)
	if err != nil {
		e.t.Fatalf("login %s: %v", email, err)
	}
	if want := e.userID(email); id != want {
		e.t.Fatalf("login %s returned user %d, want %d", email, id, want)
	}
	return at
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := domain.ErrorCode(err); got != code {
		t.Fatalf("want error code %q, got %q (%v)", code, got, err)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantCode(t, err, domain.EINVALID)
	fe := domain.ErrorFields(err)
	if fe[field] == "" {
		t.Fatalf("want a message on field %q, got fields %v", field, fe)
	}
	if len(fe) != 1 {
		t.Errorf("want only field %q, got %v", field, fe)
	}
}

func wantBadCredentials(t *testing.T, id int64, err error) {
	t.Helper()
	if err != accounts.ErrBadCredentials {
		t.Fatalf("want ErrBadCredentials, got %v", err)
	}
	if id != 0 {
		t.Errorf("a refused login returned user %d", id)
	}
}

// ---- Login -------------------------------------------------------------

func TestLoginSucceeds(t *testing.T) {
	t.Parallel()
	e := setup(t)
	before := time.Now()
	id, at, err := e.login("  Directeur@ML-Rennes.demo ", demo.Password, ip)
	if err != nil {
		t.Fatal(err)
	}
	if id != e.f.Users[dirRennes] {
		t.Fatalf("login returned user %d, want %d", id, e.f.Users[dirRennes])
	}
	if d := at.Sub(before); d < -time.Minute || d > time.Minute {
		t.Errorf("login instant %v is not now (%v)", at, before)
	}
	a, err := e.store.Actor(e.ctx, id, at)
	if err != nil {
		t.Fatalf("the session opened by the login is not valid: %v", err)
	}
	if a.Email != dirRennes || !a.HasRole(domain.RoleDirecteur) {
		t.Errorf("actor = %+v", a)
	}
}

func TestLoginBadCredentials(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// An invited account that has not chosen its password yet.
	e.exec("INSERT INTO users (email, nom) VALUES ('invitee@ml-rennes.demo', 'Invitée')")
	cases := []struct{ name, email, password string }{
		{"wrong password", dirRennes, "pas le bon mot de passe"},
		{"right password in another case", dirRennes, strings.ToUpper(demo.Password)},
		{"empty password", dirRennes, ""},
		{"unknown address", "personne@ml-rennes.demo", demo.Password},
		{"empty address", "", demo.Password},
		{"account without password, empty password", "invitee@ml-rennes.demo", ""},
		{"account without password, demo password", "invitee@ml-rennes.demo", demo.Password},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			before := e.count("SELECT count(*) FROM login_failures WHERE email = $1", c.email)
			id, at, err := e.login(c.email, c.password, ip)
			wantBadCredentials(t, id, err)
			if !at.IsZero() {
				t.Errorf("a refused login returned the instant %v", at)
			}
			if domain.ErrorMessage(err) != "Adresse électronique ou mot de passe incorrect." {
				t.Errorf("message = %q", domain.ErrorMessage(err))
			}
			if after := e.count("SELECT count(*) FROM login_failures WHERE email = $1", c.email); after != before+1 {
				t.Errorf("failures recorded for %q: %d → %d, want one more", c.email, before, after)
			}
		})
	}
}

func TestLoginThrottlesAnAccount(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// Four failures, from several addresses: the right password still works.
	for i := range accounts.MaxFailuresPerAccount - 1 {
		id, _, err := e.login(dirRennes, "mauvais mot de passe", fmt.Sprintf("10.0.0.%d", i+1))
		wantBadCredentials(t, id, err)
	}
	e.mustLogin(dirRennes, demo.Password)
	if n := e.count("SELECT count(*) FROM login_failures WHERE email = $1", dirRennes); n != 0 {
		t.Fatalf("a successful login left %d failures", n)
	}
	// Had the success not cleared them, 4 + 4 would throttle.
	for i := range accounts.MaxFailuresPerAccount - 1 {
		id, _, err := e.login(dirRennes, "mauvais mot de passe", fmt.Sprintf("10.0.1.%d", i+1))
		wantBadCredentials(t, id, err)
	}
	e.mustLogin(dirRennes, demo.Password)

	// Five failures from five addresses: even the right password, from a sixth
	// address, is throttled.
	for i := range accounts.MaxFailuresPerAccount {
		id, _, err := e.login(dirRennes, "mauvais mot de passe", fmt.Sprintf("10.0.2.%d", i+1))
		wantBadCredentials(t, id, err)
	}
	id, at, err := e.login(dirRennes, demo.Password, ip2)
	if err != accounts.ErrThrottled {
		t.Fatalf("after %d failures: %v, want ErrThrottled", accounts.MaxFailuresPerAccount, err)
	}
	wantCode(t, err, domain.ETOOMANY)
	if id != 0 || !at.IsZero() {
		t.Errorf("a throttled login returned %d, %v", id, at)
	}
	// Throttled attempts are not recorded and do not reveal the password: a wrong
	// one gets the same answer.
	if _, _, err := e.login(dirRennes, "mauvais mot de passe", ip2); err != accounts.ErrThrottled {
		t.Errorf("throttled, wrong password: %v", err)
	}
	if n := e.count("SELECT count(*) FROM login_failures WHERE email = $1", dirRennes); n != accounts.MaxFailuresPerAccount {
		t.Errorf("failures recorded = %d, want %d", n, accounts.MaxFailuresPerAccount)
	}
	// Another account, from the same addresses, is not throttled.
	e.mustLogin(contRennes, demo.Password)
	if _, _, err := e.login(contRennes, demo.Password, "10.0.2.1"); err != nil {
		t.Errorf("another account from a failing address: %v", err)
	}

	// Failures older than the window no longer count.
	e.exec("UPDATE login_failures SET at = now() - make_interval(secs => $1)", (accounts.ThrottleWindow + time.Minute).Seconds())
	e.mustLogin(dirRennes, demo.Password)
}

func TestLoginThrottlesAnAddress(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// One failure on each of many addresses, all from ip: no account reaches its
	// own limit.
	for i := range accounts.MaxFailuresPerAddress - 1 {
		id, _, err := e.login(fmt.Sprintf("inconnu%d@ml.fr", i), "devine", ip)
		wantBadCredentials(t, id, err)
	}
	// One short of the limit, ip still signs in.
	if _, _, err := e.login(dirRennes, demo.Password, ip); err != nil {
		t.Fatalf("after %d failures from the address: %v", accounts.MaxFailuresPerAddress-1, err)
	}
	id, _, err := e.login(contRennes, "devine", ip)
	wantBadCredentials(t, id, err)
	// Now at the limit: ip is throttled whatever the account.
	for _, email := range []string{dirRennes, contRennes, pole} {
		_, _, err := e.login(email, demo.Password, ip)
		if err != accounts.ErrThrottled {
			t.Errorf("%s from a throttled address: %v, want ErrThrottled", email, err)
		}
	}
	// Another address is not.
	for _, email := range []string{dirRennes, contRennes} {
		if _, _, err := e.login(email, demo.Password, ip2); err != nil {
			t.Errorf("%s from another address: %v", email, err)
		}
	}
}

func TestLoginDisabledAccount(t *testing.T) {
	t.Parallel()
	e := setup(t)
	id := e.f.Users[dirRennes]
	if err := e.store.SetDisabled(e.ctx, nil, id, true); err != nil {
		t.Fatal(err)
	}
	// The right password: refused, and the person is told why.
	uid, at, err := e.login(dirRennes, demo.Password, ip)
	wantCode(t, err, domain.EFORBIDDEN)
	if uid != 0 || !at.IsZero() {
		t.Errorf("a disabled login returned %d, %v", uid, at)
	}
	if err == accounts.ErrBadCredentials {
		t.Error("a disabled account with the right password got ErrBadCredentials")
	}
	// A wrong password learns nothing of the account's state.
	uid, _, err = e.login(dirRennes, "mauvais mot de passe", ip)
	wantBadCredentials(t, uid, err)
	// Re-enabled, it signs in again.
	if err := e.store.SetDisabled(e.ctx, nil, id, false); err != nil {
		t.Fatal(err)
	}
	e.mustLogin(dirRennes, demo.Password)
}

// ---- Invite ------------------------------------------------------------

func TestInviteContributeurByDirecteur(t *testing.T) {
	t.Parallel()
	e := setup(t)
	dir := e.actor(dirRennes)
	rennes := e.f.Structures["ML-RENNES"]
	before := e.counts()
	err := e.svc.Invite(e.ctx, dir, accounts.Invitation{
		Email: "  Nouvelle.Recrue@ML-Rennes.demo ", Nom: " Nouvelle Recrue ",
		Role: domain.RoleContributeur, StructureID: rennes,
		RegionID:  e.f.Regions["ARA"], // ignored for a structure role
		InvitedBy: e.f.Users[pole],    // set by the service, not the caller
	})
	if err != nil {
		t.Fatal(err)
	}
	const email = "nouvelle.recrue@ml-rennes.demo"
	after := e.counts()
	if want := (counts{before.users + 1, before.memberships + 1, before.tokens + 1, before.outbox + 1, before.failures}); after != want {
		t.Fatalf("rows after the invitation = %+v, want %+v", after, want)
	}

	// The account, without password.
	var id int64
	var nom string
	var hasPassword, disabled bool
	err = e.pool.QueryRow(e.ctx, "SELECT id, nom, password_hash IS NOT NULL, disabled_at IS NOT NULL FROM users WHERE email = $1", email).
		Scan(&id, &nom, &hasPassword, &disabled)
	if err != nil {
		t.Fatal(err)
	}
	if nom != "Nouvelle Recrue" || hasPassword || disabled {
		t.Errorf("invited account: nom %q, has password %v, disabled %v", nom, hasPassword, disabled)
	}
	// The membership, on the ML only, by the directeur.
	var role string
	var regionID, structureID, createdBy *int64
	err = e.pool.QueryRow(e.ctx, "SELECT role, region_id, structure_id, created_by FROM memberships WHERE user_id = $1", id).
		Scan(&role, &regionID, &structureID, &createdBy)
	if err != nil {
		t.Fatal(err)
	}
	if role != string(domain.RoleContributeur) || regionID != nil || structureID == nil || *structureID != rennes ||
		createdBy == nil || *createdBy != dir.UserID {
		t.Errorf("membership: role %s, région %v, ML %v, by %v", role, regionID, structureID, createdBy)
	}
	// The email, with its link.
	m := e.lastMail(email)
	token := tokenIn(t, m.body, "/invitation/")
	if strings.Contains(m.body, "//invitation") || strings.Contains(m.body, "/connexion") {
		t.Errorf("invitation body has a bad link:\n%s", m.body)
	}
	for _, want := range []string{"Yann Rennes", domain.RoleContributeur.Label(), "Mission Locale du bassin d'emploi de Rennes", "7 jours"} {
		if !strings.Contains(m.body, want) {
			t.Errorf("invitation body lacks %q:\n%s", want, m.body)
		}
	}
	// The token is stored hashed, for a week, for this account.
	var hash []byte
	var purpose string
	var expires time.Time
	var tokenBy *int64
	err = e.pool.QueryRow(e.ctx, "SELECT hash, purpose, expires_at, created_by FROM user_tokens WHERE user_id = $1 AND used_at IS NULL", id).
		Scan(&hash, &purpose, &expires, &tokenBy)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hash, auth.HashToken(token)) || purpose != accounts.PurposeInvitation {
		t.Errorf("stored token: purpose %q, hash matches %v", purpose, bytes.Equal(hash, auth.HashToken(token)))
	}
	if d := time.Until(expires) - accounts.InvitationTTL; d < -time.Minute || d > time.Minute {
		t.Errorf("token expires at %v, want in %v", expires, accounts.InvitationTTL)
	}
	if tokenBy == nil || *tokenBy != dir.UserID {
		t.Errorf("token created by %v, want %d", tokenBy, dir.UserID)
	}
	p, err := e.svc.Pending(e.ctx, accounts.PurposeInvitation, token)
	if err != nil || p.UserID != id || p.Email != email {
		t.Errorf("Pending = %+v, %v", p, err)
	}
	// Not signed in yet: no password, no session.
	uid, _, err := e.login(email, "", ip)
	wantBadCredentials(t, uid, err)
	if _, err := e.store.Actor(e.ctx, id, time.Now()); domain.ErrorCode(err) != domain.EUNAUTH {
		t.Errorf("Actor of an invited account: %v, want %s", err, domain.EUNAUTH)
	}
}

func TestInviteRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	rennes, brest, lyon := e.f.Structures["ML-RENNES"], e.f.Structures["ML-BREST"], e.f.Structures["ML-LYON"]
	bre := e.f.Regions["BRE"]
	const newcomer = "arrivee@ml-rennes.demo"
	contrib := func(email string, structureID int64) accounts.Invitation {
		return accounts.Invitation{Email: email, Role: domain.RoleContributeur, StructureID: structureID}
	}
	cases := []struct {
		name  string
		actor string
		inv   accounts.Invitation
		code  string
		field string // for EINVALID
	}{
		// Directors: contributors of their own ML only.
		{"directeur: contributeur of another ML of the région", dirRennes, contrib(newcomer, brest), domain.ENOTFOUND, ""},
		{"directeur: contributeur of an ML of another région", dirRennes, contrib(newcomer, lyon), domain.ENOTFOUND, ""},
		{"directeur: contributeur of an unknown ML", dirRennes, contrib(newcomer, 999999), domain.ENOTFOUND, ""},
		{"directeur: directeur of his ML", dirRennes, accounts.Invitation{Email: newcomer, Role: domain.RoleDirecteur, StructureID: rennes}, domain.EFORBIDDEN, ""},
		{"directeur: référent of his région", dirRennes, accounts.Invitation{Email: newcomer, Role: domain.RoleReferentARML, RegionID: bre}, domain.ENOTFOUND, ""},
		{"directeur: auditeur", dirRennes, accounts.Invitation{Email: newcomer, Role: domain.RoleAuditeur}, domain.EFORBIDDEN, ""},
		{"directeur: pôle", dirRennes, accounts.Invitation{Email: newcomer, Role: domain.RolePole}, domain.EFORBIDDEN, ""},
		{"directeur: admin", dirRennes, accounts.Invitation{Email: newcomer, Role: domain.RoleAdmin}, domain.EFORBIDDEN, ""},
		// Permission comes before validation.
		{"directeur: directeur with a bad address", dirRennes, accounts.Invitation{Email: "pas-une-adresse", Role: domain.RoleDirecteur, StructureID: rennes}, domain.EFORBIDDEN, ""},
		{"contributeur: bad address", contRennes, contrib("pas-une-adresse", rennes), domain.EFORBIDDEN, ""},
		// Other roles that may not invite.
		{"contributeur: contributeur of his ML", contRennes, contrib(newcomer, rennes), domain.EFORBIDDEN, ""},
		{"référent: contributeur of an ML of his région", referentBRE, contrib(newcomer, rennes), domain.EFORBIDDEN, ""},
		{"référent: référent of his région", referentBRE, accounts.Invitation{Email: newcomer, Role: domain.RoleReferentARML, RegionID: bre}, domain.EFORBIDDEN, ""},
		{"référent: contributeur of an ML of another région", referentBRE, contrib(newcomer, lyon), domain.ENOTFOUND, ""},
		{"admin: contributeur", admin, contrib(newcomer, rennes), domain.EFORBIDDEN, ""},
		{"admin: auditeur", admin, accounts.Invitation{Email: newcomer, Role: domain.RoleAuditeur}, domain.EFORBIDDEN, ""},
		{"admin: admin", admin, accounts.Invitation{Email: newcomer, Role: domain.RoleAdmin}, domain.EFORBIDDEN, ""},
		{"auditeur: contributeur", auditeur, contrib(newcomer, rennes), domain.ENOTFOUND, ""},
		{"auditeur: auditeur", auditeur, accounts.Invitation{Email: newcomer, Role: domain.RoleAuditeur}, domain.EFORBIDDEN, ""},
		// Form errors, for someone allowed.
		{"bad address", dirRennes, contrib("pas-une-adresse", rennes), domain.EINVALID, "email"},
		{"address with a display name", dirRennes, contrib("Arrivée <arrivee@ml-rennes.demo>", rennes), domain.EINVALID, "email"},
		{"two addresses", dirRennes, contrib("a@ml.fr, b@ml.fr", rennes), domain.EINVALID, "email"},
		{"empty address", dirRennes, contrib("  ", rennes), domain.EINVALID, "email"},
		{"address too long", dirRennes, contrib(strings.Repeat("a", 64)+"@"+strings.Repeat("b", 63)+"."+strings.Repeat("c", 63)+"."+strings.Repeat("d", 63)+".fr", rennes), domain.EINVALID, "email"},
		{"name too long", dirRennes, accounts.Invitation{Email: newcomer, Nom: strings.Repeat("é", 201), Role: domain.RoleContributeur, StructureID: rennes}, domain.EINVALID, "nom"},
		{"pôle: no ML", pole, contrib(newcomer, 0), domain.EINVALID, "structure"},
		// Without an ML there is no scope where a directeur may act.
		{"directeur: no ML", dirRennes, contrib(newcomer, 0), domain.EFORBIDDEN, ""},
		{"pôle: no région", pole, accounts.Invitation{Email: newcomer, Role: domain.RoleReferentARML}, domain.EINVALID, "region"},
		{"pôle: unknown région", pole, accounts.Invitation{Email: newcomer, Role: domain.RoleReferentARML, RegionID: 999999}, domain.ENOTFOUND, ""},
		{"pôle: unknown ML", pole, contrib(newcomer, 999999), domain.ENOTFOUND, ""},
		{"pôle: unknown role", pole, accounts.Invitation{Email: newcomer, Role: "chef"}, domain.EINVALID, "role"},
		{"pôle: no role", pole, accounts.Invitation{Email: newcomer}, domain.EINVALID, "role"},
		// The person already has that role.
		{"directeur: his contributeur again", dirRennes, contrib(" Contributeur@ML-Rennes.demo", rennes), domain.EINVALID, "email"},
		{"pôle: the auditeur again", pole, accounts.Invitation{Email: auditeur, Role: domain.RoleAuditeur}, domain.EINVALID, "email"},
		{"pôle: the admin again", pole, accounts.Invitation{Email: admin, Role: domain.RoleAdmin}, domain.EINVALID, "email"},
		{"pôle: the référent again", pole, accounts.Invitation{Email: referentBRE, Role: domain.RoleReferentARML, RegionID: bre}, domain.EINVALID, "email"},
		{"pôle: a directeur again", pole, accounts.Invitation{Email: dirLyon, Role: domain.RoleDirecteur, StructureID: lyon}, domain.EINVALID, "email"},
	}
	before := e.counts()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			err := e.svc.Invite(e.ctx, e.actor(c.actor), c.inv)
			if c.field != "" {
				wantField(t, err, c.field)
			} else {
				wantCode(t, err, c.code)
			}
			if after := e.counts(); after != before {
				t.Fatalf("a refused invitation wrote: %+v → %+v", before, after)
			}
		})
	}
	if n := e.count("SELECT count(*) FROM users WHERE email = $1", newcomer); n != 0 {
		t.Errorf("refused invitations created %s", newcomer)
	}
}

func TestInviteByPole(t *testing.T) {
	t.Parallel()
	e := setup(t)
	p := e.actor(pole)
	cases := []struct {
		name       string
		inv        accounts.Invitation
		region, ml int64 // the membership's scope
		scopeLabel string
	}{
		{"référent ARML of a région",
			accounts.Invitation{Email: "referente@ara.demo", Role: domain.RoleReferentARML, RegionID: e.f.Regions["ARA"], StructureID: e.f.Structures["ML-RENNES"]},
			e.f.Regions["ARA"], 0, "Auvergne-Rhône-Alpes"},
		{"auditeur (national)",
			accounts.Invitation{Email: "auditrice@unml.demo", Role: domain.RoleAuditeur, RegionID: e.f.Regions["BRE"], StructureID: e.f.Structures["ML-BREST"]},
			0, 0, "national"},
		{"directeur of any ML",
			accounts.Invitation{Email: "codirectrice@ml-lyon.demo", Role: domain.RoleDirecteur, StructureID: e.f.Structures["ML-LYON"]},
			0, e.f.Structures["ML-LYON"], "Mission Locale de Lyon"},
		{"contributeur of any ML",
			accounts.Invitation{Email: "qualite@ml-brest.demo", Role: domain.RoleContributeur, StructureID: e.f.Structures["ML-BREST"]},
			0, e.f.Structures["ML-BREST"], "Mission Locale du Pays de Brest"},
		{"pôle",
			accounts.Invitation{Email: "collegue@unml.demo", Role: domain.RolePole},
			0, 0, "national"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			before := e.counts()
			if err := e.svc.Invite(e.ctx, p, c.inv); err != nil {
				t.Fatal(err)
			}
			if after := e.counts(); after.users != before.users+1 || after.memberships != before.memberships+1 ||
				after.tokens != before.tokens+1 || after.outbox != before.outbox+1 {
				t.Fatalf("rows %+v → %+v, want one more user, membership, token, email", before, after)
			}
			id := e.userID(c.inv.Email)
			var role string
			var region, ml int64
			err := e.pool.QueryRow(e.ctx, "SELECT role, coalesce(region_id, 0), coalesce(structure_id, 0) FROM memberships WHERE user_id = $1", id).
				Scan(&role, &region, &ml)
			if err != nil {
				t.Fatal(err)
			}
			if role != string(c.inv.Role) || region != c.region || ml != c.ml {
				t.Errorf("membership %s région %d ML %d, want %s région %d ML %d", role, region, ml, c.inv.Role, c.region, c.ml)
			}
			m := e.lastMail(c.inv.Email)
			token := tokenIn(t, m.body, "/invitation/")
			if !strings.Contains(m.body, c.scopeLabel) || !strings.Contains(m.body, "Dominique Pôle") || !strings.Contains(m.body, c.inv.Role.Label()) {
				t.Errorf("invitation body lacks the scope %q, the inviter or the role:\n%s", c.scopeLabel, m.body)
			}
			if pt, err := e.svc.Pending(e.ctx, accounts.PurposeInvitation, token); err != nil || pt.UserID != id {
				t.Errorf("Pending = %+v, %v", pt, err)
			}
		})
	}
}

func TestInviteExistingAccount(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// The directeur of Rennes brings the directeur of Brest into his team.
	before := e.counts()
	inv := accounts.Invitation{Email: "Directeur@ML-Brest.demo", Nom: "Un autre nom", Role: domain.RoleContributeur, StructureID: e.f.Structures["ML-RENNES"]}
	if err := e.svc.Invite(e.ctx, e.actor(dirRennes), inv); err != nil {
		t.Fatal(err)
	}
	after := e.counts()
	if want := (counts{before.users, before.memberships + 1, before.tokens, before.outbox + 1, before.failures}); after != want {
		t.Fatalf("rows %+v → %+v, want one more membership and email, no user, no token", before, after)
	}
	m := e.lastMail(dirBrest)
	if strings.Contains(m.body, "/invitation/") {
		t.Errorf("an active account got an activation link:\n%s", m.body)
	}
	if !strings.Contains(m.body, site+"/connexion") || !strings.Contains(m.body, "déjà un compte") {
		t.Errorf("the email should say to log in at %s/connexion:\n%s", site, m.body)
	}
	// The account is unchanged, and holds both roles.
	e.mustLogin(dirBrest, demo.Password)
	a := e.actor(dirBrest)
	if a.Nom != "Gwen Brest" {
		t.Errorf("the invitation renamed the account to %q", a.Nom)
	}
	if !a.Can(domain.ActManageTeam, domain.Scope{RegionID: e.f.Regions["BRE"], StructureID: e.f.Structures["ML-BREST"]}) ||
		!a.Can(domain.ActViewStructure, domain.Scope{RegionID: e.f.Regions["BRE"], StructureID: e.f.Structures["ML-RENNES"]}) ||
		a.Can(domain.ActManageTeam, domain.Scope{RegionID: e.f.Regions["BRE"], StructureID: e.f.Structures["ML-RENNES"]}) {
		t.Errorf("memberships after the invitation: %+v", a.Memberships)
	}
}

func TestInvitePendingAccountAgain(t *testing.T) {
	t.Parallel()
	e := setup(t)
	p := e.actor(pole)
	const email = "nouveau@ml.demo"
	if err := e.svc.Invite(e.ctx, p, accounts.Invitation{Email: email, Role: domain.RoleContributeur, StructureID: e.f.Structures["ML-RENNES"]}); err != nil {
		t.Fatal(err)
	}
	first := tokenIn(t, e.lastMail(email).body, "/invitation/")
	if err := e.svc.Invite(e.ctx, p, accounts.Invitation{Email: email, Role: domain.RoleContributeur, StructureID: e.f.Structures["ML-BREST"]}); err != nil {
		t.Fatal(err)
	}
	// Still no password: the second email carries a new link, which replaces the first.
	second := tokenIn(t, e.lastMail(email).body, "/invitation/")
	if first == second {
		t.Fatal("the second invitation reused the first token")
	}
	if _, err := e.svc.Pending(e.ctx, accounts.PurposeInvitation, first); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("the replaced link: %v, want %s", err, domain.ENOTFOUND)
	}
	id, err := e.svc.AcceptInvitation(e.ctx, second, "Nouveau Venu", goodPassword, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.count("SELECT count(*) FROM memberships WHERE user_id = $1", id); n != 2 {
		t.Errorf("memberships = %d, want 2", n)
	}
}

// ---- AcceptInvitation --------------------------------------------------

// invite has the directeur of Rennes invite a contributeur, and returns the token.
func (e *env) invite(email string) string {
	e.t.Helper()
	err := e.svc.Invite(e.ctx, e.actor(dirRennes), accounts.Invitation{Email: email, Role: domain.RoleContributeur, StructureID: e.f.Structures["ML-RENNES"]})
	if err != nil {
		e.t.Fatal(err)
	}
	return tokenIn(e.t, e.lastMail(email).body, "/invitation/")
}

// state is what AcceptInvitation and ResetPassword may change of an account.
func (e *env) state(email string) (nom string, hash *string) {
	e.t.Helper()
	if err := e.pool.QueryRow(e.ctx, "SELECT nom, password_hash FROM users WHERE email = $1", email).Scan(&nom, &hash); err != nil {
		e.t.Fatal(err)
	}
	return nom, hash
}

func TestAcceptInvitation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const email = "nouvelle.recrue@ml-rennes.demo"
	token := e.invite(email)
	invitee := e.userID(email)

	refusals := []struct {
		name, nom, password, confirm, field string
	}{
		{"short password", "Nouvelle Recrue", "court", "court", "password"},
		{"common password", "Nouvelle Recrue", "Motdepasse1234", "Motdepasse1234", "password"},
		{"password with the address", "Nouvelle Recrue", "nouvelle.recrue-2026", "nouvelle.recrue-2026", "password"},
		{"confirmation differs", "Nouvelle Recrue", goodPassword, goodPassword + ".", "confirm"},
		{"empty confirmation", "Nouvelle Recrue", goodPassword, "", "confirm"},
		{"empty name", "   ", goodPassword, goodPassword, "nom"},
		{"name too long", strings.Repeat("n", 201), goodPassword, goodPassword, "nom"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			id, err := e.svc.AcceptInvitation(e.ctx, token, c.nom, c.password, c.confirm)
			wantField(t, err, c.field)
			if id != 0 {
				t.Errorf("a refused acceptance returned %d", id)
			}
			if nom, hash := e.state(email); nom != "" || hash != nil {
				t.Errorf("a refused acceptance changed the account: nom %q, has password %v", nom, hash != nil)
			}
			if p, err := e.svc.Pending(e.ctx, accounts.PurposeInvitation, token); err != nil || p.UserID != invitee {
				t.Errorf("the token no longer works after a refusal: %+v, %v", p, err)
			}
		})
	}
	for _, bad := range []string{"", "inconnu", strings.ToLower(token), token + "A"} {
		_, err := e.svc.AcceptInvitation(e.ctx, bad, "Nouvelle Recrue", goodPassword, goodPassword)
		wantCode(t, err, domain.ENOTFOUND)
	}

	id, err := e.svc.AcceptInvitation(e.ctx, token, "  Nouvelle Recrue ", goodPassword, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if id != invitee {
		t.Fatalf("AcceptInvitation returned %d, want %d", id, invitee)
	}
	if nom, hash := e.state(email); nom != "Nouvelle Recrue" || hash == nil {
		t.Errorf("after acceptance: nom %q, has password %v", nom, hash != nil)
	}
	at := e.mustLogin(email, goodPassword)
	a, err := e.store.Actor(e.ctx, id, at)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Can(domain.ActViewStructure, domain.Scope{RegionID: e.f.Regions["BRE"], StructureID: e.f.Structures["ML-RENNES"]}) {
		t.Errorf("the new contributeur cannot see his ML: %+v", a.Memberships)
	}

	// Single use.
	if _, err := e.svc.Pending(e.ctx, accounts.PurposeInvitation, token); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("Pending after use: %v, want %s", err, domain.ENOTFOUND)
	}
	const other = "une toute autre phrase de passe"
	_, err = e.svc.AcceptInvitation(e.ctx, token, "Quelqu'un d'autre", other, other)
	wantCode(t, err, domain.ENOTFOUND)
	if nom, _ := e.state(email); nom != "Nouvelle Recrue" {
		t.Errorf("a used token renamed the account to %q", nom)
	}
	uid, _, err := e.login(email, other, ip)
	wantBadCredentials(t, uid, err)
	e.mustLogin(email, goodPassword)
}

func TestAcceptInvitationExpired(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const email = "en.retard@ml-rennes.demo"
	token := e.invite(email)
	e.exec("UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", e.userID(email))
	if _, err := e.svc.Pending(e.ctx, accounts.PurposeInvitation, token); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("Pending of an expired token: %v", err)
	}
	_, err := e.svc.AcceptInvitation(e.ctx, token, "En Retard", goodPassword, goodPassword)
	wantCode(t, err, domain.ENOTFOUND)
	if _, hash := e.state(email); hash != nil {
		t.Error("an expired token set the password")
	}
}

// ---- Password reset ----------------------------------------------------

func TestRequestResetSendsNothingForOtherAddresses(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.exec("INSERT INTO users (email, nom) VALUES ('invitee@ml-rennes.demo', 'Invitée')") // no password yet
	if err := e.store.SetDisabled(e.ctx, nil, e.f.Users[dirLyon], true); err != nil {
		t.Fatal(err)
	}
	before := e.counts()
	for _, email := range []string{"personne@ml-rennes.demo", "invitee@ml-rennes.demo", dirLyon} {
		if err := e.svc.RequestReset(e.ctx, email, "192.0.2.1"); err != nil {
			t.Errorf("RequestReset(%s) = %v, want nil", email, err)
		}
	}
	for _, bad := range []string{"", "pas une adresse", "Quelqu'un <directeur@ml-rennes.demo>"} {
		wantField(t, e.svc.RequestReset(e.ctx, bad, "192.0.2.1"), "email")
	}
	if after := e.counts(); after != before {
		t.Errorf("rows %+v → %+v, want nothing written", before, after)
	}
}

// requestReset asks for a reset link for email and returns its token.
func (e *env) requestReset(email string) string {
	e.t.Helper()
	before := e.counts()
	if err := e.svc.RequestReset(e.ctx, "  "+strings.ToUpper(email)+" ", "192.0.2.1"); err != nil {
		e.t.Fatal(err)
	}
	if after := e.counts(); after.outbox != before.outbox+1 || after.tokens != before.tokens+1 {
		e.t.Fatalf("rows %+v → %+v, want one more token and email", before, after)
	}
	return tokenIn(e.t, e.lastMail(email).body, "/mot-de-passe/")
}

// TestResetRequestsAreThrottled: three requests per address and ten per client in
// 15 minutes, counted whether or not the address has an account; only the newest
// link of an account is live.
func TestResetRequestsAreThrottled(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var tokens []string
	for range accounts.MaxResetsPerAccount {
		tokens = append(tokens, e.requestReset(contRennes))
	}
	before := e.counts()
	wantCode(t, e.svc.RequestReset(e.ctx, contRennes, "198.51.100.7"), domain.ETOOMANY)
	if after := e.counts(); after != before {
		t.Errorf("a throttled request changed rows: %+v → %+v", before, after)
	}
	var live int
	if err := e.pool.QueryRow(e.ctx, "SELECT count(*) FROM user_tokens WHERE user_id = $1 AND purpose = 'reset' AND used_at IS NULL",
		e.f.Users[contRennes]).Scan(&live); err != nil {
		e.t.Fatal(err)
	}
	if live != 1 {
		t.Errorf("%d live reset tokens, want only the newest", live)
	}
	for _, old := range tokens[:len(tokens)-1] {
		wantCode(t, e.svc.ResetPassword(e.ctx, old, goodPassword, goodPassword), domain.ENOTFOUND)
	}

	// Per client: unknown addresses count too, so nobody learns which exist.
	for i := range accounts.MaxResetsPerAddress {
		if err := e.svc.RequestReset(e.ctx, fmt.Sprintf("inconnu%d@example.org", i), "203.0.113.9"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	wantCode(t, e.svc.RequestReset(e.ctx, "encore@example.org", "203.0.113.9"), domain.ETOOMANY)
	if err := e.svc.RequestReset(e.ctx, "encore@example.org", "203.0.113.10"); err != nil {
		t.Errorf("another client is throttled too: %v", err)
	}
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	e := setup(t)
	id := e.f.Users[dirRennes]
	before := e.mustLogin(dirRennes, demo.Password)

	token := e.requestReset(dirRennes)
	m := e.lastMail(dirRennes)
	if !strings.Contains(m.body, "Bonjour Yann Rennes") || strings.Contains(m.body, "//mot-de-passe") {
		t.Errorf("reset email:\n%s", m.body)
	}
	var expires time.Time
	if err := e.pool.QueryRow(e.ctx, "SELECT expires_at FROM user_tokens WHERE hash = $1 AND purpose = 'reset' AND user_id = $2", auth.HashToken(token), id).Scan(&expires); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(expires) - accounts.ResetTTL; d < -time.Minute || d > time.Minute {
		t.Errorf("reset token expires at %v, want in %v", expires, accounts.ResetTTL)
	}
	// A reset link is not an invitation.
	_, err := e.svc.AcceptInvitation(e.ctx, token, "Yann Rennes", goodPassword, goodPassword)
	wantCode(t, err, domain.ENOTFOUND)

	refusals := []struct{ name, password, confirm, field string }{
		{"short", "court", "court", "password"},
		{"common", "Missionlocale2024", "Missionlocale2024", "password"},
		{"with the address", "directeur-de-rennes", "directeur-de-rennes", "password"},
		{"confirmation differs", goodPassword, "autre chose encore", "confirm"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			wantField(t, e.svc.ResetPassword(e.ctx, token, c.password, c.confirm), c.field)
			if p, err := e.svc.Pending(e.ctx, accounts.PurposeReset, token); err != nil || p.UserID != id {
				t.Errorf("the token no longer works after a refusal: %+v, %v", p, err)
			}
			if _, err := e.store.Actor(e.ctx, id, before); err != nil {
				t.Errorf("a refused reset ended the sessions: %v", err)
			}
		})
	}
	e.mustLogin(dirRennes, demo.Password) // unchanged

	// Throttled by failures: the reset is the way out.
	for range accounts.MaxFailuresPerAccount {
		id, _, err := e.login(dirRennes, "mauvais mot de passe", ip)
		wantBadCredentials(t, id, err)
	}
	if _, _, err := e.login(dirRennes, demo.Password, ip); err != accounts.ErrThrottled {
		t.Fatalf("want throttled before the reset, got %v", err)
	}

	if err := e.svc.ResetPassword(e.ctx, token, goodPassword, goodPassword); err != nil {
		t.Fatal(err)
	}
	uid, _, err := e.login(dirRennes, demo.Password, ip)
	wantBadCredentials(t, uid, err)
	after := e.mustLogin(dirRennes, goodPassword)

	// Sessions opened before the reset are over; the new one is valid.
	_, err = e.store.Actor(e.ctx, id, before)
	wantCode(t, err, domain.EUNAUTH)
	if _, err := e.store.Actor(e.ctx, id, after); err != nil {
		t.Errorf("session opened after the reset: %v", err)
	}
	// Single use.
	const other = "une toute autre phrase de passe"
	wantCode(t, e.svc.ResetPassword(e.ctx, token, other, other), domain.ENOTFOUND)
	e.mustLogin(dirRennes, goodPassword)
	// The name is kept.
	if nom, _ := e.state(dirRennes); nom != "Yann Rennes" {
		t.Errorf("the reset renamed the account to %q", nom)
	}
}

func TestResetPasswordLinks(t *testing.T) {
	t.Parallel()
	e := setup(t)
	first := e.requestReset(contRennes)
	second := e.requestReset(contRennes)
	if first == second {
		t.Fatal("two requests gave one token")
	}
	// Using one link voids the other.
	if err := e.svc.ResetPassword(e.ctx, second, goodPassword, goodPassword); err != nil {
		t.Fatal(err)
	}
	const other = "une toute autre phrase de passe"
	wantCode(t, e.svc.ResetPassword(e.ctx, first, other, other), domain.ENOTFOUND)
	e.mustLogin(contRennes, goodPassword)

	// An expired link does nothing.
	third := e.requestReset(contRennes)
	e.exec("UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE hash = $1", auth.HashToken(third))
	wantCode(t, e.svc.ResetPassword(e.ctx, third, other, other), domain.ENOTFOUND)
	e.mustLogin(contRennes, goodPassword)

	// A link of a disabled account does nothing. (Requests are throttled,
	// TestResetRequestsAreThrottled: start this case afresh.)
	e.exec("DELETE FROM reset_requests")
	fourth := e.requestReset(contRennes)
	if err := e.store.SetDisabled(e.ctx, nil, e.f.Users[contRennes], true); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.ResetPassword(e.ctx, fourth, other, other), domain.ENOTFOUND)
	if err := e.store.SetDisabled(e.ctx, nil, e.f.Users[contRennes], false); err != nil {
		t.Fatal(err)
	}
	e.mustLogin(contRennes, goodPassword)
	// Nor does it revive when the account is re-enabled.
	wantCode(t, e.svc.ResetPassword(e.ctx, fourth, other, other), domain.ENOTFOUND)
}

func TestInviteDisabledAccountIsRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if err := e.store.SetDisabled(e.ctx, nil, e.f.Users[contRennes], true); err != nil {
		t.Fatal(err)
	}
	before := e.counts()
	err := e.svc.Invite(e.ctx, e.actor("pole@unml.demo"), accounts.Invitation{Email: contRennes, Role: domain.RoleAuditeur})
	wantField(t, err, "email")
	if after := e.counts(); after != before {
		t.Errorf("a refused invitation wrote rows: %+v → %+v", before, after)
	}
}

// ---- LogoutEverywhere --------------------------------------------------

func TestLogoutEverywhere(t *testing.T) {
	t.Parallel()
	e := setup(t)
	id := e.f.Users[dirRennes]
	before := e.mustLogin(dirRennes, demo.Password)
	otherSession := e.mustLogin(contRennes, demo.Password)
	a, err := e.store.Actor(e.ctx, id, before)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.LogoutEverywhere(e.ctx, a); err != nil {
		t.Fatal(err)
	}
	_, err = e.store.Actor(e.ctx, id, before)
	wantCode(t, err, domain.EUNAUTH)
	after := e.mustLogin(dirRennes, demo.Password)
	if _, err := e.store.Actor(e.ctx, id, after); err != nil {
		t.Errorf("session opened after logging out everywhere: %v", err)
	}
	// Other accounts keep their sessions.
	if _, err := e.store.Actor(e.ctx, e.f.Users[contRennes], otherSession); err != nil {
		t.Errorf("another account's session ended: %v", err)
	}
}

// ---- RemoveMembership --------------------------------------------------

func TestRemoveMembership(t *testing.T) {
	t.Parallel()
	// Extra people: a contributeur of Brest, a second directeur and a second
	// contributeur of Rennes; the directeur of Rennes is also a contributeur there.
	const (
		contBrest   = "qualite@ml-brest.demo"
		coDirRennes = "codirectrice@ml-rennes.demo"
		cont2Rennes = "qualite2@ml-rennes.demo"
	)
	type target struct {
		email string
		role  domain.Role
	}
	cases := []struct {
		name   string
		actor  string
		target target
		codes  []string // nil: removed; else one of these codes, nothing removed
	}{
		{"directeur: his ML's contributeur", dirRennes, target{contRennes, domain.RoleContributeur}, nil},
		{"directeur: another contributeur of his ML", dirRennes, target{cont2Rennes, domain.RoleContributeur}, nil},
		{"directeur of Brest: his contributeur", dirBrest, target{contBrest, domain.RoleContributeur}, nil},
		{"directeur: contributeur of another ML of the région", dirRennes, target{contBrest, domain.RoleContributeur}, []string{domain.ENOTFOUND}},
		{"directeur: directeur of another ML of the région", dirRennes, target{dirBrest, domain.RoleDirecteur}, []string{domain.ENOTFOUND}},
		{"directeur: directeur of an ML of another région", dirRennes, target{dirLyon, domain.RoleDirecteur}, []string{domain.ENOTFOUND}},
		{"directeur: the other directeur of his ML", dirRennes, target{coDirRennes, domain.RoleDirecteur}, []string{domain.EFORBIDDEN}},
		{"directeur: his own directeur role", dirRennes, target{dirRennes, domain.RoleDirecteur}, []string{domain.EFORBIDDEN}},
		{"directeur: his own contributeur role", dirRennes, target{dirRennes, domain.RoleContributeur}, []string{domain.EINVALID}},
		{"directeur: the référent", dirRennes, target{referentBRE, domain.RoleReferentARML}, []string{domain.EFORBIDDEN, domain.ENOTFOUND}},
		{"directeur: the pôle", dirRennes, target{pole, domain.RolePole}, []string{domain.EFORBIDDEN, domain.ENOTFOUND}},
		{"contributeur: another contributeur of his ML", contRennes, target{cont2Rennes, domain.RoleContributeur}, []string{domain.EFORBIDDEN}},
		{"contributeur: his own role", contRennes, target{contRennes, domain.RoleContributeur}, []string{domain.EFORBIDDEN}},
		{"référent: contributeur of an ML of his région", referentBRE, target{contRennes, domain.RoleContributeur}, []string{domain.EFORBIDDEN}},
		{"référent: directeur of an ML of another région", referentBRE, target{dirLyon, domain.RoleDirecteur}, []string{domain.ENOTFOUND}},
		{"admin: contributeur", admin, target{contRennes, domain.RoleContributeur}, []string{domain.EFORBIDDEN}},
		{"admin: référent", admin, target{referentBRE, domain.RoleReferentARML}, []string{domain.EFORBIDDEN}},
		{"admin: auditeur", admin, target{auditeur, domain.RoleAuditeur}, []string{domain.EFORBIDDEN}},
		{"admin: his own role", admin, target{admin, domain.RoleAdmin}, []string{domain.EFORBIDDEN}},
		{"auditeur: contributeur", auditeur, target{contRennes, domain.RoleContributeur}, []string{domain.ENOTFOUND}},
		{"pôle: contributeur", pole, target{contRennes, domain.RoleContributeur}, nil},
		{"pôle: directeur", pole, target{dirLyon, domain.RoleDirecteur}, nil},
		{"pôle: référent", pole, target{referentBRE, domain.RoleReferentARML}, nil},
		{"pôle: auditeur", pole, target{auditeur, domain.RoleAuditeur}, nil},
		{"pôle: admin", pole, target{admin, domain.RoleAdmin}, nil},
		{"pôle: another pôle", pole, target{"collegue@unml.demo", domain.RolePole}, nil},
		{"pôle: his own role", pole, target{pole, domain.RolePole}, []string{domain.EINVALID}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			rennes := domain.Membership{Role: domain.RoleContributeur, StructureID: e.f.Structures["ML-RENNES"]}
			e.addUser(contBrest, domain.Membership{Role: domain.RoleContributeur, StructureID: e.f.Structures["ML-BREST"]})
			e.addUser(coDirRennes, domain.Membership{Role: domain.RoleDirecteur, StructureID: e.f.Structures["ML-RENNES"]})
			e.addUser(cont2Rennes, rennes)
			e.addUser("collegue@unml.demo", domain.Membership{Role: domain.RolePole})
			e.exec("INSERT INTO memberships (user_id, role, structure_id) VALUES ($1, 'contributeur', $2)", e.f.Users[dirRennes], rennes.StructureID)

			id := e.membershipID(c.target.email, c.target.role)
			before := e.count("SELECT count(*) FROM memberships")
			err := e.svc.RemoveMembership(e.ctx, e.actor(c.actor), id)
			left := e.count("SELECT count(*) FROM memberships WHERE id = $1", id)
			after := e.count("SELECT count(*) FROM memberships")
			if c.codes == nil {
				if err != nil {
					t.Fatal(err)
				}
				if left != 0 || after != before-1 {
					t.Fatalf("memberships %d → %d, target left %d: want exactly the target removed", before, after, left)
				}
				// The account stays, without that role.
				if n := e.count("SELECT count(*) FROM users WHERE email = $1", c.target.email); n != 1 {
					t.Error("removing a role deleted the account")
				}
				return
			}
			if !slices.Contains(c.codes, domain.ErrorCode(err)) {
				t.Fatalf("want one of %v, got %q (%v)", c.codes, domain.ErrorCode(err), err)
			}
			if left != 1 || after != before {
				t.Fatalf("a refused removal removed something: memberships %d → %d", before, after)
			}
		})
	}

	t.Run("unknown membership", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		wantCode(t, e.svc.RemoveMembership(e.ctx, e.actor(pole), 999999), domain.ENOTFOUND)
		wantCode(t, e.svc.RemoveMembership(e.ctx, e.actor(dirRennes), 999999), domain.ENOTFOUND)
	})

	t.Run("the removed contributeur loses his ML", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		scope := domain.Scope{RegionID: e.f.Regions["BRE"], StructureID: e.f.Structures["ML-RENNES"]}
		if !e.actor(contRennes).Can(domain.ActViewStructure, scope) {
			t.Fatal("the contributeur cannot see his ML to begin with")
		}
		if err := e.svc.RemoveMembership(e.ctx, e.actor(dirRennes), e.membershipID(contRennes, domain.RoleContributeur)); err != nil {
			t.Fatal(err)
		}
		a := e.actor(contRennes) // still signs in: the account is kept
		if a.Can(domain.ActViewStructure, scope) || len(a.Memberships) != 0 {
			t.Errorf("after removal: memberships %+v", a.Memberships)
		}
	})
}

// ---- SetDisabled -------------------------------------------------------

func (e *env) disabled(id int64) bool {
	e.t.Helper()
	var d bool
	if err := e.pool.QueryRow(e.ctx, "SELECT disabled_at IS NOT NULL FROM users WHERE id = $1", id).Scan(&d); err != nil {
		e.t.Fatal(err)
	}
	return d
}

func TestSetDisabled(t *testing.T) {
	t.Parallel()
	for _, by := range []string{pole, admin} {
		t.Run(by, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			actor := e.actor(by)
			for _, target := range []string{dirRennes, contRennes, referentBRE, auditeur} {
				id := e.f.Users[target]
				session := e.mustLogin(target, demo.Password)
				if err := e.svc.SetDisabled(e.ctx, actor, id, true); err != nil {
					t.Fatalf("disable %s: %v", target, err)
				}
				if !e.disabled(id) {
					t.Fatalf("%s is not disabled", target)
				}
				// Every session ends, and none can start.
				_, err := e.store.Actor(e.ctx, id, session)
				wantCode(t, err, domain.EUNAUTH)
				_, err = e.store.Actor(e.ctx, id, time.Now().Add(time.Hour))
				wantCode(t, err, domain.EUNAUTH)
				_, _, err = e.login(target, demo.Password, ip)
				wantCode(t, err, domain.EFORBIDDEN)
				// Disabling twice is harmless.
				if err := e.svc.SetDisabled(e.ctx, actor, id, true); err != nil {
					t.Fatalf("disable %s again: %v", target, err)
				}

				if err := e.svc.SetDisabled(e.ctx, actor, id, false); err != nil {
					t.Fatalf("re-enable %s: %v", target, err)
				}
				if e.disabled(id) {
					t.Fatalf("%s is still disabled", target)
				}
				// The old session stays over; a new one works.
				_, err = e.store.Actor(e.ctx, id, session)
				wantCode(t, err, domain.EUNAUTH)
				at := e.mustLogin(target, demo.Password)
				if _, err := e.store.Actor(e.ctx, id, at); err != nil {
					t.Errorf("%s after re-enabling: %v", target, err)
				}
			}
		})
	}
}

func TestSetDisabledRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// One account already disabled, to check re-enabling is refused too.
	if err := e.store.SetDisabled(e.ctx, nil, e.f.Users[dirLyon], true); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		actor    string
		target   int64
		disabled bool
		code     string
	}{
		{"pôle disables himself", pole, e.f.Users[pole], true, domain.EINVALID},
		{"admin disables himself", admin, e.f.Users[admin], true, domain.EINVALID},
		{"pôle disables an unknown account", pole, 999999, true, domain.ENOTFOUND},
		{"directeur disables his contributeur", dirRennes, e.f.Users[contRennes], true, domain.ENOTFOUND},
		{"directeur disables himself", dirRennes, e.f.Users[dirRennes], true, domain.ENOTFOUND},
		{"directeur re-enables a directeur", dirRennes, e.f.Users[dirLyon], false, domain.ENOTFOUND},
		{"contributeur disables his directeur", contRennes, e.f.Users[dirRennes], true, domain.ENOTFOUND},
		{"référent disables a directeur of his région", referentBRE, e.f.Users[dirRennes], true, domain.ENOTFOUND},
		{"auditeur disables the pôle", auditeur, e.f.Users[pole], true, domain.ENOTFOUND},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			wantCode(t, e.svc.SetDisabled(e.ctx, e.actor(c.actor), c.target, c.disabled), c.code)
		})
	}
	for email, want := range map[string]bool{pole: false, admin: false, contRennes: false, dirRennes: false, dirLyon: true} {
		if got := e.disabled(e.f.Users[email]); got != want {
			t.Errorf("%s disabled = %v, want %v", email, got, want)
		}
	}
	e.mustLogin(pole, demo.Password)
	e.mustLogin(dirRennes, demo.Password)
}
