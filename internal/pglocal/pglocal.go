// Package pglocal runs a private PostgreSQL cluster from the machine's PostgreSQL
// binaries, for development (cadre serve without DATABASE_URL) and for tests.
//
// The cluster lives in one folder and listens only on a Unix socket inside it, so
// it needs no port and cannot clash with another server. PostgreSQL refuses to run
// as root, so when the caller is root the server programs run as the "postgres"
// user.
package pglocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNoBinaries means no PostgreSQL server programs were found on this machine.
var ErrNoBinaries = errors.New(`PostgreSQL is not installed: no "postgres" and "initdb" programs on PATH or under /usr/lib/postgresql/*/bin.
Install it (Debian/Ubuntu: apt-get install postgresql),
or set DATABASE_URL to an existing database, for example DATABASE_URL=postgres://user:password@127.0.0.1:5432/cadre`)

// ErrBusy means another process already manages the cluster in this folder.
var ErrBusy = errors.New("another Cadre process is already using this PostgreSQL folder")

// port only names the socket file (.s.PGSQL.5432): the cluster listens on no TCP port.
const port = 5432

// Options says where and how to run a cluster.
type Options struct {
	// Dir holds everything: data/, the socket, postgres.log and the lock file.
	Dir string
	// Database is created when missing; empty means only the "postgres" database.
	Database string
	// Durable keeps fsync and autovacuum on. Tests turn them off: their data is
	// thrown away.
	Durable bool
	// BinDir overrides the search for the PostgreSQL programs.
	BinDir string
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Cluster is a running local PostgreSQL server.
type Cluster struct {
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	lock   *os.File
	logger *slog.Logger
}

// FindBinaries returns the folder holding postgres and initdb: the one on PATH if
// any, otherwise the newest /usr/lib/postgresql/<version>/bin.
func FindBinaries() (string, error) {
	return findBinaries(os.Getenv("PATH"), "/usr/lib/postgresql/*/bin")
}

func findBinaries(path, pattern string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if isExecutable(filepath.Join(dir, "postgres")) && isExecutable(filepath.Join(dir, "initdb")) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob(pattern)
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, dir := range dirs {
		if isExecutable(filepath.Join(dir, "postgres")) && isExecutable(filepath.Join(dir, "initdb")) {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

// versionOf reads the major version in …/postgresql/<version>/bin.
func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Start initialises the cluster on first use, recovers from an earlier crash, starts
// the server, waits until it accepts connections and creates the database.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	bin := opts.BinDir
	if bin == "" {
		var err error
		if bin, err = FindBinaries(); err != nil {
			return nil, err
		}
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pglocal: %w", err)
	}
	// The kernel limits a socket path to 107 bytes.
	if n := len(dir) + len("/.s.PGSQL.5432"); n > 107 {
		return nil, fmt.Errorf("pglocal: the folder %s is too deep for a Unix socket (%d bytes, at most 107): choose a shorter CADRE_DATA_DIR", dir, n)
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	// The parents stay searchable (the postgres user must walk through them when
	// the caller is root); the cluster's own folder is private.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("pglocal: create %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("pglocal: create %s: %w", dir, err)
	}
	if cred != nil {
		if err := reachable(dir); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("pglocal: %w", err)
		}
	}

	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, lock: lock, logger: logger}
	if err := c.start(ctx, bin, cred, opts); err != nil {
		lock.Close()
		return nil, err
	}
	if opts.Database != "" {
		if err := c.createDatabase(ctx, opts.Database); err != nil {
			c.Stop()
			return nil, err
		}
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context, bin string, cred *syscall.Credential, opts Options) error {
	data := filepath.Join(c.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		c.logger.Info("creating a local PostgreSQL cluster", "dir", data)
		args := []string{"-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"}
		if !opts.Durable {
			args = append(args, "--no-sync")
		}
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(data)
			return fmt.Errorf("pglocal: initdb: %w\n%s", err, out)
		}
	} else if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	if err := recoverStale(data, c.logger); err != nil {
		return err
	}

	logPath := filepath.Join(c.dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	defer logFile.Close()
	if cred != nil {
		_ = logFile.Chown(int(cred.Uid), int(cred.Gid))
	}
	args := []string{"-D", data, "-k", c.dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=", "-c", "unix_socket_permissions=0700"}
	if !opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=300",
			// Throwaway databases live seconds: vacuuming them is wasted work.
			"-c", "autovacuum=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// Its own process group keeps a terminal's Ctrl-C away from the server, so
		// Cadre can finish its requests before it stops the cluster itself.
		Setpgid: true,
		// If Cadre dies without stopping the cluster, the server shuts down fast.
		Pdeathsig: syscall.SIGINT,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pglocal: start postgres: %w", err)
	}
	c.cmd = cmd
	c.exited = make(chan struct{})
	go func() { cmd.Wait(); close(c.exited) }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgconn.Connect(ctx, c.ConnString("postgres"))
		if err == nil {
			conn.Close(ctx)
			c.logger.Info("local PostgreSQL ready", "socket", c.dir)
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("pglocal: postgres exited during start-up:\n%s", tail(logPath))
		case <-ctx.Done():
			c.Stop()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.Stop()
			return fmt.Errorf("pglocal: postgres did not accept connections within 60 s:\n%s", tail(logPath))
		}
	}
}

// ConnString returns a connection string for database db over the cluster's socket.
func (c *Cluster) ConnString(db string) string {
	return c.ConnStringAs("postgres", db)
}

// ConnStringAs returns a connection string for database db as role user.
func (c *Cluster) ConnStringAs(user, db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", c.dir, port, user, db)
}

// Dir returns the cluster's folder.
func (c *Cluster) Dir() string { return c.dir }

// Stop shuts the server down (fast mode: open sessions are ended) and waits for it.
func (c *Cluster) Stop() error {
	defer c.lock.Close()
	if c.cmd == nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return errors.New("pglocal: postgres did not stop within 30 s and was killed")
	}
	c.logger.Info("local PostgreSQL stopped")
	return nil
}

func (c *Cluster) createDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile
		err = nil
	}
	if err != nil {
		return fmt.Errorf("pglocal: create database %s: %w", name, err)
	}
	return nil
}

// serverCredential returns the identity the server programs must run under: nil
// (the caller's own) unless the caller is root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New(`pglocal: PostgreSQL refuses to run as root and there is no "postgres" user to run it as: install the postgresql package (it creates that user) or set DATABASE_URL`)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// reachable checks that the postgres user can walk down to dir: every parent must
// be searchable by others, since that user owns none of them.
func reachable(dir string) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pglocal: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("pglocal: the postgres user cannot reach %s because %s is not searchable by others (mode %v): choose a CADRE_DATA_DIR elsewhere, for example under /var/lib or /tmp", dir, p, fi.Mode().Perm())
		}
		if p == "/" || p == "." {
			return nil
		}
	}
}

// lockDir takes an exclusive lock on the folder for as long as the returned file is
// open; the kernel drops it when the process dies, so a crash never leaves it held.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "cadre.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pglocal: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w (%s): stop it first, or give this one another CADRE_DATA_DIR or a DATABASE_URL", ErrBusy, dir)
	}
	return f, nil
}

// recoverStale deals with what a crash leaves behind. We hold the folder's lock, so
// no live Cadre owns a server here: a postmaster still running on this data folder
// is an orphan and is stopped, and a postmaster.pid naming another process is removed
// (PostgreSQL itself would refuse to start if that PID was reused).
func recoverStale(data string, logger *slog.Logger) error {
	pidFile := filepath.Join(data, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 || !isPostmasterOf(pid, data) {
		logger.Info("removing a stale postmaster.pid left by a crash", "file", pidFile)
		if err := os.Remove(pidFile); err != nil {
			return fmt.Errorf("pglocal: %w", err)
		}
		return nil
	}
	logger.Info("stopping an orphaned PostgreSQL server left by a crash", "pid", pid)
	_ = syscall.Kill(pid, syscall.SIGINT)
	for range 600 {
		if syscall.Kill(pid, 0) != nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("pglocal: an orphaned PostgreSQL server (pid %d) on %s did not stop", pid, data)
}

// isPostmasterOf reports whether process pid is a postgres server for data.
func isPostmasterOf(pid int, data string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0})
	return len(args) > 0 && filepath.Base(string(args[0])) == "postgres" &&
		slices.ContainsFunc(args, func(a []byte) bool { return string(a) == data })
}

// tail returns the end of a log file, for error messages.
func tail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 2048 {
		f.Seek(-2048, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
