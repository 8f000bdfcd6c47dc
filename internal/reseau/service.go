package reseau

import (
	"context"
	"time"

	"github.com/unml/cadre/internal/domain"
)

// Service is the only door to the network (régions, Missions Locales, sites): it
// asks the policy (domain.Actor.Can), validates, and calls the store. Another
// tenant's object answers ENOTFOUND; one the person sees but may not change,
// EFORBIDDEN.
type Service struct {
	store Store
}

// NewService returns the network's rules on store.
func NewService(store Store) *Service {
	return &Service{store: store}
}

// StructureRow is a Mission Locale with what lists show of it.
type StructureRow struct {
	domain.Structure
	RegionCode string
	Sites      int
}

// RegionStint is a period of an ML in a région.
type RegionStint struct {
	RegionNom string
	Since     time.Time
	Until     *time.Time
}

// Store is the storage of the network; internal/postgres implements it. Reads
// take the visibility of the person and return ENOTFOUND for an object it does
// not cover; writes take the actor and return EINVALID with field errors on a
// taken code (and, for sites, a second siège), ENOTFOUND when the object is gone.
type Store interface {
	ListRegions(ctx context.Context, v domain.Visibility) ([]domain.Region, error)
	Region(ctx context.Context, v domain.Visibility, id int64) (domain.Region, error)
	// ListStructures lists the MLs v covers, of one région (0: all), by name.
	ListStructures(ctx context.Context, v domain.Visibility, regionID int64) ([]StructureRow, error)
	Structure(ctx context.Context, v domain.Visibility, id int64) (domain.Structure, error)
	Sites(ctx context.Context, v domain.Visibility, structureID int64) ([]domain.Site, error)
	Site(ctx context.Context, v domain.Visibility, id int64) (domain.Site, error)
	// StructureHistory lists the régions of an ML, the current one first.
	StructureHistory(ctx context.Context, v domain.Visibility, structureID int64) ([]RegionStint, error)

	CreateRegion(ctx context.Context, actor *domain.Actor, r domain.Region) (int64, error)
	UpdateRegion(ctx context.Context, actor *domain.Actor, r domain.Region) error
	CreateStructure(ctx context.Context, actor *domain.Actor, st domain.Structure) (int64, error)
	// UpdateStructure moves the ML when its région changes, keeping the history.
	UpdateStructure(ctx context.Context, actor *domain.Actor, st domain.Structure) error
	CreateSite(ctx context.Context, actor *domain.Actor, site domain.Site) (int64, error)
	UpdateSite(ctx context.Context, actor *domain.Actor, site domain.Site) error
	// ImportNetwork applies a plan in one transaction (nothing with dryRun) and
	// returns what it changes; a *ParseError names the lines the schema refuses.
	ImportNetwork(ctx context.Context, actor *domain.Actor, plan *Plan, dryRun bool) (Changes, error)
}

var errForbidden = domain.Errorf(domain.EFORBIDDEN, "Votre rôle ne permet pas cette action.")

// MayManage returns EFORBIDDEN unless actor manages the network (the national team).
func (s *Service) MayManage(actor *domain.Actor) error {
	if !actor.Can(domain.ActManageReseau, domain.Scope{}) {
		return errForbidden
	}
	return nil
}

// Network returns the régions and MLs actor may see; EFORBIDDEN for a role that
// sees no network.
func (s *Service) Network(ctx context.Context, actor *domain.Actor) ([]domain.Region, []StructureRow, error) {
	if !actor.Can(domain.ActViewReseau, domain.Scope{}) {
		return nil, nil, errForbidden
	}
	vis := actor.Visible(domain.ActViewStructure)
	regions, err := s.store.ListRegions(ctx, vis)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.store.ListStructures(ctx, vis, 0)
	return regions, rows, err
}

// AllRegions returns every région, for the national team's forms.
func (s *Service) AllRegions(ctx context.Context, actor *domain.Actor) ([]domain.Region, error) {
	if err := s.MayManage(actor); err != nil {
		return nil, err
	}
	return s.store.ListRegions(ctx, domain.Visibility{All: true})
}

// Region returns a région actor may see; ENOTFOUND otherwise.
func (s *Service) Region(ctx context.Context, actor *domain.Actor, id int64) (domain.Region, error) {
	return s.store.Region(ctx, actor.Visible(domain.ActViewRegion), id)
}

// Structures returns the MLs of a région (0: all) that actor may see, by name.
func (s *Service) Structures(ctx context.Context, actor *domain.Actor, regionID int64) ([]StructureRow, error) {
	return s.store.ListStructures(ctx, actor.Visible(domain.ActViewStructure), regionID)
}

// Structure returns an ML whose act actor may do (ActViewStructure for its page,
// ActViewPreuves for its library…); ENOTFOUND otherwise.
func (s *Service) Structure(ctx context.Context, actor *domain.Actor, act domain.Action, id int64) (domain.Structure, error) {
	return s.store.Structure(ctx, actor.Visible(act), id)
}

// Sites returns the sites of an ML whose act actor may do.
func (s *Service) Sites(ctx context.Context, actor *domain.Actor, act domain.Action, structureID int64) ([]domain.Site, error) {
	return s.store.Sites(ctx, actor.Visible(act), structureID)
}

// Site returns a site of an ML actor may see.
func (s *Service) Site(ctx context.Context, actor *domain.Actor, id int64) (domain.Site, error) {
	return s.store.Site(ctx, actor.Visible(domain.ActViewStructure), id)
}

// History returns the régions of an ML actor may see, the current one first.
func (s *Service) History(ctx context.Context, actor *domain.Actor, structureID int64) ([]RegionStint, error) {
	return s.store.StructureHistory(ctx, actor.Visible(domain.ActViewStructure), structureID)
}

// CreateRegion adds a région (the national team); EINVALID with field errors.
func (s *Service) CreateRegion(ctx context.Context, actor *domain.Actor, reg domain.Region) (int64, error) {
	if err := s.MayManage(actor); err != nil {
		return 0, err
	}
	reg.Normalize()
	if err := reg.Validate(); err != nil {
		return 0, err
	}
	return s.store.CreateRegion(ctx, actor, reg)
}

// UpdateRegion changes a région: ENOTFOUND unless actor sees it, EFORBIDDEN
// unless they manage the network, EINVALID with field errors.
func (s *Service) UpdateRegion(ctx context.Context, actor *domain.Actor, reg domain.Region) error {
	if _, err := s.store.Region(ctx, actor.Visible(domain.ActViewRegion), reg.ID); err != nil {
		return err
	}
	if err := s.MayManage(actor); err != nil {
		return err
	}
	reg.Normalize()
	if err := reg.Validate(); err != nil {
		return err
	}
	return s.store.UpdateRegion(ctx, actor, reg)
}

// checkStructure validates an ML and its région, which must exist.
func (s *Service) checkStructure(ctx context.Context, st domain.Structure) error {
	if err := st.Validate(); err != nil {
		return err
	}
	if _, err := s.store.Region(ctx, domain.Visibility{All: true}, st.RegionID); domain.ErrorCode(err) == domain.ENOTFOUND {
		return domain.FieldErrors{"region": "Choisissez une région de la liste."}.Err()
	} else if err != nil {
		return err
	}
	return nil
}

// CreateStructure adds an ML (the national team); EINVALID with field errors.
func (s *Service) CreateStructure(ctx context.Context, actor *domain.Actor, st domain.Structure) (int64, error) {
	if err := s.MayManage(actor); err != nil {
		return 0, err
	}
	st.Normalize()
	if err := s.checkStructure(ctx, st); err != nil {
		return 0, err
	}
	return s.store.CreateStructure(ctx, actor, st)
}

// UpdateStructure changes an ML, moving it when its région changes: ENOTFOUND
// unless actor sees it, EFORBIDDEN unless they manage the network, EINVALID.
func (s *Service) UpdateStructure(ctx context.Context, actor *domain.Actor, st domain.Structure) error {
	if _, err := s.store.Structure(ctx, actor.Visible(domain.ActViewStructure), st.ID); err != nil {
		return err
	}
	if err := s.MayManage(actor); err != nil {
		return err
	}
	st.Normalize()
	if err := s.checkStructure(ctx, st); err != nil {
		return err
	}
	return s.store.UpdateStructure(ctx, actor, st)
}

// CreateSite adds a site to the ML site.StructureID: ENOTFOUND unless actor sees
// the ML, EFORBIDDEN unless they manage the network, EINVALID.
func (s *Service) CreateSite(ctx context.Context, actor *domain.Actor, site domain.Site) (int64, error) {
	if _, err := s.store.Structure(ctx, actor.Visible(domain.ActViewStructure), site.StructureID); err != nil {
		return 0, err
	}
	if err := s.MayManage(actor); err != nil {
		return 0, err
	}
	site.Normalize()
	if err := site.Validate(); err != nil {
		return 0, err
	}
	return s.store.CreateSite(ctx, actor, site)
}

// UpdateSite changes a site, which stays with its ML: ENOTFOUND unless actor
// sees it, EFORBIDDEN unless they manage the network, EINVALID.
func (s *Service) UpdateSite(ctx context.Context, actor *domain.Actor, site domain.Site) error {
	cur, err := s.store.Site(ctx, actor.Visible(domain.ActViewStructure), site.ID)
	if err != nil {
		return err
	}
	if err := s.MayManage(actor); err != nil {
		return err
	}
	site.StructureID = cur.StructureID
	site.Normalize()
	if err := site.Validate(); err != nil {
		return err
	}
	return s.store.UpdateSite(ctx, actor, site)
}

// Import applies a network file (the national team; the command line's
// operator); with dryRun it only says what would change.
func (s *Service) Import(ctx context.Context, actor *domain.Actor, plan *Plan, dryRun bool) (Changes, error) {
	if err := s.MayManage(actor); err != nil {
		return nil, err
	}
	return s.store.ImportNetwork(ctx, actor, plan, dryRun)
}
