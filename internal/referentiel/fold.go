package referentiel

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold prepares text for accent- and case-insensitive search: lower case, accents
// removed, ligatures spelt out, typographic apostrophes made plain, spaces
// collapsed. "Équipes" and "equipes" fold alike.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		switch r = unicode.ToLower(r); r {
		case 'œ':
			b.WriteString("oe")
		case 'æ':
			b.WriteString("ae")
		case '’', 'ʼ', '‘':
			b.WriteByte('\'')
		case '«', '»':
			b.WriteByte('"')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
