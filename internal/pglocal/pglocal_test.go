package pglocal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// clusterDir returns a fresh folder directly under the temporary directory: when
// the tests run as root, the postgres user must be able to reach it.
func clusterDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "pglocal-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func startCluster(t *testing.T, dir string) *Cluster {
	t.Helper()
	if _, err := FindBinaries(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	c, err := Start(t.Context(), Options{Dir: dir, Database: "essai"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func query(t *testing.T, c *Cluster) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), c.ConnString("essai"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var one int
	if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
}

func TestStartStopRestart(t *testing.T) {
	t.Parallel()
	dir := clusterDir(t)
	c := startCluster(t, dir)
	query(t, c)
	// Socket only: the server listens on no TCP port.
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL.5432")); err != nil {
		t.Errorf("no socket in the cluster folder: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if lines := strings.Split(string(b), "\n"); len(lines) < 6 || lines[5] != "" {
		t.Errorf("postmaster.pid listen address line = %q, want empty (no TCP)", lines[5])
	}
	// A second process on the same folder is refused while the first runs.
	if _, err := Start(t.Context(), Options{Dir: dir}); !errors.Is(err, ErrBusy) {
		t.Errorf("second Start on a busy folder: %v, want ErrBusy", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid still there after Stop: %v", err)
	}
	// Restart: data kept, database already there.
	c = startCluster(t, dir)
	defer c.Stop()
	query(t, c)
}

func TestRecoversAfterCrash(t *testing.T) {
	t.Parallel()
	dir := clusterDir(t)
	c := startCluster(t, dir)
	// A crash: the server dies without cleaning up, leaving postmaster.pid behind.
	pid := c.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.exited
	c.lock.Close()
	pidFile := filepath.Join(dir, "data", "postmaster.pid")
	if _, err := os.Stat(pidFile); err != nil {
		t.Fatalf("the crash left no postmaster.pid to recover from: %v", err)
	}
	// Make the stale file name a live process that is not a postgres server, the
	// case PostgreSQL itself refuses.
	b, _ := os.ReadFile(pidFile)
	_, rest, _ := strings.Cut(string(b), "\n")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"+rest), 0o600); err != nil {
		t.Fatal(err)
	}
	// Children of the killed postmaster may linger a moment.
	time.Sleep(200 * time.Millisecond)
	c = startCluster(t, dir)
	defer c.Stop()
	query(t, c)
}

func TestNoBinaries(t *testing.T) {
	t.Parallel()
	_, err := findBinaries(t.TempDir(), filepath.Join(t.TempDir(), "*", "bin"))
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	for _, want := range []string{"apt-get install postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
}

func TestFindBinariesPrefersTheNewestVersion(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, v := range []string{"9", "15", "13"} {
		bin := filepath.Join(root, v, "bin")
		os.MkdirAll(bin, 0o755)
		for _, p := range []string{"postgres", "initdb"} {
			os.WriteFile(filepath.Join(bin, p), []byte("#!/bin/sh\n"), 0o755)
		}
	}
	got, err := findBinaries("", filepath.Join(root, "*", "bin"))
	if err != nil || got != filepath.Join(root, "15", "bin") {
		t.Errorf("findBinaries = %q, %v; want version 15", got, err)
	}
}

func TestSocketPathTooLong(t *testing.T) {
	t.Parallel()
	_, err := Start(t.Context(), Options{Dir: "/tmp/" + strings.Repeat("x", 100), BinDir: "/nonexistent"})
	if err == nil || !strings.Contains(err.Error(), "CADRE_DATA_DIR") {
		t.Errorf("err = %v, want a message about CADRE_DATA_DIR", err)
	}
}
