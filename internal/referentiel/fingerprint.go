package referentiel

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Fingerprint returns the SHA-256, in hex, of a canonical JSON encoding of the
// parsed tree. It is taken from the tree rather than the bytes so that comments,
// quoting and indentation may change freely while any change of content under an
// existing version is caught at import. Line numbers are left out for the same
// reason, and optional fields are omitted when empty so that a field added to the
// format later does not change the fingerprints of files that do not use it.
func (r *Referentiel) Fingerprint() string {
	b, err := json.Marshal(r)
	if err != nil {
		// The tree holds only strings, ints, bools and slices of them.
		panic("referentiel: fingerprint: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
