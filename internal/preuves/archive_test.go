package preuves_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/preuves"
)

const (
	odt = "application/vnd.oasis.opendocument.text"
	ods = "application/vnd.oasis.opendocument.spreadsheet"
)

// Minimal parts of real documents.
var (
	ctypes   = [2]string{"[Content_Types].xml", contentTypes}
	rels     = [2]string{"_rels/.rels", "<Relationships/>"}
	manifest = [2]string{"META-INF/manifest.xml", "<manifest:manifest/>"}
	content  = [2]string{"content.xml", "<office:document-content/>"}
)

func mimetype(t string) [2]string { return [2]string{"mimetype", t} }

func part(name string) [2]string { return [2]string{name, "<x/>"} }

func TestCheckArchiveAccepts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, sniffed string
		file          []byte
		want          string
	}{
		{"docx", docx, zipFile(t, false, ctypes, rels, part("word/document.xml"), part("docProps/core.xml")), docx},
		{"xlsx, stored entries", xlsx, zipFile(t, true, ctypes, rels, part("xl/workbook.xml"), part("xl/worksheets/sheet1.xml")), xlsx},
		{"pptx", pptx, zipFile(t, false, rels, ctypes, part("ppt/presentation.xml"), part("ppt/slides/slide1.xml")), pptx},
		{"ooxml of unknown kind: the parts tell", "application/octet-stream", zipFile(t, false, ctypes, rels, part("xl/workbook.xml")), xlsx},
		{"named xlsx, parts of a docx: the parts win", xlsx, zipFile(t, false, ctypes, rels, part("word/document.xml")), docx},
		{"ooxml part names ignore case", docx, zipFile(t, false, part("[CONTENT_TYPES].XML"), part("_RELS/.rels"), part("Word/Document.xml")), docx},
		{"odt as office suites write it", odt, zipFile(t, true, mimetype(odt), manifest, content, part("styles.xml")), odt},
		{"ods with data descriptors", ods, zipFile(t, false, mimetype(ods), content, manifest), ods},
		{"odg", "application/vnd.oasis.opendocument.graphics", zipFile(t, true, mimetype("application/vnd.oasis.opendocument.graphics"), manifest, content), "application/vnd.oasis.opendocument.graphics"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := preuves.CheckArchive(bytes.NewReader(tc.file), int64(len(tc.file)), tc.sniffed)
			if err != nil || got != tc.want {
				t.Errorf("CheckArchive = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCheckArchiveRefuses(t *testing.T) {
	t.Parallel()
	valid := zipFile(t, false, ctypes, rels, part("word/document.xml"))
	const types = "PDF, PNG, JPEG, OpenDocument, Office (docx, xlsx, pptx), CSV ou texte"
	const invalid = "Ce fichier n'est pas un document OpenDocument ou Office valide : "
	for _, tc := range []struct {
		name, sniffed string
		file          []byte
		message       string // part of the message
	}{
		{"content types alone", docx, zipFile(t, false, ctypes), "« _rels/.rels »"},
		{"no main part", "application/octet-stream", zipFile(t, false, ctypes, rels, part("docProps/app.xml")), invalid + "il ne contient ni texte Word"},
		{"no content types", docx, zipFile(t, false, rels, part("word/document.xml")), "« [Content_Types].xml »"},
		{"two main parts", docx, zipFile(t, false, ctypes, rels, part("word/document.xml"), part("xl/workbook.xml")), "plusieurs types"},
		{"docx with an Excel VBA project", docx, zipFile(t, false, ctypes, rels, part("word/document.xml"), part("xl/vbaProject.bin")), "macros"},
		{"docm renamed docx", docx, zipFile(t, false, ctypes, rels, part("word/document.xml"), part("word/vbaProject.bin")), "macros"},
		{"VBA project in capitals", "application/octet-stream", zipFile(t, true, ctypes, rels, part("ppt/presentation.xml"), part("PPT/VBAPROJECT.BIN")), "macros"},
		{"plain zip of an exe", "application/octet-stream", zipFile(t, false, [2]string{"setup.exe", "MZ\x90\x00"}), invalid},
		{"exe behind a content types entry", docx, zipFile(t, false, ctypes, [2]string{"setup.exe", "MZ\x90\x00"}), invalid},
		{"empty zip", docx, zipFile(t, false), invalid + "le fichier est illisible"},
		{"truncated", docx, valid[:len(valid)/2], invalid + "le fichier est illisible"},
		{"last byte missing", docx, valid[:len(valid)-1], "illisible"},
		{"not a zip", docx, []byte("PK\x03\x04 not really"), "illisible"},
		{"odt without content.xml", odt, zipFile(t, true, mimetype(odt), manifest), "« content.xml »"},
		{"odt without manifest", odt, zipFile(t, true, mimetype(odt), content), "« META-INF/manifest.xml »"},
		{"odf names do not ignore case", odt, zipFile(t, true, mimetype(odt), manifest, part("Content.xml")), "« content.xml »"},
		{"mimetype other than sniffed", odt, zipFile(t, true, mimetype(ods), manifest, content), "« mimetype »"},
		{"mimetype followed by more", odt, zipFile(t, true, mimetype(odt+strings.Repeat(" ", 300)), manifest, content), "« mimetype »"},
		{"mimetype not first", odt, zipFile(t, true, manifest, mimetype(odt), content), "« mimetype »"},
		{"mimetype missing", odt, zipFile(t, true, manifest, content), "« mimetype »"},
		{"mimetype compressed", odt, deflatedMimetype(t), "« mimetype »"},
		{"mimetype with a bad checksum", odt, badChecksum(t, odt), "« mimetype »"},
		{"odf type not accepted", "application/vnd.oasis.opendocument.database",
			zipFile(t, true, mimetype("application/vnd.oasis.opendocument.database"), manifest, content), types},
		{"ooxml parts for an odt", odt, valid, "« mimetype »"},
		{"too many entries", docx, manyEntries(t, 10_001), "trop de fichiers"},
		{"directory too large to list", docx, manyEntries(t, 60_000), "trop de fichiers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := preuves.CheckArchive(bytes.NewReader(tc.file), int64(len(tc.file)), tc.sniffed)
			var e *domain.Error
			if !errors.As(err, &e) || e.Code != domain.EINVALID || got != "" {
				t.Fatalf("CheckArchive = %q, %v; want an EINVALID *domain.Error", got, err)
			}
			if !strings.Contains(e.Message, tc.message) || e.Fields["file"] != e.Message {
				t.Errorf("error = %q, fields %v; want %q in the message and on the field file", e.Message, e.Fields, tc.message)
			}
		})
	}
}

// deflatedMimetype is an otherwise valid odt whose mimetype entry is compressed.
func deflatedMimetype(t *testing.T) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range [][2]string{mimetype(odt), manifest, content} {
		f, err := w.CreateHeader(&zip.FileHeader{Name: e[0], Method: zip.Deflate})
		if err == nil {
			_, err = f.Write([]byte(e[1]))
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

// badChecksum is an odt whose mimetype entry does not match the CRC-32 of the
// central directory.
func badChecksum(t *testing.T, typ string) []byte {
	b := zipFile(t, true, mimetype(typ), manifest, content)
	i := bytes.Index(b, []byte("PK\x01\x02")) // the mimetype's central header
	b[i+16] ^= 0xFF
	return b
}

// manyEntries is a docx followed by n empty entries.
func manyEntries(t *testing.T, n int) []byte {
	entries := [][2]string{ctypes, rels, part("word/document.xml")}
	for i := range n {
		entries = append(entries, [2]string{fmt.Sprint(i), ""})
	}
	return zipFile(t, true, entries...)
}

// failingReader fails the test when read.
type failingReader struct{ t *testing.T }

func (r failingReader) ReadAt([]byte, int64) (int, error) {
	r.t.Error("ReadAt called")
	return 0, io.EOF
}

func TestCheckArchivePassesOtherTypes(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"application/pdf", "image/png", "image/jpeg", "text/csv", "text/plain; charset=utf-8", "application/zip", ""} {
		got, err := preuves.CheckArchive(failingReader{t}, 1000, typ)
		if got != typ || err != nil {
			t.Errorf("CheckArchive(%q) = %q, %v", typ, got, err)
		}
	}
}

// TestSniffThenCheckArchive runs both verdicts on whole generated documents
// larger than the head, the way an upload does.
func TestSniffThenCheckArchive(t *testing.T) {
	t.Parallel()
	media := make([]byte, 3*preuves.HeadSize) // incompressible, as images are
	rand.NewChaCha8([32]byte{}).Read(media)
	image := [2]string{"word/media/image1.png", string(media)}
	for _, tc := range []struct {
		name, filename string
		file           []byte
		want           string
	}{
		{"docx", "rapport.docx", zipFile(t, false, ctypes, rels, part("word/document.xml"), image), docx},
		{"docx stored", "rapport.docx", zipFile(t, true, ctypes, rels, image, part("word/document.xml")), docx},
		{"docx without extension", "rapport", zipFile(t, false, ctypes, rels, image, part("word/document.xml")), docx},
		{"pptx named .xlsx", "support.xlsx", zipFile(t, false, ctypes, rels, image, part("ppt/presentation.xml")), pptx},
		{"odt", "cr.odt", zipFile(t, true, mimetype(odt), image, manifest, content), odt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.file) <= preuves.HeadSize {
				t.Fatalf("%d bytes: not larger than the head", len(tc.file))
			}
			sniffed, err := preuves.Sniff(tc.file[:preuves.HeadSize], tc.filename)
			if err != nil {
				t.Fatalf("Sniff: %v", err)
			}
			got, err := preuves.CheckArchive(bytes.NewReader(tc.file), int64(len(tc.file)), sniffed)
			if err != nil || got != tc.want {
				t.Errorf("Sniff = %q, then CheckArchive = %q, %v; want %q", sniffed, got, err, tc.want)
			}
		})
	}
}
