package domain_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/unml/cadre/internal/domain"
)

// The geography of the policy tests: région A holds the MLs A1 and A2, région B
// holds B1. Scoped roles are held on A1 (directeur, contributeur) or A (référent).
const (
	regionA, regionB = int64(1), int64(2)
	mlA1, mlA2, mlB1 = int64(10), int64(11), int64(20)
)

// The scopes every role is checked on, named from the point of view of a member
// of A1 / A.
var scopes = []struct {
	name  string
	scope domain.Scope
}{
	{"own ML", domain.Scope{RegionID: regionA, StructureID: mlA1}},
	{"other ML same région", domain.Scope{RegionID: regionA, StructureID: mlA2}},
	{"ML other région", domain.Scope{RegionID: regionB, StructureID: mlB1}},
	{"own région", domain.Scope{RegionID: regionA}},
	{"other région", domain.Scope{RegionID: regionB}},
	{"national", domain.Scope{}},
}

// actions lists every Action constant of policy.go.
var actions = []domain.Action{
	domain.ActViewReseau,
	domain.ActViewRegion,
	domain.ActViewStructure,
	domain.ActManageReseau,
	domain.ActManageTeam,
	domain.ActManageRoles,
	domain.ActManageAccounts,
	domain.ActReadOutbox,
	domain.ActManageCampaigns,
	domain.ActViewAutoeval,
	domain.ActRate,
	domain.ActSubmit,
	domain.ActViewPreuves,
	domain.ActManagePreuves,
	domain.ActDownloadPreuve,
	domain.ActPreuvesSettings,
	domain.ActViewRevue,
	domain.ActGiveAvis,
	domain.ActReturn,
	domain.ActViewJournal,
	domain.ActViewNationalJournal,
}

// membershipOf returns the membership a role is held with in these tests.
func membershipOf(r domain.Role) domain.Membership {
	m := domain.Membership{UserID: 1, Role: r}
	switch r {
	case domain.RoleDirecteur, domain.RoleContributeur:
		m.StructureID = mlA1
	case domain.RoleReferentARML:
		m.RegionID = regionA
	}
	return m
}

var (
	everywhere   = []string{"own ML", "other ML same région", "ML other région", "own région", "other région", "national"}
	ownMLOnly    = []string{"own ML"}
	ownRegionAll = []string{"own ML", "other ML same région", "own région"}
)

// allowedScopes is the expected policy, written from DESIGN.md §2 and the
// comments of policy.go: for each role and action, the scopes where it is
// allowed (absent: nowhere).
var allowedScopes = map[domain.Role]map[domain.Action][]string{
	// The national team: everything but the outbox.
	domain.RolePole: {
		domain.ActViewReseau:     everywhere,
		domain.ActViewRegion:     everywhere,
		domain.ActViewStructure:  everywhere,
		domain.ActManageReseau:   everywhere,
		domain.ActManageTeam:     everywhere,
		domain.ActManageRoles:    everywhere,
		domain.ActManageAccounts: everywhere,
		// It follows every auto-évaluation but rates none.
		domain.ActManageCampaigns: everywhere,
		domain.ActViewAutoeval:    everywhere,
		domain.ActViewPreuves:     everywhere,
		domain.ActDownloadPreuve:  everywhere,
		// It follows every région's review and may return a dossier, but gives no avis.
		domain.ActViewRevue: everywhere,
		domain.ActReturn:    everywhere,
		// Every ML's journal, and the national one.
		domain.ActViewJournal:         everywhere,
		domain.ActViewNationalJournal: everywhere,
	},
	// Platform admins: the network read-only, accounts, the outbox.
	domain.RoleAdmin: {
		domain.ActViewReseau:     everywhere,
		domain.ActViewRegion:     everywhere,
		domain.ActViewStructure:  everywhere,
		domain.ActManageAccounts: everywhere,
		domain.ActReadOutbox:     everywhere,
		// The national journal, not the MLs' (it is the same entries, unfiltered).
		domain.ActViewNationalJournal: everywhere,
	},
	// Référent ARML: its région and the MLs in it.
	domain.RoleReferentARML: {
		domain.ActViewReseau:    everywhere,
		domain.ActViewRegion:    ownRegionAll,
		domain.ActViewStructure: ownRegionAll,
		domain.ActViewAutoeval:  ownRegionAll,
		domain.ActViewPreuves:   ownRegionAll,
		// The regional review: its région only; never the ML's own controls.
		domain.ActViewRevue:   ownRegionAll,
		domain.ActGiveAvis:    ownRegionAll,
		domain.ActReturn:      ownRegionAll,
		domain.ActViewJournal: ownRegionAll,
	},
	// Directeur: its ML, and its team.
	domain.RoleDirecteur: {
		domain.ActViewReseau:      everywhere,
		domain.ActViewStructure:   ownMLOnly,
		domain.ActManageTeam:      ownMLOnly,
		domain.ActViewAutoeval:    ownMLOnly,
		domain.ActRate:            ownMLOnly,
		domain.ActSubmit:          ownMLOnly,
		domain.ActViewPreuves:     ownMLOnly,
		domain.ActManagePreuves:   ownMLOnly,
		domain.ActDownloadPreuve:  ownMLOnly,
		domain.ActPreuvesSettings: ownMLOnly,
		domain.ActViewJournal:     ownMLOnly,
	},
	// Contributeur: its ML.
	domain.RoleContributeur: {
		domain.ActViewReseau:     everywhere,
		domain.ActViewStructure:  ownMLOnly,
		domain.ActViewAutoeval:   ownMLOnly,
		domain.ActRate:           ownMLOnly,
		domain.ActViewPreuves:    ownMLOnly,
		domain.ActManagePreuves:  ownMLOnly,
		domain.ActDownloadPreuve: ownMLOnly,
	},
	// Auditeur: nothing of the network until audits exist.
	domain.RoleAuditeur: {},
}

func TestCanEveryRoleActionScope(t *testing.T) {
	t.Parallel()
	for _, r := range domain.Roles {
		if _, ok := allowedScopes[r]; !ok {
			t.Fatalf("role %q has no expected rights in this test", r)
		}
	}
	for role, rights := range allowedScopes {
		actor := &domain.Actor{UserID: 1, Memberships: []domain.Membership{membershipOf(role)}}
		for _, act := range actions {
			for _, sc := range scopes {
				want := slices.Contains(rights[act], sc.name)
				if got := actor.Can(act, sc.scope); got != want {
					t.Errorf("%s: Can(%s, %s %+v) = %v, want %v", role, act, sc.name, sc.scope, got, want)
				}
			}
		}
	}
}

func TestCanUnknownActionAndRole(t *testing.T) {
	t.Parallel()
	// A role the policy does not know grants nothing.
	stranger := &domain.Actor{UserID: 1, Memberships: []domain.Membership{{Role: "stagiaire", StructureID: mlA1}}}
	for _, act := range actions {
		for _, sc := range scopes {
			if stranger.Can(act, sc.scope) {
				t.Errorf("unknown role: Can(%s, %s) = true", act, sc.name)
			}
		}
	}
	// An action the policy does not know is refused to every role but the pôle
	// (whose rule, "everything but the outbox", is left to TestCanEveryRoleActionScope).
	for _, r := range domain.Roles {
		if r == domain.RolePole {
			continue
		}
		actor := &domain.Actor{UserID: 1, Memberships: []domain.Membership{membershipOf(r)}}
		for _, sc := range scopes {
			if actor.Can("site.delete", sc.scope) {
				t.Errorf("%s: Can(unknown action, %s) = true", r, sc.name)
			}
		}
	}
}

func TestCanNilAndEmptyActor(t *testing.T) {
	t.Parallel()
	var nilActor *domain.Actor
	empty := &domain.Actor{UserID: 7}
	for _, act := range actions {
		for _, sc := range scopes {
			if nilActor.Can(act, sc.scope) {
				t.Errorf("nil actor: Can(%s, %s) = true", act, sc.name)
			}
			if empty.Can(act, sc.scope) {
				t.Errorf("actor without membership: Can(%s, %s) = true", act, sc.name)
			}
		}
	}
	if nilActor.HasRole(domain.RolePole) {
		t.Error("nil actor HasRole(pole) = true")
	}
	if v := nilActor.Visible(domain.ActViewStructure); v.All || len(v.RegionIDs) != 0 || len(v.StructureIDs) != 0 {
		t.Errorf("nil actor Visible = %+v, want nothing", v)
	}
}

// A structure-scoped ML scope that forgot its région still matches the ML
// roles, and never the référent (who is matched on the région).
func TestCanScopeWithoutRegion(t *testing.T) {
	t.Parallel()
	bare := domain.Scope{StructureID: mlA1}
	dir := &domain.Actor{Memberships: []domain.Membership{membershipOf(domain.RoleDirecteur)}}
	ref := &domain.Actor{Memberships: []domain.Membership{membershipOf(domain.RoleReferentARML)}}
	if !dir.Can(domain.ActManageTeam, bare) {
		t.Error("directeur: Can(team.manage, own ML without région) = false")
	}
	if ref.Can(domain.ActViewStructure, bare) {
		t.Error("référent: Can(structure.view, ML without région) = true")
	}
	// A member whose membership lacks its scope id matches no zero scope.
	broken := &domain.Actor{Memberships: []domain.Membership{{Role: domain.RoleDirecteur}, {Role: domain.RoleReferentARML}}}
	for _, act := range []domain.Action{domain.ActViewStructure, domain.ActViewRegion, domain.ActManageTeam} {
		if broken.Can(act, domain.Scope{}) {
			t.Errorf("membership without scope: Can(%s, national) = true", act)
		}
	}
}

func TestCanTwoMembershipsIsTheUnion(t *testing.T) {
	t.Parallel()
	// Directeur of A1 and référent of B: each right comes from one membership,
	// and is not carried over to the other's scope.
	a := &domain.Actor{UserID: 1, Memberships: []domain.Membership{
		{Role: domain.RoleDirecteur, StructureID: mlA1},
		{Role: domain.RoleReferentARML, RegionID: regionB},
	}}
	cases := []struct {
		act   domain.Action
		scope string
		want  bool
	}{
		{domain.ActViewStructure, "own ML", true},                // as directeur
		{domain.ActViewStructure, "ML other région", true},       // as référent of B
		{domain.ActViewStructure, "other ML same région", false}, // A2: neither
		{domain.ActViewRegion, "other région", true},             // B as référent
		{domain.ActViewRegion, "own région", false},              // A: a directeur does not see its région
		{domain.ActManageTeam, "own ML", true},
		{domain.ActManageTeam, "ML other région", false}, // a référent manages no team
		{domain.ActManageRoles, "own ML", false},
		{domain.ActManageReseau, "other région", false},
		{domain.ActManageAccounts, "national", false},
		{domain.ActReadOutbox, "national", false},
		{domain.ActViewReseau, "national", true},
	}
	for _, c := range cases {
		if got := a.Can(c.act, scopeNamed(t, c.scope)); got != c.want {
			t.Errorf("Can(%s, %s) = %v, want %v", c.act, c.scope, got, c.want)
		}
	}

	// Contributeur of A1 and directeur of A2: the team of A2 only.
	b := &domain.Actor{UserID: 2, Memberships: []domain.Membership{
		{Role: domain.RoleContributeur, StructureID: mlA1},
		{Role: domain.RoleDirecteur, StructureID: mlA2},
	}}
	if b.Can(domain.ActManageTeam, scopeNamed(t, "own ML")) {
		t.Error("contributeur of A1 + directeur of A2: Can(team.manage, A1) = true")
	}
	if !b.Can(domain.ActManageTeam, scopeNamed(t, "other ML same région")) {
		t.Error("contributeur of A1 + directeur of A2: Can(team.manage, A2) = false")
	}
	if !b.Can(domain.ActViewStructure, scopeNamed(t, "own ML")) || !b.Can(domain.ActViewStructure, scopeNamed(t, "other ML same région")) {
		t.Error("contributeur of A1 + directeur of A2 should see both MLs")
	}

	// Auditeur and admin: the admin's rights, nothing more.
	c := &domain.Actor{UserID: 3, Memberships: []domain.Membership{{Role: domain.RoleAuditeur}, {Role: domain.RoleAdmin}}}
	if !c.Can(domain.ActReadOutbox, domain.Scope{}) || c.Can(domain.ActManageRoles, domain.Scope{}) {
		t.Error("auditeur + admin: want the admin's rights exactly")
	}
}

func scopeNamed(t *testing.T, name string) domain.Scope {
	t.Helper()
	for _, s := range scopes {
		if s.name == name {
			return s.scope
		}
	}
	t.Fatalf("no scope %q", name)
	return domain.Scope{}
}

func TestVisible(t *testing.T) {
	t.Parallel()
	none := domain.Visibility{}
	all := domain.Visibility{All: true}
	cases := []struct {
		name            string
		memberships     []domain.Membership
		region, structs domain.Visibility // for ActViewRegion, ActViewStructure
	}{
		{"pole", []domain.Membership{membershipOf(domain.RolePole)}, all, all},
		{"admin", []domain.Membership{membershipOf(domain.RoleAdmin)}, all, all},
		{"referent_arml", []domain.Membership{membershipOf(domain.RoleReferentARML)},
			domain.Visibility{RegionIDs: []int64{regionA}}, domain.Visibility{RegionIDs: []int64{regionA}}},
		{"directeur", []domain.Membership{membershipOf(domain.RoleDirecteur)},
			none, domain.Visibility{StructureIDs: []int64{mlA1}}},
		{"contributeur", []domain.Membership{membershipOf(domain.RoleContributeur)},
			none, domain.Visibility{StructureIDs: []int64{mlA1}}},
		{"auditeur", []domain.Membership{membershipOf(domain.RoleAuditeur)}, none, none},
		{"no membership", nil, none, none},
		{"directeur A1 + référent B", []domain.Membership{
			{Role: domain.RoleDirecteur, StructureID: mlA1},
			{Role: domain.RoleReferentARML, RegionID: regionB},
		}, domain.Visibility{RegionIDs: []int64{regionB}}, domain.Visibility{RegionIDs: []int64{regionB}, StructureIDs: []int64{mlA1}}},
		{"contributeur A1 + directeur B1", []domain.Membership{
			{Role: domain.RoleContributeur, StructureID: mlA1},
			{Role: domain.RoleDirecteur, StructureID: mlB1},
		}, none, domain.Visibility{StructureIDs: []int64{mlA1, mlB1}}},
		{"auditeur + pole", []domain.Membership{{Role: domain.RoleAuditeur}, {Role: domain.RolePole}}, all, all},
	}
	for _, c := range cases {
		a := &domain.Actor{UserID: 1, Memberships: c.memberships}
		for _, v := range []struct {
			act  domain.Action
			want domain.Visibility
		}{{domain.ActViewRegion, c.region}, {domain.ActViewStructure, c.structs}} {
			if got := a.Visible(v.act); !sameVisibility(got, v.want) {
				t.Errorf("%s: Visible(%s) = %s, want %s", c.name, v.act, showVisibility(got), showVisibility(v.want))
			}
		}
	}
}

func sameVisibility(a, b domain.Visibility) bool {
	return a.All == b.All && slices.Equal(a.RegionIDs, b.RegionIDs) && slices.Equal(a.StructureIDs, b.StructureIDs)
}

func showVisibility(v domain.Visibility) string {
	return fmt.Sprintf("{All:%v RegionIDs:%v StructureIDs:%v}", v.All, v.RegionIDs, v.StructureIDs)
}

// Visible must agree with Can: every ML or région it lists is one Can allows, and
// one it leaves out is one Can refuses.
func TestVisibleAgreesWithCan(t *testing.T) {
	t.Parallel()
	for _, r := range domain.Roles {
		a := &domain.Actor{UserID: 1, Memberships: []domain.Membership{membershipOf(r)}}
		for _, act := range []domain.Action{domain.ActViewRegion, domain.ActViewStructure} {
			v := a.Visible(act)
			for _, sc := range scopes {
				if act == domain.ActViewRegion && sc.scope.StructureID != 0 || act == domain.ActViewStructure && sc.scope.StructureID == 0 {
					continue
				}
				covered := v.All || slices.Contains(v.RegionIDs, sc.scope.RegionID) ||
					(sc.scope.StructureID != 0 && slices.Contains(v.StructureIDs, sc.scope.StructureID))
				if got := a.Can(act, sc.scope); got != covered {
					t.Errorf("%s %s %s: Can = %v, Visible %s covers it: %v", r, act, sc.name, got, showVisibility(v), covered)
				}
			}
		}
	}
}

func TestHasRole(t *testing.T) {
	t.Parallel()
	a := &domain.Actor{Memberships: []domain.Membership{
		{Role: domain.RoleDirecteur, StructureID: mlA1},
		{Role: domain.RoleReferentARML, RegionID: regionB},
	}}
	for _, r := range domain.Roles {
		want := r == domain.RoleDirecteur || r == domain.RoleReferentARML
		if got := a.HasRole(r); got != want {
			t.Errorf("HasRole(%s) = %v, want %v", r, got, want)
		}
	}
}

func TestRoleScopeKindValidLabel(t *testing.T) {
	t.Parallel()
	want := map[domain.Role]string{
		domain.RoleDirecteur:    "structure",
		domain.RoleContributeur: "structure",
		domain.RoleReferentARML: "region",
		domain.RoleAuditeur:     "",
		domain.RolePole:         "",
		domain.RoleAdmin:        "",
	}
	if len(domain.Roles) != len(want) {
		t.Fatalf("domain.Roles has %d roles, this test knows %d", len(domain.Roles), len(want))
	}
	labels := map[string]bool{}
	for _, r := range domain.Roles {
		if got := r.ScopeKind(); got != want[r] {
			t.Errorf("%s.ScopeKind() = %q, want %q", r, got, want[r])
		}
		if !r.Valid() {
			t.Errorf("%s.Valid() = false", r)
		}
		l := r.Label()
		if l == "" || l == string(r) || labels[l] {
			t.Errorf("%s.Label() = %q: want a distinct French label", r, l)
		}
		labels[l] = true
	}
	for _, r := range []domain.Role{"", "Directeur", "root", "pole "} {
		if r.Valid() {
			t.Errorf("%q.Valid() = true", r)
		}
		if r.ScopeKind() != "" {
			t.Errorf("%q.ScopeKind() = %q, want none", r, r.ScopeKind())
		}
	}
}

func TestCanDownloadEvidence(t *testing.T) {
	t.Parallel()
	own, other := domain.Scope{RegionID: regionA, StructureID: mlA1}, domain.Scope{RegionID: regionB, StructureID: mlB1}
	actor := func(r domain.Role) *domain.Actor {
		return &domain.Actor{UserID: 1, Memberships: []domain.Membership{membershipOf(r)}}
	}
	for _, tc := range []struct {
		role    domain.Role
		scope   domain.Scope
		allowed bool
		want    bool
	}{
		{domain.RoleReferentARML, own, false, false},
		{domain.RoleReferentARML, own, true, true},
		{domain.RoleReferentARML, other, true, false},
		{domain.RoleDirecteur, own, false, true},
		{domain.RoleContributeur, own, false, true},
		{domain.RoleDirecteur, other, true, false},
		{domain.RolePole, other, false, true},
		{domain.RoleAdmin, own, true, false},
		{domain.RoleAuditeur, own, true, false},
	} {
		if got := actor(tc.role).CanDownloadPreuve(tc.scope, tc.allowed); got != tc.want {
			t.Errorf("%s on %+v (ARML allowed %v) = %v, want %v", tc.role, tc.scope, tc.allowed, got, tc.want)
		}
	}
	var nobody *domain.Actor
	if nobody.CanDownloadPreuve(own, true) {
		t.Error("a nil actor may download")
	}
}

// TestCanAudit: an auditor reaches an audit only if it is one of their pair's;
// the Pôle always; the ML's people and its référent through the policy only.
func TestCanAudit(t *testing.T) {
	t.Parallel()
	brest := domain.Scope{RegionID: 1, StructureID: 10}
	assigned := &domain.Actor{UserID: 1, Memberships: []domain.Membership{{Role: domain.RoleAuditeur}}, Audits: []domain.AuditAccess{{AuditID: 7, StructureID: 10}}}
	other := &domain.Actor{UserID: 2, Memberships: []domain.Membership{{Role: domain.RoleAuditeur}}, Audits: []domain.AuditAccess{{AuditID: 8, StructureID: 10}}}
	pole := &domain.Actor{UserID: 3, Memberships: []domain.Membership{{Role: domain.RolePole}}}
	dir := &domain.Actor{UserID: 4, Memberships: []domain.Membership{{Role: domain.RoleDirecteur, StructureID: 10}}}
	ref := &domain.Actor{UserID: 5, Memberships: []domain.Membership{{Role: domain.RoleReferentARML, RegionID: 1}}}
	// A director who is given an audit access (not an auditor) gains nothing.
	forged := &domain.Actor{UserID: 6, Memberships: []domain.Membership{{Role: domain.RoleDirecteur, StructureID: 99}}, Audits: []domain.AuditAccess{{AuditID: 7, StructureID: 10}}}
	cases := []struct {
		name string
		a    *domain.Actor
		act  domain.Action
		want bool
	}{
		{"assigned views", assigned, domain.ActViewAudit, true},
		{"assigned conducts", assigned, domain.ActConductAudit, true},
		{"assigned downloads", assigned, domain.ActDownloadPreuve, true},
		{"assigned replaces a site", assigned, domain.ActReplaceSite, true},
		{"assigned assigns", assigned, domain.ActAssignAudit, false},
		{"another pair's auditor views", other, domain.ActViewAudit, false},
		{"another pair's auditor conducts", other, domain.ActConductAudit, false},
		{"the Pôle views", pole, domain.ActViewAudit, true},
		{"the Pôle assigns", pole, domain.ActAssignAudit, true},
		{"the Pôle does not conduct", pole, domain.ActConductAudit, false},
		{"the director observes", dir, domain.ActObserveAudit, true},
		{"the director does not conduct", dir, domain.ActConductAudit, false},
		{"the référent sees the verdicts", ref, domain.ActViewVerdicts, true},
		{"the référent does not view the audit", ref, domain.ActViewAudit, false},
		{"a forged access", forged, domain.ActViewAudit, false},
		{"nobody", nil, domain.ActViewAudit, false},
	}
	for _, c := range cases {
		if got := c.a.CanAudit(c.act, brest, 7); got != c.want {
			t.Errorf("%s: CanAudit(%s) = %v, want %v", c.name, c.act, got, c.want)
		}
	}
	if assigned.Can(domain.ActViewStructure, brest) || assigned.Can(domain.ActViewAutoeval, brest) {
		t.Error("an auditor sees the ML outside the audit")
	}
}
