package preuves_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/unml/cadre/internal/preuves"
)

func TestCleanName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 200)
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Compte rendu 2025.pdf", "Compte rendu 2025.pdf"},
		{"unix path", "/home/alice/docs/cr.pdf", "cr.pdf"},
		{"windows path", `C:\Users\alice\Documents\cr.pdf`, "cr.pdf"},
		{"traversal", "../../etc/passwd", "passwd"},
		{"traversal with backslashes", `..\..\windows\win.ini`, "win.ini"},
		{"dots only", "..", "document"},
		{"hidden file", ".htaccess", "htaccess"},
		{"trailing dots and blanks", "  rapport.pdf. . ", "rapport.pdf"},
		{"quotes", `le "bon" fichier.pdf`, "le bon fichier.pdf"},
		{"header injection", "cr.pdf\r\nSet-Cookie: x=1", "cr.pdf Set-Cookie: x=1"},
		{"control characters", "a\x00b\x07c\x1b.txt", "abc.txt"},
		{"blanks collapse", "a \t\u00a0 b.txt", "a b.txt"},
		{"right-to-left override", "photo\u202Egpj.exe", "photogpj.exe"},
		{"zero width", "rap\u200Bport.pdf", "rapport.pdf"},
		{"decomposed accents become composed", "e\u0301quipe.pdf", "équipe.pdf"},
		{"accents kept", "Procédure d'accueil — été.odt", "Procédure d'accueil — été.odt"},
		{"invalid utf-8", "caf\xe9.txt", "caf.txt"},
		{"empty", "", "document"},
		{"nothing left", "\x00\x01 / \"", "document"},
		{"long: extension kept", long + ".pdf", strings.Repeat("é", 146) + ".pdf"},
		{"long without extension", long, strings.Repeat("é", 150)},
		{"long with an absurd extension", "a." + long, "a." + strings.Repeat("é", 148)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := preuves.CleanName(tc.in)
			if got != tc.want {
				t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > 150 {
				t.Errorf("%d runes", n)
			}
			if again := preuves.CleanName(got); again != got {
				t.Errorf("cleaning twice gives %q", again) // callers may clean before the store does
			}
		})
	}
}

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"ascii", "rapport.pdf", `attachment; filename="rapport.pdf"; filename*=UTF-8''rapport.pdf`},
		{"blanks", "Compte rendu.pdf", `attachment; filename="Compte rendu.pdf"; filename*=UTF-8''Compte%20rendu.pdf`},
		{"accents", "Procédure été.odt", `attachment; filename="Procedure ete.odt"; filename*=UTF-8''Proc%C3%A9dure%20%C3%A9t%C3%A9.odt`},
		{"no latin fallback", "报告.pdf", `attachment; filename="__.pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf`},
		{"quotes, path and newline", "../a\"b\r\n;c%.txt", `attachment; filename="ab ;c_.txt"; filename*=UTF-8''ab%20%3Bc%25.txt`},
		{"empty", "", `attachment; filename="document"; filename*=UTF-8''document`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := preuves.ContentDisposition(tc.in); got != tc.want {
				t.Errorf("ContentDisposition(%q) =\n%s\nwant\n%s", tc.in, got, tc.want)
			}
		})
	}
}

func TestStoredName(t *testing.T) {
	t.Parallel()
	const text, pdf, jpeg, png = "text/plain; charset=utf-8", "application/pdf", "image/jpeg", "image/png"
	odt := "application/vnd.oasis.opendocument.text"
	long := strings.Repeat("é", 200)
	for _, tc := range []struct{ name, in, mime, want string }{
		{"html sent as text", "page.html", text, "page.html.txt"},
		{"hta that is a pdf", "rapport.hta", pdf, "rapport.hta.pdf"},
		{"jpeg extension in capitals", "photo.JPEG", jpeg, "photo.JPEG"},
		{"jpg", "photo.jpg", jpeg, "photo.jpg"},
		{"no extension", "photo", png, "photo.png"},
		{"csv", "tableau.csv", "text/csv", "tableau.csv"},
		{"csv with a charset", "tableau.csv", "text/csv; charset=utf-8", "tableau.csv"},
		{"batch file of text", "notes.bat", "text/plain", "notes.bat.txt"},
		{"text", "notes.TXT", text, "notes.TXT"},
		{"svg that is a png", "x.svg", png, "x.svg.png"},
		{"png named jpg", "photo.jpg", png, "photo.jpg.png"},
		{"pdf", "Compte rendu.pdf", pdf, "Compte rendu.pdf"},
		{"docx named xlsx", "tableau.xlsx", docx, "tableau.xlsx.docx"},
		{"xlsx", "tableau.xlsx", xlsx, "tableau.xlsx"},
		{"pptx without extension", "support", pptx, "support.pptx"},
		{"odt", "cr.odt", odt, "cr.odt"},
		{"odt named docx", "cr.docx", odt, "cr.docx.odt"},
		{"template", "modèle.ott", "application/vnd.oasis.opendocument.text-template", "modèle.ott"},
		{"formula", "f", "application/vnd.oasis.opendocument.formula", "f.odf"},
		{"cleaned first", "../../a\u202Efdp.exe", pdf, "afdp.exe.pdf"},
		{"empty name", "", pdf, "document.pdf"},
		{"type in capitals", "a.txt", "Text/Plain; Charset=UTF-8", "a.txt"},
		{"unknown type", "archive.zip", "application/zip", "archive.zip"},
		{"unknown type, still cleaned", "../x.html", "text/html", "x.html"},
		{"text of another charset", "a", "text/plain; charset=latin1", "a"},
		{"long: stem shortened", long + ".html", text, strings.Repeat("é", 145) + ".txt"},
		{"long without extension", long, png, strings.Repeat("é", 146) + ".png"},
		{"long with its extension", long + ".jpeg", jpeg, strings.Repeat("é", 145) + ".jpeg"},
		{"just too long", strings.Repeat("a", 148), pdf, strings.Repeat("a", 146) + ".pdf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := preuves.StoredName(tc.in, tc.mime)
			if got != tc.want {
				t.Errorf("StoredName(%q, %q) = %q, want %q", tc.in, tc.mime, got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > 150 {
				t.Errorf("%d runes", n)
			}
			if again := preuves.StoredName(got, tc.mime); again != got || preuves.CleanName(got) != got {
				t.Errorf("not stable: %q", again)
			}
		})
	}
}

func TestExtension(t *testing.T) {
	t.Parallel()
	for mime, want := range map[string]string{
		"application/pdf": ".pdf", "image/jpeg": ".jpg", "text/plain; charset=utf-8": ".txt", "text/plain": ".txt",
		"text/csv": ".csv", docx: ".docx", "application/vnd.oasis.opendocument.spreadsheet": ".ods",
		"application/vnd.oasis.opendocument.text-master": ".odm", "application/vnd.oasis.opendocument.database": "",
		"application/octet-stream": "", "text/html": "", "": "",
	} {
		if got := preuves.Extension(mime); got != want {
			t.Errorf("Extension(%q) = %q, want %q", mime, got, want)
		}
	}
}
