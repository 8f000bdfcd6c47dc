package preuves_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/unml/cadre/internal/preuves"
)

func TestCleanName(t *testing.T) {
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
