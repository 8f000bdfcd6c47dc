package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

// TestCrashes runs the real server (this binary, as cadre serve) on the demo
// data, SIGKILLs it in the middle of an upload and then of a burst of rating
// saves, starts it again on the same data, and finds no half-written record
// (a piece without its file, content without a version, a rating without its
// history), no orphan content, and every stored file matching its SHA-256.
func TestCrashes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := demotest.NewURL(t)
	admin, err := postgres.Open(ctx, pgtest.AdminURL(url))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	env := []string{"CADRE_TEST_SERVE=1", "DATABASE_URL=" + url, "MIGRATE_DATABASE_URL=" + pgtest.OwnerURL(url),
		"CADRE_ADDR=127.0.0.1:0", "CADRE_LOG_LEVEL=error", "CADRE_DATA_DIR=" + t.TempDir()}
	var fixture struct {
		rennes, autoeval int64
	}
	if err := admin.QueryRow(ctx, `SELECT s.id, a.id FROM structures s JOIN autoevaluations a ON a.structure_id = s.id
		JOIN campagnes c ON c.id = a.campagne_id WHERE s.code = 'ML-RENNES' AND a.etat = 'en_cours' ORDER BY c.cloture DESC LIMIT 1`).
		Scan(&fixture.rennes, &fixture.autoeval); err != nil {
		t.Fatal(err)
	}

	// An upload, killed once the server's transaction has written chunks.
	srv := startServer(t, env)
	client := srv.login(t, "directeur@ml-rennes.demo")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"nature": "fichier", "titre": "Coupé par un crash", "type": "autre"} {
		mw.WriteField(k, v)
	}
	part, _ := mw.CreateFormFile("file", "crash.pdf")
	io.WriteString(part, "%PDF-1.4\n"+strings.Repeat("x", 3<<20))
	mw.Close()
	u, _ := neturl.Parse(srv.url)
	cookie := client.Jar.Cookies(u)[0]
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /reseau/structures/%d/preuves/nouvelle HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nCookie: %s=%s\r\n\r\n",
		fixture.rennes, u.Host, mw.FormDataContentType(), body.Len(), cookie.Name, cookie.Value)
	conn.Write(body.Bytes()[:2<<20]) // the rest never comes
	if !waitFor(ctx, admin, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE datname = current_database() AND usename = $1 AND backend_xid IS NOT NULL)`, pgtest.AppRole) {
		t.Log("no write transaction seen before the kill: the upload was killed before its first chunk")
	} else {
		t.Log("killed during the upload's write transaction")
	}
	srv.kill(t)

	// A burst of saves on eight items at once, killed while they go on.
	srv = startServer(t, env)
	rows, _ := admin.Query(ctx, `SELECT i.code FROM autoevaluations a JOIN campagnes c ON c.id = a.campagne_id
		JOIN referentiel_items i ON i.referentiel_id = c.referentiel_id AND i.kind = 'critere' AND NOT i.imperatif
		WHERE a.id = $1 ORDER BY i.ordre LIMIT 8`, fixture.autoeval)
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(codes) < 8 {
		t.Fatalf("items: %v %v", codes, err)
	}
	var saved atomic.Int64
	var wg sync.WaitGroup
	for i, code := range codes {
		wg.Go(func() {
			for n := 0; ; n++ {
				var version int
				admin.QueryRow(ctx, `SELECT coalesce((SELECT c.version FROM cotations c JOIN referentiel_items i ON i.id = c.item_id
					WHERE c.autoevaluation_id = $1 AND i.code = $2), 0)`, fixture.autoeval, code).Scan(&version)
				form := neturl.Values{"version-" + code: {fmt.Sprint(version)}, "valeur-" + code: {fmt.Sprint(3 + (n+i)%2)},
					"commentaire-" + code: {fmt.Sprintf("Sauvegarde %d", n)}}
				resp, err := client.PostForm(srv.url+fmt.Sprintf("/autoevaluations/%d/items/%s", fixture.autoeval, code), form)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusOK {
					saved.Add(1)
				}
			}
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for saved.Load() < 16 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	srv.kill(t)
	wg.Wait()
	t.Logf("killed after %d saves of the burst", saved.Load())
	if saved.Load() == 0 {
		t.Error("no save went through before the kill: the burst tested nothing")
	}

	// Back on the same data: nothing half-written, and the server works.
	srv = startServer(t, env)
	problems, err := pgtest.Integrity(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	var pieces int
	admin.QueryRow(ctx, "SELECT count(*) FROM preuves WHERE titre = 'Coupé par un crash'").Scan(&pieces)
	if pieces != 0 {
		t.Errorf("the killed upload left %d pieces", pieces)
	}
	// The journal's chain verifies, every entry.
	if n, err := journal.Verify(func(fn func(journal.Entry) error) error {
		return postgres.NewStore(admin).EachJournalEntry(ctx, journal.Filter{}, fn)
	}); err != nil || n == 0 {
		t.Errorf("the journal: %d entries verified, then %v", n, err)
	}
	resp, err := client.Get(srv.url + fmt.Sprintf("/autoevaluations/%d", fixture.autoeval))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the restart, the sheet answers %d", resp.StatusCode)
	}
	srv.kill(t)
}

// process is a cadre serve process.
type process struct {
	cmd *exec.Cmd
	url string
}

// startServer starts this test binary as cadre serve with env, and waits for
// its ready line.
func startServer(t *testing.T, env []string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "Cadre is ready: "); ok {
				ready <- strings.Fields(rest)[0]
			}
		}
		close(ready)
	}()
	select {
	case url, ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatalf("the server exited before it was ready:\n%s", stderr.String())
		}
		return &process{cmd: cmd, url: url}
	case <-time.After(60 * time.Second):
		t.Fatalf("the server was not ready within 60 s:\n%s", stderr.String())
	}
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *process) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
}

// login signs a new client in; it keeps its cookie and does not follow redirects.
func (s *process) login(t *testing.T, email string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(s.url+"/connexion", neturl.Values{"email": {email}, "password": {demo.Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s: %d", email, resp.StatusCode)
	}
	return c
}

// waitFor polls query (one boolean) until it is true, for at most 10 s.
func waitFor(ctx context.Context, pool *pgxpool.Pool, query string, args ...any) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		if err := pool.QueryRow(ctx, query, args...).Scan(&ok); err == nil && ok {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
