// Package pgtest gives each test a fresh, migrated PostgreSQL database.
//
// The databases live on TEST_DATABASE_URL when it is set, otherwise on a throwaway
// cluster that Main starts through pglocal for the test binary, in memory when
// the machine has room (see useMemoryTempDir). Each is a copy of a
// template database migrated once per migration set, which takes a few tens of
// milliseconds instead of a full migration. NewSeeded copies instead a second
// template that also holds a seed function's data, built once per test binary.
//
// Tests get the production split of database roles: the templates are migrated
// by an owner role (OwnerRole) and the pools and connection strings handed out
// connect as the application role (AppRole), which owns nothing and is bound by
// row-level security. Both roles are created once per cluster. AdminURL gives
// the superuser on a test's database, for checks that must see past RLS.
//
// Main also lets a binary run parallelPerCPU parallel tests per CPU unless
// -parallel is given: its tests mostly wait.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/pglocal"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/migrations"
)

// The test roles, shared by every test database of a cluster.
const (
	OwnerRole = "cadre_test_owner"
	AppRole   = "cadre_test_app"
	password  = "cadre_test"
)

// harness is part of the templates' name: a change in how they are built
// (here, the role split) gets new templates on a long-lived cluster.
const harness = "roles-1"

var (
	// admin is the connection string of the maintenance database that creates and
	// drops the test databases.
	admin string

	// maintenance is the binary's pool on admin, opened on first use and
	// closed by Main, which creates and drops the test databases: a connection
	// per copy and per drop started two server processes per test database
	// (357 of the 870 the server's tests started).
	maintenanceOnce sync.Once
	maintenance     *pgxpool.Pool
	maintenanceErr  error

	templateMu    sync.Mutex
	templateReady string

	// seeded holds the seeded templates this process built, by key. They are
	// named after this process, so test binaries running side by side never
	// share one (each binary may hold another version of the seed function),
	// and Main drops them when the tests are done.
	seededMu sync.Mutex
	seeded   = map[string]string{}
)

// Main runs a package's tests. Call it from TestMain in every package that uses New.
func Main(m *testing.M) {
	os.Exit(run(m))
}

// memoryDir is where Main puts the binary's temporary files when TMPDIR is
// unset: a RAM-backed file system, if it has room. There, the cluster's
// database copies take about 40 ms; on this project's shared virtual disk, each
// took 0.8-1.4 s and half a second of system time.
const memoryDir = "/dev/shm"

// useMemoryTempDir points TMPDIR, and so the throwaway cluster, t.TempDir and
// the programs the tests start (Chromium, clusters of their own), at memoryDir
// when it is a directory with at least 2 GiB free. An explicit TMPDIR wins.
func useMemoryTempDir() {
	if os.Getenv("TMPDIR") != "" {
		return
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(memoryDir, &st); err != nil || st.Bavail*uint64(st.Bsize) < 2<<30 {
		return
	}
	os.Setenv("TMPDIR", memoryDir)
}

// parallelPerCPU is how many parallel tests Main lets a binary run per CPU
// unless -parallel says otherwise. The tests of a binary wait on PostgreSQL,
// Chromium and HTTP more than they compute: with go test's default of one per
// CPU (2 here) the server's tests took 108 s, with 8 in all 76 s, for the same
// CPU time.
const parallelPerCPU = 4

// raiseParallel sets -test.parallel to parallelPerCPU per CPU unless it was
// given.
func raiseParallel() {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", strconv.Itoa(parallelPerCPU*runtime.GOMAXPROCS(0)))
	}
}

func run(m *testing.M) int {
	raiseParallel()
	useMemoryTempDir()
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
	defer dropSeeded()
	defer func() {
		if maintenance != nil {
			maintenance.Close()
		}
	}()
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

// NewOwner returns a pool on a fresh migrated database as the owner role, the
// one that runs migrations, dropped when the test ends.
func NewOwner(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.OpenOwner(t.Context(), OwnerURL(NewURL(t)))
	if err != nil {
		t.Fatal(err)
	}
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
	tpl, err := template(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return copyOf(t, tpl)
}

// NewSeeded returns a pool on a fresh database, dropped when the test ends, that
// holds the migrations and what seed wrote. seed runs once per test binary and
// key, on a template database that each call then copies; key (lower-case
// letters, digits and _) names the seed function, which must always write the
// same data for the same key.
func NewSeeded(t testing.TB, key string, seed func(ctx context.Context, pool *pgxpool.Pool) error) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(t.Context(), NewSeededURL(t, key, seed))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewSeededURL is NewSeeded returning the database's connection string.
func NewSeededURL(t testing.TB, key string, seed func(ctx context.Context, pool *pgxpool.Pool) error) string {
	t.Helper()
	if admin == "" {
		t.Fatal("pgtest: call pgtest.Main(m) from TestMain")
	}
	tpl, err := seededTemplate(key, seed)
	if err != nil {
		t.Fatal(err)
	}
	return copyOf(t, tpl)
}

// copyOf creates a copy of the template tpl, dropped when the test ends, and
// returns its connection string.
func copyOf(t testing.TB, tpl string) string {
	t.Helper()
	ctx := context.Background()
	name := "cadre_test_" + rand.Text()[:12]
	name = strings.ToLower(name)
	pool, err := maintenancePool()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if _, err := pool.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s OWNER %s STRATEGY FILE_COPY",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{tpl}.Sanitize(), pgx.Identifier{OwnerRole}.Sanitize())); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return withUser(withDatabase(admin, name), AppRole)
}

// maintenancePool returns the binary's pool on the maintenance database,
// opening it on first use. Main closes it when the tests are done.
func maintenancePool() (*pgxpool.Pool, error) {
	maintenanceOnce.Do(func() {
		cfg, err := pgxpool.ParseConfig(admin)
		if err != nil {
			maintenanceErr = err
			return
		}
		// Creating and dropping databases is serialized by PostgreSQL anyway.
		cfg.MaxConns = 4
		maintenance, maintenanceErr = pgxpool.NewWithConfig(context.Background(), cfg)
	})
	return maintenance, maintenanceErr
}

// Admin returns a pool on pool's database as the cluster's superuser, closed
// when the test ends: for a test's own checks and set-ups that must see or
// change every row, past row-level security.
func Admin(t testing.TB, pool *pgxpool.Pool) *pgxpool.Pool {
	t.Helper()
	admin, err := postgres.Open(t.Context(), withDatabase(admin, pool.Config().ConnConfig.Database))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	return admin
}

// AdminURL returns connString (a test database's) as the cluster's superuser,
// who is not bound by row-level security.
func AdminURL(connString string) string {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return connString
	}
	return withDatabase(admin, cfg.Database)
}

// OwnerURL returns connString (a test database's) as the owner role, which
// FORCE ROW LEVEL SECURITY binds like the application role.
func OwnerURL(connString string) string {
	return withUser(AdminURL(connString), OwnerRole)
}

// withUser returns connString with another user, and the test roles' password.
func withUser(connString, user string) string {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		if u, err := url.Parse(connString); err == nil {
			u.User = url.UserPassword(user, password)
			return u.String()
		}
	}
	return connString + " user=" + user + " password=" + password
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
		if err := postgres.EnsureRoles(ctx, conn, OwnerRole, AppRole, password); err != nil {
			return "", fmt.Errorf("pgtest: %w", err)
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" OWNER "+pgx.Identifier{OwnerRole}.Sanitize()); err != nil {
			return "", fmt.Errorf("pgtest: create template: %w", err)
		}
		if err := migrateTemplate(ctx, withUser(withDatabase(admin, name), OwnerRole)); err != nil {
			conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			return "", err
		}
	}
	templateReady = name
	return name, nil
}

// seededTemplate returns the name of the template holding the migrations and
// seed's data, creating it the first time a key is asked for in this process.
func seededTemplate(key string, seed func(ctx context.Context, pool *pgxpool.Pool) error) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("pgtest: seed key %q: want 1 to 16 lower-case letters, digits or _", key)
	}
	seededMu.Lock()
	defer seededMu.Unlock()
	if name, ok := seeded[key]; ok {
		return name, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	base, err := template(ctx)
	if err != nil {
		return "", err
	}
	// base is cadre_tpl_<migrations hash>: the name keeps the hash and the key,
	// and ends with this process's mark.
	name := strings.ToLower(base + "_" + key + "_" + rand.Text()[:8])
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s OWNER %s STRATEGY FILE_COPY",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{base}.Sanitize(), pgx.Identifier{OwnerRole}.Sanitize())); err != nil {
		return "", fmt.Errorf("pgtest: create seeded template: %w", err)
	}
	// Seeded through the application role, as the commands would.
	if err := seedTemplate(ctx, withUser(withDatabase(admin, name), AppRole), seed); err != nil {
		conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return "", fmt.Errorf("pgtest: seed template %s: %w", key, err)
	}
	seeded[key] = name
	return name, nil
}

func seedTemplate(ctx context.Context, connString string, seed func(ctx context.Context, pool *pgxpool.Pool) error) error {
	pool, err := postgres.Open(ctx, connString)
	if err != nil {
		return err
	}
	// Closed before the template is copied: a copy needs it without connections.
	defer pool.Close()
	return seed(ctx, pool)
}

func validKey(key string) bool {
	if key == "" || len(key) > 16 {
		return false
	}
	for _, r := range key {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// dropSeeded drops the seeded templates of this process once its tests are done.
func dropSeeded() {
	seededMu.Lock()
	defer seededMu.Unlock()
	if len(seeded) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: drop seeded templates:", err)
		return
	}
	defer conn.Close(ctx)
	for _, name := range seeded {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: drop seeded template:", err)
		}
	}
	clear(seeded)
}

func migrateTemplate(ctx context.Context, connString string) error {
	pool, err := postgres.OpenOwner(ctx, connString)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := postgres.Setup(ctx, pool, AppRole); err != nil {
		return fmt.Errorf("pgtest: migrate template: %w", err)
	}
	return nil
}

// migrationsHash names the template after the migrations' content, so a changed
// migration set gets a new template instead of a stale one.
func migrationsHash() (string, error) {
	h := sha256.New()
	h.Write([]byte(harness))
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
