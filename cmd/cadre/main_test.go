package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

func TestMain(m *testing.M) {
	// The crash test runs this binary as the real server: main, from its
	// arguments, killed with SIGKILL.
	if os.Getenv("CADRE_TEST_SERVE") == "1" {
		main()
		return
	}
	passwordParams = auth.TestParams
	pgtest.Main(m)
}

// envOf is an environment of these variables. A test database's DATABASE_URL
// (the application role) comes with its MIGRATE_DATABASE_URL (the owner role),
// as a production configuration has them.
func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	if u := m["DATABASE_URL"]; u != "" && m["MIGRATE_DATABASE_URL"] == "" {
		m["MIGRATE_DATABASE_URL"] = pgtest.OwnerURL(u)
	}
	return func(k string) string { return m[k] }
}

func TestBadConfigurationExitsWithCode2(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, value string }{
		{"CADRE_ENV", "staging"},
		{"CADRE_ADDR", "8080"},
		{"CADRE_ADDR", "127.0.0.1:99999"},
		{"CADRE_BASE_URL", "cadre.example.org"},
		{"CADRE_SECURE_COOKIES", "peut-être"},
		{"CADRE_LOG_LEVEL", "verbose"},
	}
	for _, tc := range cases {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			err := run(t.Context(), []string{"serve"}, envOf(tc.name, tc.value), io.Discard, io.Discard)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 2 {
				t.Fatalf("err = %v, want exit code 2", err)
			}
			if !strings.Contains(err.Error(), tc.name) {
				t.Errorf("message %q does not name %s", err, tc.name)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"frobnicate"}, {"migrate"}, {"migrate", "sideways"}, {"migrate", "force", "x"}, {"serve", "extra"}} {
		err := run(t.Context(), args, envOf(), io.Discard, io.Discard)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "Usage:") {
			t.Errorf("run %v = %v, want a usage error with exit code 2", args, err)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"version"}, envOf(), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "cadre ") {
		t.Errorf("version printed %q", out.String())
	}
}

func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	env := envOf("DATABASE_URL", pgtest.NewURL(t))
	migrate := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(t.Context(), append([]string{"migrate"}, args...), env, &out, io.Discard); err != nil {
			t.Fatalf("migrate %v: %v", args, err)
		}
		return out.String()
	}
	// pgtest databases come migrated.
	latest := migrate("version")
	if !strings.HasSuffix(latest, "(clean)\n") || strings.HasPrefix(latest, "schema version 0 ") {
		t.Fatalf("version = %q", latest)
	}
	if got := migrate("down"); got == latest {
		t.Errorf("down did not change the version (%q)", got)
	}
	if got := migrate("up"); got != latest {
		t.Errorf("up gave %q, want %q", got, latest)
	}
}

// TestGracefulShutdown starts the real program, begins a request, asks the program
// to stop while the request is still being received, and checks that the request
// is answered in full and the program then exits cleanly.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout, stdoutW := io.Pipe()
	env := envOf("DATABASE_URL", pgtest.NewURL(t), "CADRE_ADDR", "127.0.0.1:0", "CADRE_LOG_LEVEL", "warn")
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, env, stdoutW, io.Discard)
		stdoutW.Close()
	}()

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no ready line: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, stdout)
	addr := strings.TrimPrefix(strings.Fields(line)[3], "http://")

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "nom=Rennes&site=si%C3%A8ge"
	head := "POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, head+body[:5]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the server is now reading the request
	cancel()

	// The listener closes: new connections are refused while the request is pending.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections after the stop signal")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the program exited (%v) before the request in flight was answered", err)
	default:
	}

	if _, err := io.WriteString(conn, body[5:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(page), "</html>") {
		t.Errorf("in-flight request: %d, %d bytes; want the complete 405 page", resp.StatusCode, len(page))
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after a graceful shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the program did not exit after the request in flight was answered")
	}
}

func TestUserInvite(t *testing.T) {
	t.Parallel()
	env := envOf("DATABASE_URL", pgtest.NewURL(t), "CADRE_BASE_URL", "https://cadre.example.org")
	var out bytes.Buffer
	if err := run(t.Context(), []string{"user", "invite", "Premiere@UNML.example", "pole"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Invitation queued for premiere@unml.example") || !strings.Contains(out.String(), "https://cadre.example.org/invitation/") {
		t.Errorf("user invite printed:\n%s", out.String())
	}
	// The same role again is refused; a scoped role needs its scope; an unknown code is named.
	for _, args := range [][]string{
		{"user", "invite", "premiere@unml.example", "pole"},
		{"user", "invite", "x@example.org", "directeur", "ML-INCONNUE"},
	} {
		if err := run(t.Context(), args, env, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
	for _, args := range [][]string{{"user", "invite", "x@example.org", "directeur"}, {"user", "invite", "x@example.org", "roi"}, {"user", "invite", "x@example.org", "pole", "BRE"}} {
		var ee *exitError
		if err := run(t.Context(), args, env, io.Discard, io.Discard); !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	env := envOf("DATABASE_URL", pgtest.NewURL(t))
	var out bytes.Buffer
	if err := run(t.Context(), []string{"seed", "demo"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"seed", "demo", "--if-empty"}, env, io.Discard, io.Discard); err != nil {
		t.Errorf("--if-empty on a seeded database: %v", err)
	}
	if err := run(t.Context(), []string{"seed", "demo"}, env, io.Discard, io.Discard); err == nil {
		t.Error("seeding twice succeeded")
	}
	prod := envOf("DATABASE_URL", pgtest.NewURL(t), "CADRE_ENV", "production")
	var ee *exitError
	if err := run(t.Context(), []string{"seed", "demo"}, prod, io.Discard, io.Discard); !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("seed in production: %v, want refused with code 2", err)
	}
}

// TestProductionRefusesDemoAccounts: a production server does not start on a
// database whose demo accounts, with their public password, are enabled; once
// `cadre user disable` has disabled them, it does.
func TestProductionRefusesDemoAccounts(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	if err := run(t.Context(), []string{"seed", "demo"}, envOf("DATABASE_URL", dbURL), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	prod := envOf("DATABASE_URL", dbURL, "CADRE_ENV", "production", "CADRE_ADDR", "127.0.0.1:0", "CADRE_LOG_LEVEL", "error")
	var ee *exitError
	err := run(t.Context(), []string{"serve"}, prod, io.Discard, io.Discard)
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(err.Error(), "pole@unml.demo") || !strings.Contains(err.Error(), "cadre user disable") {
		t.Fatalf("production serve on demo data: %v, want a refusal naming the accounts and the fix", err)
	}

	disable := []string{"user", "disable"}
	for _, a := range demo.Accounts {
		disable = append(disable, a.Email)
	}
	var out bytes.Buffer
	if err := run(t.Context(), disable, envOf("DATABASE_URL", dbURL), &out, io.Discard); err != nil || !strings.Contains(out.String(), "Disabled pole@unml.demo.") {
		t.Fatalf("user disable: %v\n%s", err, out.String())
	}
	if err := run(t.Context(), []string{"user", "disable", "personne@example.org"}, envOf("DATABASE_URL", dbURL), io.Discard, io.Discard); err == nil {
		t.Error("disabling an unknown address succeeded")
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, prod, stdoutW, io.Discard); stdoutW.Close() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "Cadre is ready") {
		t.Fatalf("production serve after disabling: %q, %v (run: %v)", line, err, <-done)
	}
	go io.Copy(io.Discard, stdout)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
