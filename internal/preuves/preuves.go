// Package preuves holds the rules of the evidence files (DESIGN.md §5) that need
// neither SQL nor HTTP: which types are accepted, judged on the content; the size
// limit; file names safe to show and to send back.
package preuves

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/unml/cadre/internal/domain"
)

// HeadSize is how many leading bytes of a file Sniff looks at. Callers pass that
// many, or the whole file when it is smaller.
const HeadSize = 4096

// DefaultMaxBytes is the size limit of one file (DESIGN.md §5: 20 MB).
const DefaultMaxBytes = 20 << 20

// TypesAcceptes names the accepted types, for the upload form's hint.
const TypesAcceptes = "PDF, PNG, JPEG, OpenDocument, Office (docx, xlsx, pptx), CSV ou texte"

// InputAccept is the accept attribute of the upload form's file input: a hint to
// the browser's file picker only, since Sniff decides on the content.
const InputAccept = ".pdf,.png,.jpg,.jpeg,.odt,.ods,.odp,.odg,.docx,.xlsx,.pptx,.csv,.txt"

// ErrCorrupt is returned at the end of a download whose bytes do not match the
// SHA-256 stored at upload.
var ErrCorrupt = errors.New("stored content does not match its SHA-256")

// TooLargeError refuses a file bigger than Limit bytes.
//
// It unwraps to an EINVALID *domain.Error carrying the same message on the field
// "file", so the usual error pages and form summaries show it; errors.As finds the
// *TooLargeError itself when a caller wants to answer 413.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string {
	if e.Limit <= 0 {
		return "Le fichier dépasse la taille maximale autorisée."
	}
	return fmt.Sprintf("Le fichier dépasse la taille maximale de %s.", FormatTaille(e.Limit))
}

// Unwrap gives the form error behind the size refusal.
func (e *TooLargeError) Unwrap() error { return fileError(e.Error()) }

// fileError is an EINVALID error about the uploaded file, as a message and as the
// "file" field's error.
func fileError(msg string) *domain.Error {
	return &domain.Error{Code: domain.EINVALID, Message: msg, Fields: domain.FieldErrors{"file": msg}}
}

// FormatTaille writes a size in bytes the French way: "850 octets", "12 ko",
// "1,5 Mo", "20 Mo" (units of 1 024).
func FormatTaille(n int64) string {
	const ko, mo, gio = 1 << 10, 1 << 20, 1 << 30
	switch {
	case n < 2:
		return strconv.FormatInt(n, 10) + " octet"
	case n < ko:
		return strconv.FormatInt(n, 10) + " octets"
	case n < mo:
		return decimal(float64(n)/ko) + " ko"
	case n < gio:
		return decimal(float64(n)/mo) + " Mo"
	}
	return decimal(float64(n)/gio) + " Go"
}

// decimal writes x with at most one decimal, a comma as separator.
func decimal(x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return strings.Replace(s, ".", ",", 1)
}
