package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/browsertest"
	"github.com/unml/cadre/internal/demo"
)

// TestBrowserEvidence: a contributor acknowledges the RGPD warning, uploads a
// file, attaches it to an item, and downloads it back.
func TestBrowserEvidence(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	rennes := app.Fixture.Structures["ML-RENNES"]
	library := fmt.Sprintf("/reseau/structures/%d/preuves", rennes)
	content := []byte("%PDF-1.4\n% Compte rendu du comité de pilotage — été 2026\n%%EOF\n")
	path := filepath.Join(t.TempDir(), "Compte rendu « COPIL » été.pdf")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(t.TempDir(), "rapport.pdf")
	if err := os.WriteFile(exe, append([]byte("MZ\x90\x00\x03"), bytes.Repeat([]byte{0}, 200)...), 0o600); err != nil {
		t.Fatal(err)
	}

	b := browsertest.New(t, app.URL)
	b.Login("contributeur@ml-rennes.demo", demo.Password)
	b.Visit(library)
	b.ClickAndWait(`a[href="` + library + `/nouvelle"]`)
	// The RGPD warning comes first; the box must be ticked.
	if got := b.Text("h1"); got != "Avant votre premier dépôt" {
		t.Fatalf("first upload page: %q", got)
	}
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "Cochez la case") {
		t.Fatalf("unticked acknowledgement: %q", got)
	}
	b.Run(chromedp.Click("#accord", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text("h1"); got != "Ajouter un élément de preuve" {
		t.Fatalf("after the acknowledgement: %q", got)
	}

	// A program disguised as a PDF is refused on its content.
	b.Run(chromedp.SendKeys("#titre", "Rapport", chromedp.ByQuery), chromedp.SetValue("#type", "compte_rendu", chromedp.ByQuery),
		chromedp.SetUploadFiles("#file", []string{exe}, chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "PDF, PNG, JPEG") {
		t.Fatalf("disguised executable: %q", got)
	}
	b.Run(chromedp.Clear("#titre", chromedp.ByQuery), chromedp.SendKeys("#titre", "Compte rendu du COPIL", chromedp.ByQuery),
		chromedp.SetValue("#type", "compte_rendu", chromedp.ByQuery), chromedp.SetUploadFiles("#file", []string{path}, chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text("h1"); got != "Compte rendu du COPIL" {
		t.Fatalf("after the upload: %q", got)
	}
	piece := b.Location()

	// Its information is edited, and the change is kept.
	b.ClickAndWait(`main a[href="` + piece + `/modifier"]`)
	b.Run(chromedp.Clear("#titre", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text(".error-summary"); !strings.Contains(got, "titre") {
		t.Fatalf("an empty title: %q", got)
	}
	b.Run(chromedp.SendKeys("#titre", "Compte rendu du COPIL de juin", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text("h1"); got != "Compte rendu du COPIL de juin" {
		t.Fatalf("after the edit: %q", got)
	}
	var history string
	b.Eval(`document.querySelector("details.modifications").textContent`, &history)
	if !strings.Contains(history, "« Compte rendu du COPIL » → « Compte rendu du COPIL de juin »") {
		t.Errorf("history of the information: %q", history)
	}

	// Attach it to an item, then see it counted on the fonction page.
	b.Run(chromedp.SetValue("#item", "F5.R1.C1", chromedp.ByQuery))
	b.ClickAndWait(`form[action$="/items"] button`)
	if got := b.Text("#items + ul"); !strings.Contains(got, "F5.R1.C1") {
		t.Fatalf("attached items: %q", got)
	}
	b.Visit(fmt.Sprintf("/autoevaluations/%d/sections/F5", app.Fixture.Autoevaluations["ML-RENNES/2026"]))
	if got := b.Text(`[data-item="F5.R1.C1"] .item-meta`); !strings.Contains(got, "1 élément de preuve") {
		t.Errorf("coverage on the fonction page: %q", got)
	}
	// From an item: "Joindre" lists the library, "Rattacher" comes back to the item.
	b.ClickAndWait(`[data-item="F5.R1.C2"] .item-meta a[href*="rattacher=F5.R1.C2"]`)
	b.ClickAndWait(`main table tbody tr:first-child form button`)
	if loc := b.Location(); !strings.HasSuffix(loc, "/sections/F5") {
		t.Errorf("after attaching from the item: %q", loc)
	}
	if got := b.Text(`[data-item="F5.R1.C2"] .item-meta`); !strings.Contains(got, "1 élément de preuve") {
		t.Errorf("coverage after attaching from the item: %q", got)
	}
	b.Visit(library + "?item=F5.R1.C1")
	if got := b.Text("main table"); !strings.Contains(got, "Compte rendu du COPIL") {
		t.Errorf("library filtered by item: %q", got)
	}

	// Download, as the same person over HTTP: an attachment, byte for byte, logged.
	app.Login(t, "contributeur@ml-rennes.demo")
	resp, body := app.Get(t, piece+"/telecharger")
	if resp.StatusCode != http.StatusOK || body != string(content) {
		t.Fatalf("download = %d, %d bytes", resp.StatusCode, len(body))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("download headers: %v", resp.Header)
	}
	b.Visit(piece)
	if got := b.Text("main"); !strings.Contains(got, "Nolwenn Qualité") || !strings.Contains(got, "Téléchargements") {
		t.Errorf("the download is not logged on the piece's page:\n%s", got)
	}
}

// TestBrowserAttachNewPieceFromItem: the Rennes contributor adds a new file from
// an item, through the RGPD warning of a first upload, and ends on the item with
// the piece attached; every page on the way fits a phone (checked per page kind).
func TestBrowserAttachNewPieceFromItem(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	section := fmt.Sprintf("/autoevaluations/%d/sections/F2", app.Fixture.Autoevaluations["ML-RENNES/2026"])
	path := filepath.Join(t.TempDir(), "charte-accueil.pdf")
	if err := os.WriteFile(path, []byte("%PDF-1.4\n% Charte d'accueil\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, app.URL)
	b.Login("contributeur@ml-rennes.demo", demo.Password)
	b.Visit(section)
	var code string
	b.Eval(`[...document.querySelectorAll("[data-item]")].find(e => e.querySelector(".item-meta").textContent.includes("Aucun élément de preuve")).dataset.item`, &code)
	b.ClickAndWait(`[data-item="` + code + `"] .item-meta a[href*="rattacher="]`)
	b.ClickAndWait(`main .actions-bar a[href*="/nouvelle?"]`)
	if got := b.Text("h1"); got != "Avant votre premier dépôt" {
		t.Fatalf("a first upload starts with %q", got)
	}
	b.Run(chromedp.Click("#accord", chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if got := b.Text("h1"); got != "Ajouter un élément de preuve pour "+code {
		t.Fatalf("the form forgot the item: %q at %s", got, b.Location())
	}
	if got := b.Text("main .breadcrumbs"); got != "Retour à l'élément "+code {
		t.Errorf("way back: %q", got)
	}
	b.Run(chromedp.SendKeys("#titre", "Charte d'accueil", chromedp.ByQuery), chromedp.SetValue("#type", "procedure", chromedp.ByQuery),
		chromedp.SetUploadFiles("#file", []string{path}, chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
	if loc := b.Location(); loc != section {
		t.Errorf("after the upload: %s, want %s", loc, section)
	}
	var hash string
	b.Eval(`location.hash`, &hash)
	if hash != "#"+code {
		t.Errorf("after the upload the page is at %q, want #%s", hash, code)
	}
	if got := b.Text(".flash"); got != "Élément de preuve « Charte d'accueil » ajouté et rattaché à "+code+"." {
		t.Errorf("flash = %q", got)
	}
	if got := b.Text(`[data-item="` + code + `"] .item-meta`); !strings.Contains(got, "1 élément de preuve") {
		t.Errorf("coverage of %s: %q", code, got)
	}
	b.CheckPhoneWidth()
}
