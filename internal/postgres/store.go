package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/domain"
)

// Store implements the domain's store interfaces on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	// refCache keeps loaded référentiel trees by id: an imported version never changes.
	refCache sync.Map
}

// NewStore returns a store on the pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// wrap gives a read's error its operation and ids, once: exported read methods
// defer it on their named error result, as in
//
//	defer wrap(&err, "Autoevaluation(%d)", id)
//
// Writes are wrapped by inTx with their op, which names their ids the same way.
func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf(format+": %w", append(args, *err)...)
	}
}

// inTx runs the write op of actor in a transaction, committed if fn returns nil,
// rolled back otherwise. Every write of the store goes through it: it is where
// the journal and the tenant of row-level security are set. fn records each of
// its changes with tx.journal; the entries are appended to the journal, in the
// same transaction, when fn succeeds. The error is wrapped once, with op. A nil
// actor is the system itself (migrations of data, the demo seed, background
// work).
func (s *Store) inTx(ctx context.Context, actor *domain.Actor, op string, fn func(tx *jtx) error) error {
	err := s.scopedTx(ctx, actorTenant(actor), pgx.ReadWrite, func(ptx pgx.Tx) error {
		tx := &jtx{Tx: ptx}
		if err := fn(tx); err != nil {
			return err
		}
		return appendJournal(ctx, ptx, actor, tx.entries)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// read runs the reads of fn in a read-only transaction scoped to t: row-level
// security shows them only t's rows, so a query that forgets its tenant filter
// still leaks nothing. Every read of a tenant table goes through it.
func (s *Store) read(ctx context.Context, t tenant, fn func(tx pgx.Tx) error) error {
	return s.scopedTx(ctx, t, pgx.ReadOnly, fn)
}

// scopedTx opens a transaction whose first statement sets the row-level
// security scope (SET LOCAL, through set_config(…, true)): BEGIN and the scope
// go in one round trip, as one simple-protocol query.
func (s *Store) scopedTx(ctx context.Context, t tenant, mode pgx.TxAccessMode, fn func(tx pgx.Tx) error) error {
	begin := "BEGIN"
	if mode == pgx.ReadOnly {
		begin = "BEGIN READ ONLY"
	}
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{BeginQuery: begin + "; " + t.setSQL()}, fn)
}

// tenant is the row-level security scope of one transaction (migration 0009):
// everything (the system, or the national team), or these régions and MLs. The
// zero tenant sees no tenant row.
type tenant struct {
	scope      string // "system", "national" or "tenant"
	regions    []int64
	structures []int64
}

// systemTenant is the scope of work no person asks for, or asks for before
// being known: background workers, sign-in, the seed, imports.
var systemTenant = tenant{scope: "system"}

// nationalTenant is the scope of the national team (the Pôle, the platform
// admin): every Mission Locale.
var nationalTenant = tenant{scope: "national"}

// structureTenant scopes a read to one Mission Locale's rows.
func structureTenant(id int64) tenant {
	return tenant{scope: "tenant", structures: []int64{id}}
}

// visibleTenant scopes a read to what a policy's Visibility allows.
func visibleTenant(v domain.Visibility) tenant {
	if v.All {
		return nationalTenant
	}
	return tenant{scope: "tenant", regions: v.RegionIDs, structures: v.StructureIDs}
}

// actorTenant is the union of the scopes of the actor's memberships: national
// for the Pôle and the platform admin, the région of a référent, the ML of a
// directeur or contributeur. A nil actor is the system; so is an actor without
// any membership, which is not a signed-in person's (Store.Actor loads every
// membership) but the system writing in a person's name: the demo seed, the
// sign-in and invitation flows, test hooks. Such an actor reaches no tenant
// write through a service, whose policy grants it nothing.
func actorTenant(a *domain.Actor) tenant {
	if a == nil || len(a.Memberships) == 0 {
		return systemTenant
	}
	t := tenant{scope: "tenant"}
	for _, m := range a.Memberships {
		switch {
		case m.Role == domain.RolePole || m.Role == domain.RoleAdmin:
			return nationalTenant
		case m.Role == domain.RoleReferentARML && m.RegionID != 0:
			t.regions = append(t.regions, m.RegionID)
		case m.StructureID != 0 && (m.Role == domain.RoleDirecteur || m.Role == domain.RoleContributeur):
			t.structures = append(t.structures, m.StructureID)
		case m.Role == domain.RoleAuditeur:
			// An auditor writes in the MLs of the audits of their pair only.
			for _, x := range a.Audits {
				t.structures = append(t.structures, x.StructureID)
			}
		}
	}
	return t
}

// setSQL is the statement that sets t for the current transaction. The values
// are a fixed word and integers, so they are written inline.
func (t tenant) setSQL() string {
	visible := "'" + ids(t.structures) + "'"
	if len(t.regions) > 0 {
		visible = fmt.Sprintf(visibleOfRegionsSQL, "'"+ids(t.structures)+"'", "'"+ids(t.regions)+"'")
	}
	return "SELECT set_config('cadre.scope', '" + t.scope + "', true), set_config('cadre.regions', '" + ids(t.regions) +
		"', true), set_config('cadre.structures', '" + ids(t.structures) + "', true), set_config('cadre.visible', " +
		visible + ", true)"
}

// visibleOfRegionsSQL expands a scope's Missions Locales (first %s, an array
// literal) and régions (second %s) into the list of every Mission Locale it
// sees, the value of cadre.visible (migration 0015): row-level security then
// compares each row with that list, parsed once per query, instead of querying
// structures for every row.
const visibleOfRegionsSQL = "(SELECT array(SELECT unnest(%s::bigint[]) UNION SELECT id FROM structures WHERE region_id = ANY (%s::bigint[]) ORDER BY 1)::text)"

// ids writes an array literal of ids: {1,2,3}.
func ids(xs []int64) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(x, 10))
	}
	b.WriteByte('}')
	return b.String()
}

// query runs one query under t and hands its rows to fn, in one round trip: a
// pipeline (pgx batch) that sets the scope and runs the query, which
// PostgreSQL takes as one implicit transaction, so the scope holds for the
// query and ends with it. It is the read path of single statements; queries
// is the one of several independent ones, read the one of a transaction.
func (s *Store) query(ctx context.Context, t tenant, fn func(rows pgx.Rows) error, sql string, args ...any) error {
	return s.queries(ctx, t, scan{sql, args, fn})
}

// scan is one query of a pipeline and what reads its rows.
type scan struct {
	sql  string
	args []any
	fn   func(rows pgx.Rows) error
}

// queries runs independent queries under t in one round trip, as query does
// one, and hands each its rows in order; the first failure ends it.
func (s *Store) queries(ctx context.Context, t tenant, scans ...scan) error {
	b := &pgx.Batch{}
	for _, q := range scans {
		b.Queue(q.sql, q.args...)
	}
	br, err := s.sendBatch(ctx, t, b)
	if err != nil {
		return err
	}
	for _, q := range scans {
		rows, _ := br.Query() // a failed query reports through rows.Err
		err = q.fn(rows)
		rows.Close()
		if err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

// into reads every row with fn into *dst.
func into[T any](dst *[]T, fn pgx.RowToFunc[T]) func(pgx.Rows) error {
	return func(rows pgx.Rows) (err error) {
		*dst, err = pgx.CollectRows(rows, fn)
		return err
	}
}

// sendBatch sends the queries of b under t, in one round trip: the scope is set
// first, in the same implicit transaction. The caller reads b's results from
// the returned BatchResults and closes it.
func (s *Store) sendBatch(ctx context.Context, t tenant, b *pgx.Batch) (pgx.BatchResults, error) {
	scoped := &pgx.Batch{}
	if len(t.regions) > 0 {
		scoped.Queue(setRegionTenantSQL, t.scope, ids(t.regions), ids(t.structures))
	} else {
		scoped.Queue(setTenantSQL, t.scope, ids(t.regions), ids(t.structures))
	}
	scoped.QueuedQueries = append(scoped.QueuedQueries, b.QueuedQueries...)
	br := s.pool.SendBatch(ctx, scoped)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, err
	}
	return br, nil
}

// setTenantSQL sets a tenant without régions for the current (implicit)
// transaction: it sees its Missions Locales ($3) and no other.
const setTenantSQL = "SELECT set_config('cadre.scope', $1, true), set_config('cadre.regions', $2, true), set_config('cadre.structures', $3, true), set_config('cadre.visible', $3, true)"

// setRegionTenantSQL sets a tenant with régions ($2): it also sees their
// Missions Locales, listed in the same statement.
var setRegionTenantSQL = "SELECT set_config('cadre.scope', $1, true), set_config('cadre.regions', $2, true), set_config('cadre.structures', $3, true), set_config('cadre.visible', " +
	fmt.Sprintf(visibleOfRegionsSQL, "$3", "$2") + ", true)"

// collect runs one query under t and collects its rows with fn.
func collect[T any](ctx context.Context, s *Store, t tenant, fn pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	var list []T
	err := s.query(ctx, t, func(rows pgx.Rows) error {
		var err error
		list, err = pgx.CollectRows(rows, fn)
		return err
	}, sql, args...)
	return list, err
}

// collectOne runs one query under t and collects its only row with fn;
// pgx.ErrNoRows when there is none.
func collectOne[T any](ctx context.Context, s *Store, t tenant, fn pgx.RowToFunc[T], sql string, args ...any) (T, error) {
	var v T
	err := s.query(ctx, t, func(rows pgx.Rows) error {
		var err error
		v, err = pgx.CollectExactlyOneRow(rows, fn)
		return err
	}, sql, args...)
	return v, err
}

// scanOne runs one query under t and scans its only row into dest;
// pgx.ErrNoRows when there is none.
func (s *Store) scanOne(ctx context.Context, t tenant, sql string, args []any, dest ...any) error {
	return s.query(ctx, t, func(rows pgx.Rows) error {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return pgx.ErrNoRows
		}
		return rows.Scan(dest...)
	}, sql, args...)
}
