package referentiel_test

import (
	"errors"
	"testing"

	"github.com/unml/cadre/internal/referentiel"
)

// FuzzParse feeds any bytes to the référentiel loader: it may refuse them, with
// a *ValidationError listing problems, but never panic; and what it accepts is
// a whole tree, whose fingerprint does not depend on the run. The seed corpus
// (testdata/fuzz/FuzzParse) holds the test fixture, pieces of it, and broken
// YAML; under `go test` only the seeds run.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := referentiel.Parse("fuzz.yaml", data)
		if err != nil {
			var verr *referentiel.ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) == 0 || r != nil {
				t.Fatalf("Parse = %v, %v: want a tree or a *ValidationError with problems", r, err)
			}
			return
		}
		if r.Code == "" || r.Version == "" || len(r.Items()) == 0 {
			t.Fatalf("accepted a référentiel without code, version or items: %+v", r)
		}
		again, err := referentiel.Parse("fuzz.yaml", data)
		if err != nil || again.Fingerprint() != r.Fingerprint() {
			t.Fatalf("parsing twice differs: %v", err)
		}
	})
}
