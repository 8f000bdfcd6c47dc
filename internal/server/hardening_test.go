package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/apptest"
)

// rowCounts counts the rows of every table but the sessions (signing in writes
// one): a refused request must leave all of them as they were.
func rowCounts(t *testing.T, app *apptest.App) map[string]int {
	t.Helper()
	rows, err := app.Pool.Query(t.Context(), `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('sessions', 'schema_migrations')`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, table := range tables {
		var n int
		if err := app.Pool.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}

func sameCounts(t *testing.T, what string, before, after map[string]int) {
	t.Helper()
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %s has %d rows, had %d", what, table, after[table], n)
		}
	}
}

// hostileBody is a body a client may send to any route.
type hostileBody struct {
	name        string
	contentType string
	body        func() []byte
}

// multipartBody writes fields, then a file part of size bytes.
func multipartBody(fields map[string]string, filename string, content []byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if filename != "" {
		part, _ := mw.CreateFormFile("file", filename)
		part.Write(content)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func hostileBodies() []hostileBody {
	big := bytes.Repeat([]byte("%PDF-1.4 "), (3<<20)/9) // past every form limit
	nulType, nulBody := multipartBody(map[string]string{"email": "a\x00b@example.org", "titre": "x\x00y", "nature": "fichier", "type": "autre"}, "a.pdf", big[:4096])
	bigType, bigBody := multipartBody(map[string]string{"email": "a@example.org", "titre": "\xff\xfe", "nature": "fichier", "type": "autre"}, "gros.pdf", big)
	pastLimit := append([]byte("titre="), bytes.Repeat([]byte("a"), 3<<20)...)
	return []hostileBody{
		{"multipart with a NUL", nulType, func() []byte { return nulBody }},
		{"multipart with a 3 MB file and bad UTF-8", bigType, func() []byte { return bigBody }},
		{"url-encoded with a NUL", "application/x-www-form-urlencoded", func() []byte { return []byte("email=a%00b&titre=x%00&nom=%00") }},
		{"url-encoded with bad UTF-8", "application/x-www-form-urlencoded", func() []byte { return []byte("email=%ff%fe&titre=%c3&nom=%ff") }},
		{"url-encoded past 1 MB", "application/x-www-form-urlencoded", func() []byte { return pastLimit }},
		{"text/plain", "text/plain", func() []byte { return []byte("email=a@example.org") }},
		{"JSON", "application/json", func() []byte { return []byte(`{"email":"a@example.org"}`) }},
	}
}

// TestHostileBodiesOnEveryRoute sends every kind of hostile body to every route
// of the router, anonymously and as the people who may change the most: nothing
// answers 500 or succeeds, no temporary file is written, no row changes.
func TestHostileBodiesOnEveryRoute(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where mime/multipart would spool file parts
	app := apptest.New(t)
	f := matrixIDs(t, app)
	var routes []string
	chi.Walk(app.Server.Config.Handler.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes = append(routes, method+" "+route)
		return nil
	})
	clients := map[string]*http.Client{"anonymous": apptest.NewClient(t)}
	for _, who := range []string{pole, dirRen} {
		clients[who] = apptest.NewClient(t)
		app.LoginClient(t, clients[who], who)
	}
	before := rowCounts(t, app)
	bodies := hostileBodies() // built once: requests only read them
	// The test cannot run beside the others (t.Setenv), so its requests run
	// side by side instead, a few at a time: every one is refused and changes
	// nothing, whatever the order.
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, route := range routes {
		r, ok := matrix[route]
		if !ok {
			t.Fatalf("route %s has no row in the authorization matrix", route)
		}
		method := strings.Fields(route)[0]
		if method == http.MethodGet || method == http.MethodHead {
			continue // no handler reads a GET body; the matrix asks them
		}
		for who, client := range clients {
			for _, hb := range bodies {
				req, err := http.NewRequestWithContext(t.Context(), method, app.URL+r.path(f, true), bytes.NewReader(hb.body()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", hb.contentType)
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					resp, err := client.Do(req)
					if err != nil {
						t.Errorf("%s as %s, %s: %v", route, who, hb.name, err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					switch {
					case resp.StatusCode >= 500:
						t.Errorf("%s as %s, %s = %d", route, who, hb.name, resp.StatusCode)
					case resp.StatusCode < 400 && !(who == "anonymous" && resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/connexion")):
						t.Errorf("%s as %s, %s = %d: accepted", route, who, hb.name, resp.StatusCode)
					}
				})
			}
		}
	}
	wg.Wait()
	sameCounts(t, "hostile bodies", before, rowCounts(t, app))
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("hostile bodies left %d temporary files, e.g. %s", len(left), left[0].Name())
	}
}

// TestMultipartRefusedOnFormsWithoutFile: the sign-in form, sent as multipart,
// is refused with the French 415 page, and no login failure is counted.
func TestMultipartRefusedOnFormsWithoutFile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	app := apptest.New(t)
	// 40 MB: past the 32 MB that the standard parser keeps in memory before it
	// spools file parts to disk.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("email", "directeur@ml-rennes.demo")
		part, _ := mw.CreateFormFile("file", "gros.pdf")
		_, err := io.CopyN(part, zeros{}, 40<<20)
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	big, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+"/connexion", pr)
	big.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, err := app.Client.Do(big); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("40 MB multipart sign-in = %d, want 415", resp.StatusCode)
		}
	} // else the server hung up on the rest of the body: as good
	pr.Close()
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("a multipart sign-in left %d temporary files", len(left))
	}

	ct, body := multipartBody(map[string]string{"email": "directeur@ml-rennes.demo", "password": "faux"}, "x.pdf", []byte("%PDF-1.4"))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+"/connexion", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	resp, page := app.Do(t, req)
	if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(html.UnescapeString(page), "Format d'envoi non accepté") {
		t.Errorf("multipart sign-in = %d:\n%s", resp.StatusCode, page)
	}
}

// TestConcurrentFirstSave: two people save a never-rated item at the same
// moment, a hundred times: each time one is saved and the other told of a
// conflict, and the history holds one version 1.
func TestConcurrentFirstSave(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	id := app.Fixture.Autoevaluations["ML-RENNES/2026"]
	var code string
	if err := app.Pool.QueryRow(t.Context(), `SELECT i.code FROM referentiel_items i
		JOIN campagnes c ON c.referentiel_id = i.referentiel_id JOIN autoevaluations a ON a.campagne_id = c.id
		WHERE a.id = $1 AND i.kind = 'critere' AND NOT i.imperatif AND NOT EXISTS (SELECT 1 FROM cotations x WHERE x.autoevaluation_id = a.id AND x.item_id = i.id)
		ORDER BY i.ordre LIMIT 1`, id).Scan(&code); err != nil {
		t.Fatal(err)
	}
	people := []*http.Client{apptest.NewClient(t), apptest.NewClient(t)}
	app.LoginClient(t, people[0], "directeur@ml-rennes.demo")
	app.LoginClient(t, people[1], "contributeur@ml-rennes.demo")
	target := fmt.Sprintf("%s/autoevaluations/%d/items/%s", app.URL, id, code)
	for round := range 100 {
		if _, err := app.Pool.Exec(t.Context(), `WITH i AS (SELECT id FROM referentiel_items WHERE code = $2),
			h AS (DELETE FROM cotation_historique WHERE autoevaluation_id = $1 AND item_id IN (SELECT id FROM i))
			DELETE FROM cotations WHERE autoevaluation_id = $1 AND item_id IN (SELECT id FROM i)`, id, code); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		statuses := make([]string, 2)
		for i, c := range people {
			wg.Add(1)
			go func() {
				defer wg.Done()
				form := url.Values{"valeur-" + code: {fmt.Sprint(i + 2)}, "commentaire-" + code: {""}, "justification-" + code: {""}, "version-" + code: {"0"}}
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, target, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Accept", "application/json")
				<-start
				resp, err := c.Do(req)
				if err != nil {
					statuses[i] = err.Error()
					return
				}
				defer resp.Body.Close()
				var answer struct{ Status string }
				json.NewDecoder(resp.Body).Decode(&answer)
				statuses[i] = fmt.Sprintf("%d %s", resp.StatusCode, answer.Status)
			}()
		}
		close(start)
		wg.Wait()
		saved, conflicts := 0, 0
		for _, s := range statuses {
			switch s {
			case "200 saved":
				saved++
			case "409 conflict":
				conflicts++
			}
		}
		var versions []int
		rows, _ := app.Pool.Query(t.Context(), `SELECT h.version FROM cotation_historique h JOIN referentiel_items i ON i.id = h.item_id
			WHERE h.autoevaluation_id = $1 AND i.code = $2`, id, code)
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}
		if saved != 1 || conflicts != 1 || len(versions) != 1 || versions[0] != 1 {
			t.Fatalf("round %d: answers %v, history versions %v; want one saved, one conflict, one version 1", round, statuses, versions)
		}
	}
}

// TestHistoryRefusesTwoRowsOfOneVersion: the database is the last guard against
// a lost update.
func TestHistoryRefusesTwoRowsOfOneVersion(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	_, err := app.Pool.Exec(t.Context(), `INSERT INTO cotation_historique (autoevaluation_id, item_id, version, old_non_concerne, new_non_concerne,
			old_justification, new_justification, old_commentaire, new_commentaire)
		SELECT autoevaluation_id, item_id, version, false, false, '', '', '', '' FROM cotation_historique LIMIT 1`)
	if err == nil || !strings.Contains(err.Error(), "23505") {
		t.Errorf("a second history row of one version = %v, want a unique violation", err)
	}
}

// TestOutboxMasksSingleUseLinks: the platform admin sees that an invitation and a
// reset went out, never their links.
func TestOutboxMasksSingleUseLinks(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, "pole@unml.demo")
	if resp, body := app.PostForm(t, "/utilisateurs/inviter", url.Values{"email": {"nouvelle@unml.demo"}, "role": {"auditeur"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite = %d:\n%s", resp.StatusCode, body)
	}
	anon := apptest.NewClient(t)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+"/mot-de-passe-oublie", strings.NewReader(url.Values{"email": {"pole@unml.demo"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := anon.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reset request = %v, %v", resp, err)
	}
	admin := apptest.NewClient(t)
	app.LoginClient(t, admin, "admin@cadre.demo")
	app.Client = admin
	// The demo's own notifications (submissions, avis) went to the Pôle before: only these two carry single-use links.
	rows, _ := app.Pool.Query(t.Context(), `SELECT id, body FROM outbox WHERE recipient IN ('nouvelle@unml.demo', 'pole@unml.demo')
		AND (body LIKE '%/invitation/%' OR body LIKE '%/mot-de-passe/%')`)
	type msg struct {
		ID   int64
		Body string
	}
	msgs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[msg])
	if err != nil || len(msgs) != 2 {
		t.Fatalf("outbox = %v, %v; want the invitation and the reset", msgs, err)
	}
	for _, m := range msgs {
		i := strings.Index(m.Body, "/invitation/")
		if i < 0 {
			i = strings.Index(m.Body, "/mot-de-passe/")
		}
		if i < 0 {
			t.Fatalf("no link in %q", m.Body)
		}
		token := strings.Fields(m.Body[i:])[0]
		token = token[strings.LastIndex(token, "/")+1:]
		resp, page := app.Get(t, fmt.Sprintf("/admin/outbox/%d", m.ID))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("outbox message = %d", resp.StatusCode)
		}
		if strings.Contains(page, token) {
			t.Errorf("the outbox page shows a usable link:\n%s", page)
		}
		if !strings.Contains(html.UnescapeString(page), "[lien personnel à usage unique, masqué]") {
			t.Errorf("the outbox page does not say a link was masked:\n%s", page)
		}
		_, list := app.Get(t, "/admin/outbox")
		if strings.Contains(list, token) {
			t.Errorf("the outbox list shows a usable link")
		}
	}
}

// docx builds a minimal Office Open XML document with the given parts.
func docx(t *testing.T, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, `<?xml version="1.0"?><x/>`)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRefusedUploadsLeaveNothing: whatever makes the server refuse an upload, no
// row of any table changes; an accepted file is stored under the extension of
// its real type.
func TestRefusedUploadsLeaveNothing(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, "directeur@ml-rennes.demo")
	rennes := app.Fixture.Structures["ML-RENNES"]
	newPiece := fmt.Sprintf("/reseau/structures/%d/preuves/nouvelle", rennes)
	version := fmt.Sprintf("/preuves/%d/versions", app.Fixture.Preuves["ML-RENNES"])
	pdf := []byte("%PDF-1.4\n" + strings.Repeat("x", 300<<10))
	ok := map[string]string{"nature": "fichier", "titre": "Procédure d'accueil", "type": "procedure"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range ok {
			m[a] = b
		}
		m[k] = v
		return m
	}
	twoFiles := func() (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range ok {
			mw.WriteField(k, v)
		}
		for _, name := range []string{"a.pdf", "b.pdf"} {
			part, _ := mw.CreateFormFile("file", name)
			part.Write(pdf)
		}
		mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}
	fieldAfterFile := func() (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range ok {
			mw.WriteField(k, v)
		}
		part, _ := mw.CreateFormFile("file", "a.pdf")
		part.Write(pdf)
		mw.WriteField("sites", "1")
		mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}
	for _, tc := range []struct {
		name, path string
		body       func() (string, []byte)
		status     int
	}{
		{"empty title", newPiece, func() (string, []byte) { return multipartBody(with("titre", " "), "a.pdf", pdf) }, 400},
		{"bad type", newPiece, func() (string, []byte) { return multipartBody(with("type", "roman"), "a.pdf", pdf) }, 400},
		{"bad date", newPiece, func() (string, []byte) { return multipartBody(with("date_document", "32/13/2026"), "a.pdf", pdf) }, 400},
		{"a link sent with a file", newPiece, func() (string, []byte) {
			return multipartBody(map[string]string{"nature": "lien", "titre": "Site", "type": "autre", "url": "https://example.org"}, "a.pdf", pdf)
		}, 400},
		{"a second file part", newPiece, twoFiles, 400},
		{"a field after the file", newPiece, fieldAfterFile, 400},
		{"HTML content", newPiece, func() (string, []byte) {
			return multipartBody(ok, "page.pdf", []byte("<html><script>alert(1)</script></html>"))
		}, 400},
		{"an archive posing as Office", newPiece, func() (string, []byte) {
			return multipartBody(ok, "x.docx", docx(t, "[Content_Types].xml", "evil.exe"))
		}, 400},
		{"a docx with macros", newPiece, func() (string, []byte) {
			return multipartBody(ok, "x.docx", docx(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/vbaProject.bin"))
		}, 400},
		{"another ML's site", newPiece, func() (string, []byte) {
			return multipartBody(with("sites", fmt.Sprint(app.Fixture.Sites["LYON-ANT-1"])), "a.pdf", pdf)
		}, 400},
		{"a version without file", version, func() (string, []byte) { return multipartBody(nil, "", nil) }, 400},
		{"a version of HTML", version, func() (string, []byte) { return multipartBody(nil, "v2.pdf", []byte("<svg onload=alert(1)>")) }, 400},
		{"two versions at once", version, func() (string, []byte) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			for range 2 {
				part, _ := mw.CreateFormFile("file", "v.pdf")
				part.Write(pdf)
			}
			mw.Close()
			return mw.FormDataContentType(), buf.Bytes()
		}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rowCounts(t, app)
			ct, body := tc.body()
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+tc.path, bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			resp, page := app.Do(t, req)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d:\n%s", resp.StatusCode, tc.status, page)
			}
			sameCounts(t, tc.name, before, rowCounts(t, app))
		})
	}

	// Accepted: the stored name ends with the extension of the real type.
	for _, tc := range []struct{ sent, stored string }{
		{"rapport.html", "rapport.html.pdf"},
		{"lancer.bat", "lancer.bat.pdf"},
		{"compte-rendu.PDF", "compte-rendu.PDF"},
	} {
		ct, body := multipartBody(with("titre", tc.sent), tc.sent, append(pdf[:20:20], tc.sent...))
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+newPiece, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if resp, page := app.Do(t, req); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload %s = %d:\n%s", tc.sent, resp.StatusCode, page)
		}
		var nom string
		if err := app.Pool.QueryRow(t.Context(), `SELECT v.nom FROM preuve_versions v JOIN preuves p ON p.id = v.preuve_id WHERE p.titre = $1`, tc.sent).Scan(&nom); err != nil {
			t.Fatal(err)
		}
		if nom != tc.stored {
			t.Errorf("%s stored as %q, want %q", tc.sent, nom, tc.stored)
		}
	}
	ct, body := multipartBody(with("titre", "Tableau"), "tableau.pdf", docx(t, "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+newPiece, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if resp, page := app.Do(t, req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload of a real xlsx = %d:\n%s", resp.StatusCode, page)
	}
	var nom, mime string
	app.Pool.QueryRow(t.Context(), `SELECT v.nom, c.mime FROM preuve_versions v JOIN preuves p ON p.id = v.preuve_id JOIN preuve_contenus c ON c.id = v.contenu_id
		WHERE p.titre = 'Tableau'`).Scan(&nom, &mime)
	if nom != "tableau.pdf.xlsx" || !strings.Contains(mime, "spreadsheetml") {
		t.Errorf("a real xlsx named .pdf stored as %q (%s)", nom, mime)
	}
}

// TestIntegersPast32Bits: a version or rating past the int columns' range is a
// bad request, never an internal error.
func TestIntegersPast32Bits(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, "directeur@ml-rennes.demo")
	id := app.Fixture.Autoevaluations["ML-RENNES/2026"]
	for _, form := range []url.Values{
		{"version-F5.R1.C1": {"99999999999"}, "valeur-F5.R1.C1": {"3"}},
		{"version-F5.R1.C1": {"0"}, "valeur-F5.R1.C1": {"99999999999"}},
	} {
		if resp, _ := app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/items/F5.R1.C1", id), form); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("save %v = %d, want 400", form, resp.StatusCode)
		}
		if resp, _ := app.PostForm(t, fmt.Sprintf("/autoevaluations/%d/sections/F5", id), form); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("page save %v = %d, want 400", form, resp.StatusCode)
		}
	}
	for _, q := range []string{"99999999999", "-1", "x"} {
		if resp, _ := app.Get(t, fmt.Sprintf("/preuves/%d/telecharger?version=%s", app.Fixture.Preuves["ML-RENNES"], q)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("download version %s = %d, want 404", q, resp.StatusCode)
		}
	}
	if resp, _ := app.Get(t, "/reseau/structures/99999999999999999999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an id past 64 bits = %d, want 404", resp.StatusCode)
	}
}

// TestRedirectTargetsStayOnTheSite: a way back with a control character or a
// backslash, which browsers drop or read as "/", goes home instead.
func TestRedirectTargetsStayOnTheSite(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for _, suite := range []string{"/\t/ailleurs.example", "/\r\n/ailleurs.example", "/\\ailleurs.example", "//ailleurs.example", "/ok/\n/x", "https://ailleurs.example"} {
		anon := apptest.NewClient(t)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+"/connexion?suite="+url.QueryEscape(suite),
			strings.NewReader(url.Values{"email": {"directeur@ml-rennes.demo"}, "password": {"cadre-demo-2026"}, "suite": {suite}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := anon.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("sign-in with suite %q = %d → %q, want 303 → /", suite, resp.StatusCode, loc)
		}
	}
}

// TestResetFormIsThrottled: the fourth reset request for one address within 15
// minutes is refused with a French 429, and no fourth email goes.
func TestResetFormIsThrottled(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	anon := apptest.NewClient(t)
	app.Client = anon
	for i := range 4 {
		resp, page := app.PostForm(t, "/mot-de-passe-oublie", url.Values{"email": {"directeur@ml-rennes.demo"}})
		want := http.StatusOK
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Errorf("request %d = %d, want %d:\n%s", i+1, resp.StatusCode, want, page)
		}
	}
	n := 0
	for _, body := range app.Outbox(t, "directeur@ml-rennes.demo") {
		// The demo also told this director of the commission's decision.
		if strings.Contains(body, "/mot-de-passe/") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d reset emails, want 3", n)
	}
}
