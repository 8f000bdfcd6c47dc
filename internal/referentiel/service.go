package referentiel

import (
	"context"
	"time"
)

// Info describes one imported version of a référentiel.
type Info struct {
	ID         int64
	Code       string
	Version    string
	Titre      string
	ImportedAt time.Time
	Items      int
}

// Store is the storage of référentiels; internal/postgres implements it. A
// version, once imported, never changes, so the trees it returns are shared and
// must not be modified.
type Store interface {
	Importer
	// ListReferentiels returns every imported version, the newest import first.
	ListReferentiels(ctx context.Context) ([]Info, error)
	// Referentiel returns a version's tree and id; version "" is the newest
	// import of code. ENOTFOUND when there is none.
	Referentiel(ctx context.Context, code, version string) (*Referentiel, int64, error)
	// ReferentielByID returns a version's tree; ENOTFOUND when there is none.
	ReferentielByID(ctx context.Context, id int64) (*Referentiel, error)
	// SearchReferentiel returns the codes of the items of a version whose code,
	// text or précisions hold every word of query, ignoring accents and case.
	SearchReferentiel(ctx context.Context, refID int64, query string) (map[string]bool, error)
	// ItemID returns the id of an item of a version; ENOTFOUND when it has none.
	ItemID(ctx context.Context, refID int64, code string) (int64, error)
}

// Service reads the référentiels, which every signed-in person may read, and
// imports new versions (the national team, the command line, start-up).
type Service struct {
	store Store
}

// NewService returns the référentiels of store.
func NewService(store Store) *Service {
	return &Service{store: store}
}

// List returns every imported version, the newest import first.
func (s *Service) List(ctx context.Context) ([]Info, error) { return s.store.ListReferentiels(ctx) }

// Get returns a version's tree and id; version "" is the newest import of code.
func (s *Service) Get(ctx context.Context, code, version string) (*Referentiel, int64, error) {
	return s.store.Referentiel(ctx, code, version)
}

// Default returns the newest version of the cadre commun and its id.
func (s *Service) Default(ctx context.Context) (*Referentiel, int64, error) {
	return s.store.Referentiel(ctx, DefaultCode, "")
}

// ByID returns a version's tree.
func (s *Service) ByID(ctx context.Context, id int64) (*Referentiel, error) {
	return s.store.ReferentielByID(ctx, id)
}

// Search returns the codes of the items of a version matching query.
func (s *Service) Search(ctx context.Context, refID int64, query string) (map[string]bool, error) {
	return s.store.SearchReferentiel(ctx, refID, query)
}

// ItemID returns the id of an item of a version; ENOTFOUND when it has none.
func (s *Service) ItemID(ctx context.Context, refID int64, code string) (int64, error) {
	return s.store.ItemID(ctx, refID, code)
}
