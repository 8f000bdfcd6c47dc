package postgres

import (
	"context"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/preuves"
)

// Test hooks: the content of a file stored on its own, then used by a piece or a
// version, so that content rules and piece rules can be tested apart. The
// application always stores both in one transaction (CreatePreuve, AddVersion).

// PutContent stores a file of the ML in a transaction of its own.
func (s *Store) PutContent(ctx context.Context, structureID int64, r io.Reader, filename string, maxBytes int64) (int64, error) {
	var id int64
	err := s.inTx(ctx, nil, "put content", func(tx *jtx) (err error) {
		id, _, err = putContent(ctx, tx, structureID, preuves.Upload{Name: filename, Content: r, MaxBytes: maxBytes})
		return err
	})
	return id, err
}

// CreatePreuveContent is CreatePreuve by the person by (0: the system) with
// content stored before (0: none).
func (s *Store) CreatePreuveContent(ctx context.Context, p domain.Preuve, contentID int64, filename string, by int64) (int64, error) {
	return s.createPreuve(ctx, Person(by), p, contentID != 0, existingContent(ctx, p.StructureID, contentID, filename))
}

// AddVersionContent is AddVersion by the person by with content stored before.
func (s *Store) AddVersionContent(ctx context.Context, structureID, preuveID, contentID int64, filename string, by int64) (int, error) {
	return s.addVersion(ctx, Person(by), structureID, preuveID, existingContent(ctx, structureID, contentID, filename))
}

// Person is the actor of the person userID for the writes of a test; nil (the
// system) for 0.
func Person(userID int64) *domain.Actor {
	if userID == 0 {
		return nil
	}
	return &domain.Actor{UserID: userID}
}

func existingContent(ctx context.Context, structureID, contentID int64, filename string) contentFunc {
	return func(tx pgx.Tx) (int64, string, error) {
		if contentID == 0 {
			return 0, "", nil
		}
		return contentID, preuves.CleanName(filename), checkContent(ctx, tx, structureID, contentID)
	}
}

// ScopeSQL is the statement with which the store sets the row-level security
// scope of a transaction: scope "system", "national" or "tenant", with these
// régions and Missions Locales.
func ScopeSQL(scope string, regions, structures []int64) string {
	return tenant{scope: scope, regions: regions, structures: structures}.setSQL()
}
