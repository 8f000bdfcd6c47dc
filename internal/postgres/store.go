package postgres

import (
	"context"
	"fmt"
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

// inTx runs the write op of actor in a transaction, committed if fn returns nil,
// rolled back otherwise. Every write of the store goes through it: it is where
// the journal and the tenant of row-level security will be set. The error is
// wrapped once, with op. A nil actor is the system itself (migrations of data,
// the demo seed, background work).
func (s *Store) inTx(ctx context.Context, actor *domain.Actor, op string, fn func(tx pgx.Tx) error) error {
	_ = actor // the journal's entry and the RLS tenant come with the journal issue
	err := pgx.BeginFunc(ctx, s.pool, fn)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
