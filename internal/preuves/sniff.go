package preuves

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"
)

// Sniff returns the MIME type of a file from its first bytes (HeadSize, or the
// whole file when smaller), or an EINVALID *domain.Error when the content is not
// of an accepted type. The content decides: the name only picks between types the
// content cannot tell apart (CSV or plain text, which Office document).
func Sniff(head []byte, filename string) (string, error) {
	if len(head) == 0 {
		return "", fileError("Le fichier est vide.")
	}
	ext := strings.ToLower(path.Ext(filename))
	// DetectContentType is the WHATWG sniffing algorithm browsers use: what it
	// calls PDF, PNG or JPEG starts with that format's signature.
	switch ct := http.DetectContentType(head); ct {
	case "application/pdf", "image/png", "image/jpeg":
		return ct, nil
	case "application/zip":
		return sniffZip(head, ext)
	}
	if isText(head) {
		if ext == ".csv" {
			return "text/csv", nil
		}
		return "text/plain; charset=utf-8", nil
	}
	return "", refused()
}

// macrosRefused refuses an Office document with macros (a docm, xlsm or pptm).
func macrosRefused() error {
	return fileError("Les documents Office contenant des macros ne sont pas acceptés : enregistrez-le sans macros (docx, xlsx ou pptx).")
}

func refused() error {
	return fileError("Ce type de fichier n'est pas accepté : déposez un fichier " + TypesAcceptes + ".")
}

// isText accepts UTF-8 without NUL bytes that browsers would also take for plain
// text, and refuses markup: HTML, XML and SVG can carry scripts and are not on
// the list.
func isText(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 || !validUTF8(head) {
		return false
	}
	if !strings.HasPrefix(http.DetectContentType(head), "text/plain") {
		return false // a binary format, control bytes, HTML or XML
	}
	// The sniffer knows HTML by a list of tags; any leading "<" (an SVG, an
	// unlisted tag) is markup all the same.
	body := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n\f")
	return !bytes.HasPrefix(body, []byte("<"))
}

// validUTF8 reports whether head is UTF-8. When head is a full HeadSize (the
// file goes on), the cut may have split the last character: up to three bytes
// that begin a valid one are allowed at the end.
func validUTF8(head []byte) bool {
	if utf8.Valid(head) {
		return true
	}
	if len(head) < HeadSize {
		return false
	}
	for i := len(head) - 1; i >= 0 && i >= len(head)-3; i-- {
		if utf8.RuneStart(head[i]) {
			// FullRune is false only for a valid character still missing bytes.
			return !utf8.FullRune(head[i:]) && utf8.Valid(head[:i])
		}
	}
	return false
}

// zipEntry is the first local file header of a ZIP archive.
type zipEntry struct {
	name   string
	method uint16
	flags  uint16
	size   uint32 // compressed size; unknown when flags has bit 3 (data descriptor)
	data   []byte // what of the entry's data is within the head
}

// firstZipEntry reads the first local file header (PKWARE APPNOTE §4.3.7).
func firstZipEntry(head []byte) (zipEntry, bool) {
	const fixed = 30
	if len(head) < fixed || !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return zipEntry{}, false
	}
	le := binary.LittleEndian
	nameLen, extraLen := int(le.Uint16(head[26:])), int(le.Uint16(head[28:]))
	if nameLen == 0 || fixed+nameLen > len(head) {
		return zipEntry{}, false
	}
	e := zipEntry{
		name:   string(head[fixed : fixed+nameLen]),
		flags:  le.Uint16(head[6:]),
		method: le.Uint16(head[8:]),
		size:   le.Uint32(head[18:]),
	}
	if start := fixed + nameLen + extraLen; start <= len(head) {
		e.data = head[start:]
	}
	return e, true
}

// OOXML types by extension, for the download's Content-Type.
var ooxmlTypes = map[string]string{
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

// ooxmlFolders are the first-entry folders that tell the kind of an OOXML
// document whose name does not.
var ooxmlFolders = map[string]string{"word/": ".docx", "xl/": ".xlsx", "ppt/": ".pptx"}

// sniffZip accepts the two ZIP-based document formats, told by the first entry:
// OpenDocument ("mimetype", stored, holding the type) and Office Open XML
// ("[Content_Types].xml", "_rels/.rels" or a part of the document). Any other
// archive is refused: its content could be anything.
func sniffZip(head []byte, ext string) (string, error) {
	e, ok := firstZipEntry(head)
	if !ok {
		return "", refused()
	}
	if e.name == "mimetype" {
		if t := odfType(e); t != "" {
			return t, nil
		}
		return "", refused()
	}
	folder := ""
	if i := strings.IndexByte(e.name, '/'); i >= 0 {
		folder = e.name[:i+1]
	}
	if e.name != "[Content_Types].xml" && e.name != "_rels/.rels" && folder != "docProps/" && ooxmlFolders[folder] == "" {
		return "", refused()
	}
	if e.name == "[Content_Types].xml" && hasMacros(e) {
		return "", macrosRefused()
	}
	if t, ok := ooxmlTypes[ext]; ok {
		return t, nil
	}
	if t, ok := ooxmlTypes[ooxmlFolders[folder]]; ok {
		return t, nil
	}
	return "application/octet-stream", nil
}

// odfType returns the OpenDocument type held by a "mimetype" first entry, or ""
// when it is not one. The entry is stored uncompressed (OpenDocument 1.2 part 3
// §3.3); its size may be in a data descriptor after it, in which case the type
// ends at the first byte that cannot belong to a MIME type (the descriptor's or
// the next header's "PK").
func odfType(e zipEntry) string {
	const prefix, maxLen = odfPrefix, 100
	if e.method != 0 {
		return ""
	}
	t := e.data
	if e.flags&0x8 == 0 && e.size != 0xFFFFFFFF {
		if int(e.size) > len(t) || e.size > maxLen {
			return ""
		}
		t = t[:e.size]
	} else {
		n := 0
		for n < len(t) && n <= maxLen && isMimeByte(t[n]) {
			n++
		}
		t = t[:n]
	}
	if len(t) > maxLen || !bytes.HasPrefix(t, []byte(prefix)) || len(t) == len(prefix) {
		return ""
	}
	for _, c := range t {
		if !isMimeByte(c) {
			return ""
		}
	}
	return string(t)
}

// isMimeByte reports whether c may appear in an OpenDocument type; it keeps the
// stored type safe to send back as a Content-Type.
func isMimeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("./+-", c) >= 0
}

// hasMacros looks into an OOXML [Content_Types].xml for a macro-enabled main part
// or a VBA project (a .docm, .xlsm or .pptm renamed). Only the part within the
// head is read; Office writes this entry first and it is small.
func hasMacros(e zipEntry) bool {
	var xml []byte
	switch e.method {
	case 0:
		xml = e.data
	case 8:
		// The stream may be cut by the end of the head: keep what was inflated.
		xml, _ = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(e.data)), 1<<16))
	default:
		return false
	}
	xml = bytes.ToLower(xml)
	return bytes.Contains(xml, []byte("macroenabled")) || bytes.Contains(xml, []byte("vbaproject"))
}
