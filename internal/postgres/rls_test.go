package postgres_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

// nonTenant are the tables that hold no Mission Locale's data, and so carry no
// structure_id and no row-level security (migration 0009 says why). A new
// table must carry structure_id or be added here: TestRowLevelSecurity fails
// until it is classified.
var nonTenant = []string{
	"campagnes", "commission_sessions", "login_failures", "outbox", "referentiel_caracteristiques", "referentiel_chapitres",
	"referentiel_fonctions", "referentiel_groupes", "referentiel_items", "referentiel_niveaux",
	"referentiel_realisations", "referentiel_ressources", "referentiel_volets", "referentiels", "regions",
	"reset_requests", "rgpd_acquittements", "schema_migrations", "sessions", "structures", "user_tokens", "users",
}

// acrossTenants are the tables that name a Mission Locale (structure_id) but
// are read across them, so carry no row-level security: the journal, whose
// chain links every tenant's entries and whose national page reads them all
// (its pages ask the policy; the application role may only INSERT and SELECT).
//
// And the national register of labels (labels): the network's public fact,
// read by every signed-in role across the Missions Locales (migration 0014);
// only the commission's store writes it, in a decision's transaction.
var acrossTenants = []string{"journal", "labels"}

// TestRowLevelSecurity: as the application role, every tenant table (from the
// catalog: every table with a structure_id) answers no row without a scope, and
// a deliberately unscoped SELECT * in a scoped transaction answers only the
// scope's rows.
func TestRowLevelSecurity(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	admin := pgtest.Admin(t, pool)
	ctx := t.Context()

	var owns int
	var super bool
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)::int, r.rolsuper OR r.rolbypassrls
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&owns, &super); err != nil {
		t.Fatal(err)
	}
	if owns != 0 || super {
		t.Fatalf("the application role owns %d relations, superuser or bypassrls: %v", owns, super)
	}

	rows, _ := admin.Query(ctx, `SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity,
		    EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'structure_id' AND NOT a.attisdropped)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`)
	type table struct {
		Name   string
		Forced bool
		Tenant bool
	}
	tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[table])
	if err != nil {
		t.Fatal(err)
	}
	rennes, brest, lyon := f.Structures["ML-RENNES"], f.Structures["ML-BREST"], f.Structures["ML-LYON"]
	var tenants []string
	for _, tb := range tables {
		switch {
		case slices.Contains(acrossTenants, tb.Name):
		case tb.Tenant && !tb.Forced:
			t.Errorf("%s has a structure_id but no forced row-level security", tb.Name)
		case !tb.Tenant && !slices.Contains(nonTenant, tb.Name):
			t.Errorf("%s has no structure_id and is not a known non-tenant table: give it structure_id and a policy (migration 0009), or add it to nonTenant", tb.Name)
		case tb.Tenant:
			tenants = append(tenants, tb.Name)
		}
	}
	if len(tenants) < 15 {
		t.Fatalf("only %d tenant tables found: %v", len(tenants), tenants)
	}
	seen := 0
	for _, name := range tenants {
		id := pgx.Identifier{name}.Sanitize()
		if n := selectAll(t, pool, "", "SELECT * FROM "+id); n != 0 {
			t.Errorf("%s: %d rows without a scope, want none", name, n)
		}
		var all, ofRennes, ofBretagne int
		if err := admin.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE structure_id = $1), count(*) FILTER (WHERE structure_id IN ($1, $2, $3)) FROM "+id,
			rennes, brest, f.Structures["ML-QUIMPER"]).Scan(&all, &ofRennes, &ofBretagne); err != nil {
			t.Fatal(err)
		}
		if ofRennes > 0 && ofRennes < all {
			seen++
		}
		// A deliberately unscoped SELECT * in a transaction scoped to Rennes.
		if n := selectAll(t, pool, postgres.ScopeSQL("tenant", nil, []int64{rennes}), "SELECT * FROM "+id); n != ofRennes {
			t.Errorf("%s in Rennes' scope: %d rows, want Rennes' %d (of %d)", name, n, ofRennes, all)
		}
		if n := selectAll(t, pool, postgres.ScopeSQL("tenant", []int64{f.Regions["BRE"]}, nil), "SELECT * FROM "+id); n != ofBretagne && name != "memberships" {
			t.Errorf("%s in the Bretagne région's scope: %d rows, want %d (of %d)", name, n, ofBretagne, all)
		}
		if n := selectAll(t, pool, postgres.ScopeSQL("national", nil, nil), "SELECT * FROM "+id); n != all {
			t.Errorf("%s in the national scope: %d rows, want %d", name, n, all)
		}
		// The lists of 0009 without the expanded one of 0015 show nothing: a
		// scope set another way fails closed.
		if n := selectAll(t, pool, "SELECT set_config('cadre.scope', 'tenant', true), set_config('cadre.structures', '{"+itoa(rennes)+"}', true), set_config('cadre.regions', '{"+itoa(f.Regions["BRE"])+"}', true)",
			"SELECT * FROM "+id); n != 0 && name != "memberships" {
			t.Errorf("%s with cadre.structures and cadre.regions but no cadre.visible: %d rows, want none", name, n)
		}
		// A write outside the scope is refused too.
		if name == "preuves" {
			_, err := scoped(t, pool, postgres.ScopeSQL("tenant", nil, []int64{rennes}),
				"INSERT INTO preuves (structure_id, nature, titre, type) VALUES ("+itoa(lyon)+", 'sur_place', 'x', 'autre')")
			if err == nil {
				t.Error("a piece of Lyon inserted in Rennes' scope")
			}
		}
	}
	if seen < 8 {
		t.Errorf("only %d tenant tables hold rows of Rennes and of another ML in the demo: the test proves little", seen)
	}
	// The scope is the transaction's: it is gone after it.
	if n := selectAll(t, pool, "", "SELECT * FROM preuves"); n != 0 {
		t.Errorf("preuves after scoped transactions: %d rows, want none", n)
	}
}

// selectAll counts the rows of query as the pool's role, in a transaction
// that first runs setup (when not empty).
func selectAll(t *testing.T, pool *pgxpool.Pool, setup, query string) int {
	t.Helper()
	n, err := scoped(t, pool, setup, query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func scoped(t *testing.T, pool *pgxpool.Pool, setup, query string) (int, error) {
	t.Helper()
	ctx := context.Background()
	n := 0
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if setup != "" {
			if _, err := tx.Exec(ctx, setup); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, query)
		if err != nil {
			return err
		}
		for rows.Next() {
			n++
		}
		return rows.Err()
	})
	return n, err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRowLevelSecurityPlan: the policies cost a comparison per row, not a
// function call. As the application role in a région's scope, the tenant
// tables' policies run their scope once per query (InitPlan), and
// cadre_tenant_visible, which later migrations' policies call, is inlined into
// the plan (migration 0015).
func TestRowLevelSecurityPlan(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	scope := postgres.ScopeSQL("tenant", []int64{f.Regions["BRE"]}, nil)
	for _, tc := range []struct{ query, want string }{
		{"SELECT * FROM cotations", "InitPlan"},
		{"SELECT * FROM memberships", "InitPlan"},
		{"SELECT * FROM structures WHERE cadre_tenant_visible(id)", "current_setting('cadre.visible'"},
	} {
		var plan strings.Builder
		err := pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(t.Context(), scope); err != nil {
				return err
			}
			rows, _ := tx.Query(t.Context(), "EXPLAIN (VERBOSE) "+tc.query)
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			plan.WriteString(strings.Join(lines, "\n"))
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		if !strings.Contains(plan.String(), tc.want) || strings.Contains(plan.String(), "cadre_tenant_visible(") {
			t.Errorf("%s: want %q in the plan and no call of cadre_tenant_visible:\n%s", tc.query, tc.want, plan.String())
		}
	}
}
