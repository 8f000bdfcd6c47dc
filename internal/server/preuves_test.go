package server_test

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/unml/cadre/internal/apptest"
)

func countContents(t *testing.T, app *apptest.App) (contents, chunks int) {
	t.Helper()
	if err := app.Pool.QueryRow(t.Context(), "SELECT (SELECT count(*) FROM preuve_contenus), (SELECT count(*) FROM preuve_morceaux)").Scan(&contents, &chunks); err != nil {
		t.Fatal(err)
	}
	return contents, chunks
}

// uploadForm writes a piece's form, the file last, streaming size bytes of a PDF.
func uploadForm(w *multipart.Writer, size int64) error {
	for k, v := range map[string]string{"nature": "fichier", "titre": "Gros fichier", "type": "autre"} {
		if err := w.WriteField(k, v); err != nil {
			return err
		}
	}
	part, err := w.CreateFormFile("file", "gros.pdf")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(part, "%PDF-1.4\n"); err != nil {
		return err
	}
	if _, err := io.CopyN(part, zeros{}, size); err != nil {
		return err
	}
	return w.Close()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestUploadTooLargeIsRefusedWithTheLimit(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, "directeur@ml-rennes.demo")
	before, beforeChunks := countContents(t, app)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() { pw.CloseWithError(uploadForm(mw, 21<<20)) }()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+fmt.Sprintf("/reseau/structures/%d/preuves/nouvelle", app.Fixture.Structures["ML-RENNES"]), pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, body := app.Do(t, req)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(html.UnescapeString(body), "taille maximale autorisée de 20 Mo") {
		t.Fatalf("21 MB upload = %d:\n%s", resp.StatusCode, body)
	}
	if after, afterChunks := countContents(t, app); after != before || afterChunks != beforeChunks {
		t.Errorf("a refused upload left content: %d→%d contents, %d→%d chunks", before, after, beforeChunks, afterChunks)
	}
}

func TestInterruptedUploadStoresNothing(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	app.Login(t, "directeur@ml-rennes.demo")
	before, beforeChunks := countContents(t, app)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := uploadForm(mw, 3<<20); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(app.URL)
	cookies := app.Client.Jar.Cookies(u)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("POST /reseau/structures/%d/preuves/nouvelle HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nCookie: %s=%s\r\n\r\n",
		app.Fixture.Structures["ML-RENNES"], u.Host, mw.FormDataContentType(), buf.Len(), cookies[0].Name, cookies[0].Value)
	// Send the headers and 2 MB of the 3 MB file, then cut the connection.
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(buf.Bytes()[:2<<20]); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	// The server notices, rolls back; check twice to leave it the time.
	for range 2 {
		time.Sleep(500 * time.Millisecond)
		if after, afterChunks := countContents(t, app); after != before || afterChunks != beforeChunks {
			t.Fatalf("a cut upload left content: %d→%d contents, %d→%d chunks", before, after, beforeChunks, afterChunks)
		}
	}
	var pieces int
	app.Pool.QueryRow(t.Context(), "SELECT count(*) FROM preuves WHERE titre = 'Gros fichier'").Scan(&pieces)
	if pieces != 0 {
		t.Errorf("a cut upload created %d pieces", pieces)
	}
}

func TestARMLDownloadsOnlyWhenTheMLAllows(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	piece := fmt.Sprintf("/preuves/%d/telecharger", app.Fixture.Preuves["ML-RENNES"])
	app.Login(t, "referent@bretagne.demo")
	if resp, body := app.Get(t, piece); resp.StatusCode != http.StatusForbidden || !strings.Contains(html.UnescapeString(body), "n'a pas ouvert le téléchargement") {
		t.Fatalf("ARML download before the ML allows it = %d", resp.StatusCode)
	}
	director := apptest.NewClient(t)
	app.LoginClient(t, director, "directeur@ml-rennes.demo")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+fmt.Sprintf("/reseau/structures/%d/preuves/parametres", app.Fixture.Structures["ML-RENNES"]),
		strings.NewReader("documents_arml=oui"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := director.Do(req); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("allow ARML: %v %v", resp, err)
	}
	if resp, body := app.Get(t, piece); resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "%PDF-") {
		t.Errorf("ARML download once allowed = %d", resp.StatusCode)
	}
	// Another ML's director never sees it, whatever Rennes allows.
	other := apptest.NewClient(t)
	app.LoginClient(t, other, "directeur@ml-lyon.demo")
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, app.URL+piece, nil)
	resp, err := other.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("Lyon's director downloading Rennes' piece = %d, want 404", resp.StatusCode)
	}
}
