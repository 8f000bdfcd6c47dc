// Package postgres is Cadre's store: the connection pool, the schema migrations and,
// one file per aggregate, the SQL behind the domain's store interfaces.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/unml/cadre/migrations"
)

// Open connects a pool to the database and checks that it answers.
func Open(ctx context.Context, connString string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse connection string: %w", err)
	}
	cfg.ConnConfig.Tracer = countingTracer{}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return pool, nil
}

// statements and roundTrips count what this process sent PostgreSQL (BEGIN and
// COMMIT included; a batch is one round trip): the benchmark divides them by
// the requests it made.
var statements, roundTrips atomic.Uint64

// Statements returns how many statements the process's pools have sent.
func Statements() uint64 { return statements.Load() }

// RoundTrips returns how many times the process's pools waited for PostgreSQL.
func RoundTrips() uint64 { return roundTrips.Load() }

type countingTracer struct{}

func (countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	statements.Add(1)
	roundTrips.Add(1)
	return ctx
}

func (countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (countingTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	roundTrips.Add(1)
	return ctx
}

func (countingTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	statements.Add(1)
}

func (countingTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// DirtyError means an earlier migration failed halfway and the schema needs a hand.
type DirtyError struct {
	Version uint
}

func (e *DirtyError) Error() string {
	return fmt.Sprintf(`the database schema is dirty: migration %d failed partway.
Check the schema against migrations/%04d_*.up.sql and repair it by hand, then record the last version that is fully applied:
    cadre migrate force %d
and start again (cadre migrate up, or cadre serve)`, e.Version, e.Version, e.Version-1)
}

// Migrator applies the embedded migrations. Concurrent runs against one database
// are safe: the driver serialises them with an advisory lock.
type Migrator struct {
	m *migrate.Migrate
}

// NewMigrator prepares a migrator on the pool; Close releases it (not the pool).
func NewMigrator(pool *pgxpool.Pool) (*Migrator, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Migrator{m: m}, nil
}

// Close releases the migrator's connection.
func (mg *Migrator) Close() error {
	srcErr, dbErr := mg.m.Close()
	return errors.Join(srcErr, dbErr)
}

// Up applies every pending migration.
func (mg *Migrator) Up() error { return mg.wrap(mg.m.Up()) }

// Down reverts the last applied migration.
func (mg *Migrator) Down() error { return mg.wrap(mg.m.Steps(-1)) }

// Force records version v as applied and clean, after a repair by hand.
func (mg *Migrator) Force(v int) error { return mg.wrap(mg.m.Force(v)) }

// Version returns the applied version (0 when none) and whether it is dirty.
func (mg *Migrator) Version() (uint, bool, error) {
	v, dirty, err := mg.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("migrations: %w", err)
	}
	return v, dirty, nil
}

func (mg *Migrator) wrap(err error) error {
	var dirty migrate.ErrDirty
	switch {
	case err == nil, errors.Is(err, migrate.ErrNoChange):
		return nil
	case errors.As(err, &dirty):
		return &DirtyError{Version: uint(dirty.Version)}
	default:
		return fmt.Errorf("migrations: %w", err)
	}
}

// Migrate applies every pending migration on the pool.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	mg, err := NewMigrator(pool)
	if err != nil {
		return err
	}
	defer mg.Close()
	return mg.Up()
}
