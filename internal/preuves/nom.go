package preuves

import (
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxNameRunes bounds a stored file name; maxExtRunes is the longest ending kept
// as an extension when a name is shortened.
const maxNameRunes, maxExtRunes = 150, 16

// CleanName returns a file name safe to show and to send in a
// Content-Disposition: the last element of any path (with / or \), without
// control or invisible formatting characters (a right-to-left override can
// disguise "gpj.exe"), quotes or slashes, in NFC, blanks collapsed, no leading or
// trailing blank or dot, at most 150 characters keeping the extension;
// "document" when nothing is left.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '"' || r == utf8.RuneError:
			return -1
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co, unicode.Cs):
			return -1
		}
		return r
	}, name)
	name = norm.NFC.String(strings.Join(strings.Fields(name), " "))
	name = strings.Trim(name, " .")
	if utf8.RuneCountInString(name) > maxNameRunes {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > maxExtRunes {
			ext = ""
		}
		stem := []rune(strings.TrimSuffix(name, ext))
		stem = stem[:maxNameRunes-utf8.RuneCountInString(ext)]
		name = strings.TrimRight(string(stem), " .") + ext
	}
	if name == "" {
		return "document"
	}
	return name
}

// extensions gives the file name extensions of each accepted type, canonical
// first.
var extensions = map[string][]string{
	"application/pdf":                   {".pdf"},
	"image/png":                         {".png"},
	"image/jpeg":                        {".jpg", ".jpeg"},
	"text/csv":                          {".csv"},
	"text/plain":                        {".txt"},
	ooxmlTypes[".docx"]:                 {".docx"},
	ooxmlTypes[".xlsx"]:                 {".xlsx"},
	ooxmlTypes[".pptx"]:                 {".pptx"},
	odfPrefix + "text":                  {".odt"},
	odfPrefix + "spreadsheet":           {".ods"},
	odfPrefix + "presentation":          {".odp"},
	odfPrefix + "graphics":              {".odg"},
	odfPrefix + "text-template":         {".ott"},
	odfPrefix + "spreadsheet-template":  {".ots"},
	odfPrefix + "presentation-template": {".otp"},
	odfPrefix + "graphics-template":     {".otg"},
	odfPrefix + "chart":                 {".odc"},
	odfPrefix + "formula":               {".odf"},
	odfPrefix + "text-master":           {".odm"},
}

// extensionsOf returns the extensions of a MIME type, nil for a type that is not
// accepted; the only parameter allowed is "charset=utf-8" (Sniff's text types).
func extensionsOf(mime string) []string {
	if base, params, ok := strings.Cut(mime, ";"); ok {
		if !strings.EqualFold(strings.TrimSpace(params), "charset=utf-8") {
			return nil
		}
		mime = base
	}
	return extensions[strings.ToLower(strings.TrimSpace(mime))]
}

// Extension returns the canonical extension of an accepted MIME type, with its dot, or "".
func Extension(mime string) string {
	if exts := extensionsOf(mime); exts != nil {
		return exts[0]
	}
	return ""
}

// StoredName returns CleanName(name) ending in an extension of the detected type mime.
func StoredName(name, mime string) string {
	// An extension of the type, in any case, is kept; otherwise the canonical one
	// is added ("page.html" of text becomes "page.html.txt", never opened as
	// HTML), shortening the stem to stay within maxNameRunes. A type not accepted
	// leaves the cleaned name as it is.
	name = CleanName(name)
	exts := extensionsOf(mime)
	if exts == nil || slices.Contains(exts, strings.ToLower(path.Ext(name))) {
		return name
	}
	ext := exts[0]
	if stem := []rune(name); len(stem)+len(ext) > maxNameRunes {
		name = strings.TrimRight(string(stem[:maxNameRunes-len(ext)]), " .")
	}
	return name + ext
}

// ContentDisposition returns the Content-Disposition header that makes the
// browser save the file under its cleaned name: an ASCII fallback (accents
// dropped, other characters as "_") for old clients, and the exact name in UTF-8
// (RFC 6266, RFC 8187). mime.FormatMediaType writes only one of the two.
func ContentDisposition(name string) string {
	name = CleanName(name)
	var b strings.Builder
	b.WriteString(`attachment; filename="`)
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// the accent of a decomposed letter: keep the letter alone
		case r >= 0x20 && r < 0x7F && r != '%' && r != '"' && r != '\\':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	b.WriteString(`"; filename*=UTF-8''`)
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		if c := name[i]; isAttrChar(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		}
	}
	return b.String()
}

// isAttrChar reports whether c may stand unencoded in an RFC 8187 value.
func isAttrChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
