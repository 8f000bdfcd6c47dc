// Package pgtest gives each test a fresh, migrated PostgreSQL database.
//
// The databases live on TEST_DATABASE_URL when it is set, otherwise on a throwaway
// cluster that Main starts through pglocal for the test binary. Each is a copy of a
// template database migrated once per migration set, which takes a few tens of
// milliseconds instead of a full migration.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/pglocal"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/migrations"
)

var (
	// admin is the connection string of the maintenance database that creates and
	// drops the test databases.
	admin string

	templateMu    sync.Mutex
	templateReady string
)

// Main runs a package's tests. Call it from TestMain in every package that uses New.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	admin = os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		dir, err := os.MkdirTemp("", "cadre-pg-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		c, err := pglocal.Start(context.Background(), pglocal.Options{Dir: dir})
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: starting a throwaway PostgreSQL cluster:", err)
			return 1
		}
		defer c.Stop()
		admin = c.ConnString("postgres")
	}
	return m.Run()
}

// New returns a pool on a fresh migrated database, dropped when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(t.Context(), NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	// Registered after NewURL's cleanup, so it runs first: the pool is closed
	// before the database is dropped.
	t.Cleanup(pool.Close)
	return pool
}

// NewURL creates a fresh migrated database, dropped when the test ends, and returns
// its connection string.
func NewURL(t testing.TB) string {
	t.Helper()
	if admin == "" {
		t.Fatal("pgtest: call pgtest.Main(m) from TestMain")
	}
	ctx := context.Background()
	tpl, err := template(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name := "cadre_test_" + rand.Text()[:12]
	name = strings.ToLower(name)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{tpl}.Sanitize())); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// template returns the name of the migrated template database, creating it once.
// Test binaries run in parallel, so creation happens under an advisory lock.
func template(ctx context.Context) (string, error) {
	templateMu.Lock()
	defer templateMu.Unlock()
	if templateReady != "" {
		return templateReady, nil
	}
	hash, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "cadre_tpl_" + hash[:16]
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(74657374)"); err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(74657374)")
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("pgtest: create template: %w", err)
		}
		if err := migrateTemplate(ctx, withDatabase(admin, name)); err != nil {
			conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			return "", err
		}
	}
	templateReady = name
	return name, nil
}

func migrateTemplate(ctx context.Context, connString string) error {
	pool, err := postgres.Open(ctx, connString)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool); err != nil {
		return fmt.Errorf("pgtest: migrate template: %w", err)
	}
	return nil
}

// migrationsHash names the template after the migrations' content, so a changed
// migration set gets a new template instead of a stale one.
func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("pgtest: hash migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// withDatabase returns connString pointed at another database; it accepts both
// URLs and keyword/value strings.
func withDatabase(connString, db string) string {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		if u, err := url.Parse(connString); err == nil {
			u.Path = "/" + db
			return u.String()
		}
	}
	return connString + " dbname=" + db
}
