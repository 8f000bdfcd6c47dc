package domain

import "testing"

// TestPlanAndCommissionPolicy: the plan is read by its ML's people, its
// région's référent and the Pôle; changed by its director only; commented by
// the director, the référent and the Pôle. The commission is the Pôle's; the
// register is every role's.
func TestPlanAndCommissionPolicy(t *testing.T) {
	t.Parallel()
	ml := Scope{RegionID: 1, StructureID: 10}
	other := Scope{RegionID: 2, StructureID: 20}
	who := map[string]*Actor{
		"directeur":    {Memberships: []Membership{{Role: RoleDirecteur, StructureID: 10}}},
		"contributeur": {Memberships: []Membership{{Role: RoleContributeur, StructureID: 10}}},
		"referent":     {Memberships: []Membership{{Role: RoleReferentARML, RegionID: 1}}},
		"pole":         {Memberships: []Membership{{Role: RolePole}}},
		"admin":        {Memberships: []Membership{{Role: RoleAdmin}}},
		"auditeur":     {Memberships: []Membership{{Role: RoleAuditeur}}},
	}
	for _, tc := range []struct {
		act     Action
		allowed []string
	}{
		{ActViewPlan, []string{"directeur", "contributeur", "referent", "pole"}},
		{ActManagePlan, []string{"directeur"}},
		{ActCommentPlan, []string{"directeur", "referent", "pole"}},
		{ActManageCommission, []string{"pole"}},
		{ActViewRegistre, []string{"directeur", "contributeur", "referent", "pole", "admin", "auditeur"}},
	} {
		for name, a := range who {
			want := false
			for _, n := range tc.allowed {
				want = want || n == name
			}
			if got := a.Can(tc.act, ml); got != want {
				t.Errorf("%s %s on its own ML: %v, want %v", name, tc.act, got, want)
			}
			// Another région's ML: only national roles (and the register for all).
			wantOther := want && (name == "pole" || tc.act == ActViewRegistre)
			if got := a.Can(tc.act, other); got != wantOther {
				t.Errorf("%s %s on another ML: %v, want %v", name, tc.act, got, wantOther)
			}
		}
	}
	if (*Actor)(nil).Can(ActViewRegistre, Scope{}) {
		t.Error("nobody signed in reads the register through the policy")
	}
}
