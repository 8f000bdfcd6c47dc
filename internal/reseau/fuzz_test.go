package reseau_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/unml/cadre/internal/reseau"
)

// FuzzParse feeds any bytes to the network CSV reader: it refuses them whole,
// with a *ParseError naming lines, or returns a plan the importer can apply
// without surprise (every ML's région and every site's ML in the plan, no code
// twice); it never panics. Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		plan, err := reseau.Parse(bytes.NewReader(data))
		if err != nil {
			var perr *reseau.ParseError
			if !errors.As(err, &perr) || len(perr.Problems) == 0 || plan != nil {
				t.Fatalf("Parse = %v, %v: want a plan or a *ParseError with problems", plan, err)
			}
			for _, p := range perr.Problems {
				if p.Message == "" {
					t.Fatalf("a problem without message at line %d", p.Line)
				}
			}
			return
		}
		regions, structures, sites := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, r := range plan.Regions {
			if r.Code == "" || regions[r.Code] {
				t.Fatalf("région %q empty or twice", r.Code)
			}
			regions[r.Code] = true
		}
		for _, s := range plan.Structures {
			if s.Code == "" || structures[s.Code] || !regions[s.RegionCode] {
				t.Fatalf("ML %q empty, twice, or in a région %q not in the plan", s.Code, s.RegionCode)
			}
			structures[s.Code] = true
		}
		for _, s := range plan.Sites {
			if s.Code == "" || sites[s.Code] || !structures[s.StructureCode] {
				t.Fatalf("site %q empty, twice, or of an ML %q not in the plan", s.Code, s.StructureCode)
			}
			sites[s.Code] = true
		}
	})
}
