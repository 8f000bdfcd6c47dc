package preuves

import (
	"archive/zip"
	"errors"
	"io"
	"strings"
)

// odfPrefix begins every OpenDocument type.
const odfPrefix = "application/vnd.oasis.opendocument."

// maxEntries bounds the entries of an archive CheckArchive inspects;
// maxDirectory bounds the bytes archive/zip may read to list them, so that a
// central directory of tiny headers cannot fill the memory.
const maxEntries, maxDirectory = 10_000, 2 << 20

// ooxmlMainParts tells the kind of an OOXML document by its main part.
var ooxmlMainParts = map[string]string{
	"word/document.xml":    ooxmlTypes[".docx"],
	"xl/workbook.xml":      ooxmlTypes[".xlsx"],
	"ppt/presentation.xml": ooxmlTypes[".pptx"],
}

// CheckArchive checks that a stored OpenDocument or Office file has its parts, and returns its type.
func CheckArchive(r io.ReaderAt, size int64, sniffed string) (string, error) {
	// The parts decide, not the name: an OpenDocument needs a first, stored
	// "mimetype" entry holding the sniffed type, "META-INF/manifest.xml" and
	// "content.xml"; an Office document needs "[Content_Types].xml",
	// "_rels/.rels", exactly one main part and no VBA project. Only the small
	// mimetype entry is decompressed.
	odf := strings.HasPrefix(sniffed, odfPrefix)
	if !odf && sniffed != "application/octet-stream" && sniffed != ooxmlTypes[".docx"] &&
		sniffed != ooxmlTypes[".xlsx"] && sniffed != ooxmlTypes[".pptx"] {
		return sniffed, nil
	}
	if odf && extensions[sniffed] == nil {
		return "", refused() // an OpenDocument database, image…: not on the list
	}
	br := &budgetReader{r: r, left: maxDirectory}
	zr, err := zip.NewReader(br, size)
	if errors.Is(err, errBudget) || err == nil && len(zr.File) > maxEntries {
		return "", notDocument("il contient trop de fichiers")
	}
	if err != nil || len(zr.File) == 0 {
		return "", notDocument("le fichier est illisible ou incomplet")
	}
	br.left = 1 << 10 // enough for the mimetype entry's header and 200 bytes
	names := make(map[string]bool, len(zr.File))
	for _, f := range zr.File {
		name := f.Name
		if !odf {
			name = strings.ToLower(name) // OOXML part names ignore case (ECMA-376-2 §9.1.1.1.2)
			if strings.HasSuffix(name, "vbaproject.bin") {
				return "", macrosRefused()
			}
		}
		names[name] = true
	}
	if odf {
		if !hasMimetype(zr.File[0], sniffed) {
			return "", notDocument("l'entrée « mimetype » est absente ou ne correspond pas au contenu")
		}
		if err := missing(names, false, "META-INF/manifest.xml", "content.xml"); err != nil {
			return "", err
		}
		return sniffed, nil
	}
	if err := missing(names, true, "[Content_Types].xml", "_rels/.rels"); err != nil {
		return "", err
	}
	found := ""
	for part, t := range ooxmlMainParts {
		if names[part] {
			if found != "" {
				return "", notDocument("il mêle plusieurs types de documents Office")
			}
			found = t
		}
	}
	if found == "" {
		return "", notDocument("il ne contient ni texte Word, ni classeur Excel, ni présentation PowerPoint")
	}
	return found, nil
}

// hasMimetype reports whether f is a stored "mimetype" entry holding exactly t;
// at most 200 bytes of it are read.
func hasMimetype(f *zip.File, t string) bool {
	if f.Name != "mimetype" || f.Method != zip.Store || f.UncompressedSize64 > 200 {
		return false
	}
	rc, err := f.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 200)) // the checksum is verified at the end
	return err == nil && string(data) == t
}

// missing returns the error naming the first of parts absent from names
// (lower-cased when fold), or nil.
func missing(names map[string]bool, fold bool, parts ...string) error {
	for _, p := range parts {
		key := p
		if fold {
			key = strings.ToLower(p)
		}
		if !names[key] {
			return notDocument("il y manque « " + p + " »")
		}
	}
	return nil
}

// notDocument refuses an archive that is not a sound OpenDocument or Office
// document, saying why.
func notDocument(why string) error {
	return fileError("Ce fichier n'est pas un document OpenDocument ou Office valide : " + why + ".")
}

// errBudget stops archive/zip when an archive's directory is too large.
var errBudget = errors.New("zip directory too large")

// budgetReader is an io.ReaderAt that fails once left bytes have been read.
type budgetReader struct {
	r    io.ReaderAt
	left int64
}

func (b *budgetReader) ReadAt(p []byte, off int64) (int, error) {
	if int64(len(p)) > b.left {
		return 0, errBudget
	}
	b.left -= int64(len(p))
	return b.r.ReadAt(p, off)
}
