package preuves

import "io"

// Upload is a file on its way into the library: the name its sender gave it and
// its bytes, read once as a stream. The store judges, hashes and keeps it in the
// same transaction as the piece or version it belongs to, so a refusal or a cut
// stream leaves nothing behind.
type Upload struct {
	// Name is the file name as sent; the stored name is StoredName(Name, type).
	Name string
	// Content is read to its end; an error while reading (a cut upload, a second
	// part where none is allowed) aborts the whole write.
	Content io.Reader
	// MaxBytes is the size limit; DefaultMaxBytes when not positive.
	MaxBytes int64
}
