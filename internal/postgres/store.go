package postgres

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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

// inTx runs fn in a transaction, committed if fn returns nil, rolled back otherwise.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, s.pool, fn)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
