package preuves_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/preuves"
)

// zipFile builds a real archive with archive/zip. Entries are written the way
// office suites write them (sizes in the local header, no data descriptor) when
// raw is true, else the way archive/zip does by default (deflated, sizes after
// the data).
func zipFile(t *testing.T, raw bool, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		var f io.Writer
		var err error
		if raw {
			f, err = w.CreateRaw(&zip.FileHeader{Name: e[0], Method: zip.Store, CRC32: crc32.ChecksumIEEE([]byte(e[1])),
				CompressedSize64: uint64(len(e[1])), UncompressedSize64: uint64(len(e[1]))})
			if err == nil {
				_, err = f.Write([]byte(e[1]))
			}
		} else {
			method := zip.Deflate
			if e[0] == "mimetype" {
				method = zip.Store
			}
			f, err = w.CreateHeader(&zip.FileHeader{Name: e[0], Method: method})
			if err == nil {
				_, err = f.Write([]byte(e[1]))
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`

const macroContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>
</Types>`

const (
	docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	pptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
)

func TestSniffAccepts(t *testing.T) {
	t.Parallel()
	odt := "application/vnd.oasis.opendocument.text"
	ods := "application/vnd.oasis.opendocument.spreadsheet"
	// A full head of French text whose last character is cut in two by HeadSize.
	cut := []byte(strings.Repeat("a", preuves.HeadSize-1) + "é")[:preuves.HeadSize]
	for _, tc := range []struct {
		name, filename string
		head           []byte
		want           string
	}{
		{"pdf", "rapport.pdf", []byte("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), "application/pdf"},
		{"pdf whatever its name", "rapport.txt", []byte("%PDF-1.4\n"), "application/pdf"},
		{"png", "logo.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), "image/png"},
		{"jpeg", "photo.jpg", []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), "image/jpeg"},
		{"odt as office suites write it", "cr.odt", zipFile(t, true, [2]string{"mimetype", odt}, [2]string{"content.xml", "<office:document-content/>"}), odt},
		{"ods with a data descriptor", "tableau.ods", zipFile(t, false, [2]string{"mimetype", ods}, [2]string{"content.xml", "<x/>"}), ods},
		{"odt whatever its name", "cr.docx", zipFile(t, true, [2]string{"mimetype", odt}), odt},
		{"docx", "procedure.docx", zipFile(t, false, [2]string{"[Content_Types].xml", contentTypes}, [2]string{"word/document.xml", "<w:document/>"}), docx},
		{"xlsx by extension", "Tableau.XLSX", zipFile(t, false, [2]string{"_rels/.rels", "<Relationships/>"}), xlsx},
		{"pptx by extension", "support.pptx", zipFile(t, true, [2]string{"docProps/app.xml", "<Properties/>"}), pptx},
		{"docx without extension, by its first part", "procedure", zipFile(t, false, [2]string{"word/document.xml", "<w:document/>"}), docx},
		{"xlsx without extension, by its first part", "export", zipFile(t, false, [2]string{"xl/workbook.xml", "<workbook/>"}), xlsx},
		{"ooxml of unknown kind", "document.bin", zipFile(t, false, [2]string{"[Content_Types].xml", contentTypes}), "application/octet-stream"},
		{"csv", "suivi.csv", []byte("\xEF\xBB\xBFannée;jeunes accompagnés\n2025;1 234\n"), "text/csv"},
		{"csv, extension in capitals", "SUIVI.CSV", []byte("a;b\n1;2\n"), "text/csv"},
		{"text", "notes.txt", []byte("Compte rendu du comité de pilotage\r\n\tprésents : 12\n"), "text/plain; charset=utf-8"},
		{"text named .pdf: the content decides", "faux.pdf", []byte("Ceci n'est pas un PDF.\n"), "text/plain; charset=utf-8"},
		{"text cut in a character at HeadSize", "long.txt", cut, "text/plain; charset=utf-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := tc.head
			if len(head) > preuves.HeadSize {
				head = head[:preuves.HeadSize]
			}
			got, err := preuves.Sniff(head, tc.filename)
			if err != nil || got != tc.want {
				t.Errorf("Sniff = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSniffRefuses(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", preuves.HeadSize-2)
	for _, tc := range []struct {
		name, filename string
		head           []byte
		message        string // part of the message; the type list when empty
	}{
		{"exe", "setup.exe", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF\x00\x00"), ""},
		{"exe named .pdf", "rapport.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF\x00\x00"), ""},
		{"gif", "anim.gif", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xFF\xFF\xFF\x00\x00\x00!\xF9\x04"), ""},
		{"gif without nul in its head", "anim.gif", []byte("GIF89a\x01\x01\x01\x01"), ""},
		{"plain zip", "archive.zip", zipFile(t, false, [2]string{"photos/a.jpg", "x"}), ""},
		{"zip named .docx", "procedure.docx", zipFile(t, false, [2]string{"script.js", "alert(1)"}), ""},
		{"empty zip", "vide.zip", zipFile(t, false), ""},
		{"mimetype of another format", "x.epub", zipFile(t, true, [2]string{"mimetype", "application/epub+zip"}), ""},
		{"odf mimetype compressed", "x.odt", compressedMimetype(t), ""},
		{"odf mimetype with a header in it", "x.odt", zipFile(t, true, [2]string{"mimetype", "application/vnd.oasis.opendocument.text\r\nX-Evil: 1"}), ""},
		{"odf mimetype of the prefix alone", "x.odt", zipFile(t, true, [2]string{"mimetype", "application/vnd.oasis.opendocument."}), ""},
		{"zip header cut short", "x.docx", []byte("PK\x03\x04\x14\x00\x00\x00"), ""},
		{"docm renamed docx", "macro.docx", zipFile(t, false, [2]string{"[Content_Types].xml", macroContentTypes}, [2]string{"word/vbaProject.bin", "x"}), "macros"},
		{"text with a nul byte", "notes.txt", []byte("bonjour\x00le monde"), ""},
		{"text with control bytes", "notes.txt", []byte("bonjour\x01\x02le monde"), ""},
		{"latin-1 text", "notes.txt", []byte("ann\xE9e 2025\n"), ""},
		{"utf-16 text", "notes.txt", []byte("\xFF\xFEb\x00o\x00n\x00"), ""},
		{"short file ending in a cut character", "notes.txt", []byte("caf\xC3"), ""},
		{"full head with a bad byte before the end", "notes.txt", []byte(long + "\xC3a"), ""},
		{"html", "page.html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), ""},
		{"html named .txt", "notes.txt", []byte("  \n<html><body onload=alert(1)>"), ""},
		{"html after a bom", "notes.csv", []byte("\xEF\xBB\xBF<script>alert(1)</script>"), ""},
		{"svg", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ""},
		{"xml", "data.xml", []byte(`<?xml version="1.0"?><a/>`), ""},
		{"empty", "vide.txt", nil, "vide"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := preuves.Sniff(tc.head, tc.filename)
			var e *domain.Error
			if !errors.As(err, &e) || e.Code != domain.EINVALID {
				t.Fatalf("Sniff = %q, %v; want an EINVALID *domain.Error", got, err)
			}
			want := tc.message
			if want == "" {
				want = "PDF, PNG, JPEG, OpenDocument, Office (docx, xlsx, pptx), CSV ou texte"
			}
			if !strings.Contains(e.Message, want) || e.Fields["file"] != e.Message {
				t.Errorf("error = %q, fields %v; want %q in the message and on the field file", e.Message, e.Fields, want)
			}
		})
	}
}

// compressedMimetype is an OpenDocument-looking archive whose mimetype entry is
// deflated, which the format forbids.
func compressedMimetype(t *testing.T) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("application/vnd.oasis.opendocument.text")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTooLargeError(t *testing.T) {
	t.Parallel()
	err := error(&preuves.TooLargeError{Limit: preuves.DefaultMaxBytes})
	if got := err.Error(); got != "Le fichier dépasse la taille maximale de 20 Mo." {
		t.Errorf("message = %q", got)
	}
	// The usual error handling sees a form error on the file field.
	if domain.ErrorCode(err) != domain.EINVALID || domain.ErrorMessage(err) != err.Error() || domain.ErrorFields(err)["file"] != err.Error() {
		t.Errorf("code %q, message %q, fields %v", domain.ErrorCode(err), domain.ErrorMessage(err), domain.ErrorFields(err))
	}
	var tl *preuves.TooLargeError
	if !errors.As(fmtWrap(err), &tl) || tl.Limit != preuves.DefaultMaxBytes {
		t.Errorf("errors.As lost the TooLargeError")
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("put content"), err) }

func TestFormatTaille(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 octet", 1: "1 octet", 850: "850 octets", 1024: "1 ko", 12 * 1024: "12 ko", 1536: "1,5 ko",
		1 << 20: "1 Mo", 3 << 19: "1,5 Mo", 20 << 20: "20 Mo", 5 << 30: "5 Go",
	} {
		if got := preuves.FormatTaille(n); got != want {
			t.Errorf("FormatTaille(%d) = %q, want %q", n, got, want)
		}
	}
}
