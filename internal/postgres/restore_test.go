package postgres_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/pglocal"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

// TestRestoreIntoFreshCluster follows the README's backup and restore
// procedure: pg_dump -Fc of the demo database, then, on a fresh cluster, the
// roles first, an empty database owned by the owner role, pg_restore. The
// restored database holds the same rows, serves them to the application role
// under row-level security, and every evidence file still hashes to its
// stored SHA-256.
func TestRestoreIntoFreshCluster(t *testing.T) {
	t.Parallel()
	bin, err := clientBinaries()
	if err != nil {
		t.Skip(err)
	}
	ctx := t.Context()
	src := pgtest.AdminURL(demotest.NewURL(t))
	dump := filepath.Join(t.TempDir(), "cadre.dump")
	// The superuser dumps: FORCE ROW LEVEL SECURITY would hide rows from the owner.
	run(t, filepath.Join(bin, "pg_dump"), "-Fc", "--file", dump, "--dbname", src)

	dir := filepath.Join(os.TempDir(), "cadre-restore-"+strings.ToLower(rand.Text()[:8]))
	t.Cleanup(func() { os.RemoveAll(dir) })
	c, err := pglocal.Start(ctx, pglocal.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	func() {
		conn, err := pgx.Connect(ctx, c.ConnString("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		// Roles first: the dump names them as owner and grantee.
		if err := postgres.EnsureRoles(ctx, conn, pgtest.OwnerRole, pgtest.AppRole, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE cadre OWNER "+pgtest.OwnerRole); err != nil {
			t.Fatal(err)
		}
	}()
	run(t, filepath.Join(bin, "pg_restore"), "--exit-on-error", "--dbname", c.ConnString("cadre"), dump)

	srcPool, err := postgres.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer srcPool.Close()
	admin, err := postgres.Open(ctx, c.ConnString("cadre"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if want, got := tableCounts(t, srcPool), tableCounts(t, admin); got != want {
		t.Errorf("restored rows per table:\n%s\nwant:\n%s", got, want)
	}
	problems, err := pgtest.Integrity(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	// The restored journal's chain verifies, every entry.
	if n, err := journal.Verify(func(fn func(journal.Entry) error) error {
		return postgres.NewStore(admin).EachJournalEntry(ctx, journal.Filter{}, fn)
	}); err != nil || n == 0 {
		t.Errorf("the journal: %d entries verified, then %v", n, err)
	}

	// Every file again, through the store as the application role: the
	// restored grants and policies serve it, and its bytes hash as stored.
	app, err := postgres.Open(ctx, c.ConnStringAs(pgtest.AppRole, "cadre"))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	store := postgres.NewStore(app)
	rows, _ := admin.Query(ctx, `SELECT p.structure_id, p.id, v.version, encode(c.sha256, 'hex')
		FROM preuve_versions v JOIN preuves p ON p.id = v.preuve_id JOIN preuve_contenus c ON c.id = v.contenu_id ORDER BY v.id`)
	type version struct {
		StructureID, PreuveID int64
		Version               int
		SHA256                string
	}
	versions, err := pgx.CollectRows(rows, pgx.RowToStructByPos[version])
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) < 5 {
		t.Fatalf("only %d file versions in the demo", len(versions))
	}
	for _, v := range versions {
		f, err := store.OpenVersion(ctx, v.StructureID, v.PreuveID, v.Version)
		if err != nil {
			t.Fatalf("open version %d of preuve %d: %v", v.Version, v.PreuveID, err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			t.Errorf("read version %d of preuve %d: %v", v.Version, v.PreuveID, err)
		} else if got := hex.EncodeToString(h.Sum(nil)); got != v.SHA256 {
			t.Errorf("version %d of preuve %d hashes to %s, stored %s", v.Version, v.PreuveID, got, v.SHA256)
		}
	}
}

// clientBinaries finds the folder of pg_dump and pg_restore: next to the
// server's, or the newest /usr/lib/postgresql/<version>/bin.
func clientBinaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if bin, err := pglocal.FindBinaries(); err == nil {
		dirs = append([]string{bin}, dirs...)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_restore")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New("no pg_dump and pg_restore on this machine")
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := osexec.CommandContext(t.Context(), name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(name), err, out)
	}
}

// tableCounts lists every table of schema public with its number of rows.
func tableCounts(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	ctx := context.Background()
	rows, _ := pool.Query(ctx, `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, name := range tables {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{name}.Sanitize()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		b.WriteString(name + " " + strconv.Itoa(n) + "\n")
	}
	return b.String()
}
