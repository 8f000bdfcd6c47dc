package postgres

import (
	"reflect"
	"testing"

	"github.com/unml/cadre/internal/domain"
)

// TestActorTenant: the row-level security scope of a write is the union of the
// actor's memberships; the national roles see everything, the auditeur (until
// the audit issue) nothing, and an actor with no membership is the system
// writing in a person's name.
func TestActorTenant(t *testing.T) {
	m := func(r domain.Role, region, structure int64) domain.Membership {
		return domain.Membership{Role: r, RegionID: region, StructureID: structure}
	}
	for _, tc := range []struct {
		name  string
		actor *domain.Actor
		want  tenant
	}{
		{"nil", nil, systemTenant},
		{"no membership", &domain.Actor{UserID: 1}, systemTenant},
		{"pôle", &domain.Actor{Memberships: []domain.Membership{m(domain.RoleDirecteur, 0, 4), m(domain.RolePole, 0, 0)}}, nationalTenant},
		{"admin", &domain.Actor{Memberships: []domain.Membership{m(domain.RoleAdmin, 0, 0)}}, nationalTenant},
		{"director and référent", &domain.Actor{Memberships: []domain.Membership{m(domain.RoleDirecteur, 0, 4), m(domain.RoleReferentARML, 2, 0), m(domain.RoleContributeur, 0, 7)}},
			tenant{scope: "tenant", regions: []int64{2}, structures: []int64{4, 7}}},
		{"auditeur", &domain.Actor{Memberships: []domain.Membership{m(domain.RoleAuditeur, 0, 0)}}, tenant{scope: "tenant"}},
	} {
		if got := actorTenant(tc.actor); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if got, want := visibleTenant(domain.Visibility{RegionIDs: []int64{1}}).setSQL(),
		"SELECT set_config('cadre.scope', 'tenant', true), set_config('cadre.regions', '{1}', true), set_config('cadre.structures', '{}', true), "+
			"set_config('cadre.visible', (SELECT array(SELECT unnest('{}'::bigint[]) UNION SELECT id FROM structures WHERE region_id = ANY ('{1}'::bigint[]) ORDER BY 1)::text), true)"; got != want {
		t.Errorf("setSQL = %s", got)
	}
	if got, want := structureTenant(4).setSQL(),
		"SELECT set_config('cadre.scope', 'tenant', true), set_config('cadre.regions', '{}', true), set_config('cadre.structures', '{4}', true), set_config('cadre.visible', '{4}', true)"; got != want {
		t.Errorf("setSQL = %s", got)
	}
	if got := visibleTenant(domain.Visibility{All: true}); !reflect.DeepEqual(got, nationalTenant) {
		t.Errorf("all = %+v", got)
	}
}
