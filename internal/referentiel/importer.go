package referentiel

import (
	"context"
	"fmt"
	"io/fs"
)

// DefaultCode is the code of the cadre commun, the référentiel shown by default.
const DefaultCode = "cadre-commun"

// Importer stores parsed référentiels; created is false when the same content was
// already there. It refuses other content under an existing code and version.
type Importer interface {
	ImportReferentiel(ctx context.Context, r *Referentiel) (created bool, err error)
}

// ImportFS parses every référentiel file of fsys and imports each one, returning
// those newly created as "code version". Nothing is imported if a file is invalid.
func ImportFS(ctx context.Context, imp Importer, fsys fs.FS) ([]string, error) {
	refs, err := ParseFS(fsys)
	if err != nil {
		return nil, err
	}
	var created []string
	for _, r := range refs {
		ok, err := imp.ImportReferentiel(ctx, r)
		if err != nil {
			return created, fmt.Errorf("référentiel %s %s: %w", r.Code, r.Version, err)
		}
		if ok {
			created = append(created, r.Code+" "+r.Version)
		}
	}
	return created, nil
}
