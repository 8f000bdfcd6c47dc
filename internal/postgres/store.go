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
// the journal and the tenant of row-level security are set. fn records each of
// its changes with tx.journal; the entries are appended to the journal, in the
// same transaction, when fn succeeds. The error is wrapped once, with op. A nil
// actor is the system itself (migrations of data, the demo seed, background
// work).
func (s *Store) inTx(ctx context.Context, actor *domain.Actor, op string, fn func(tx *jtx) error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(ptx pgx.Tx) error {
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
