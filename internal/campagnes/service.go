package campagnes

import (
	"context"

	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
)

// Service is the only door to campaigns: it asks the policy (domain.Actor.Can),
// validates, and calls the store. Campaigns are national objects managed by the
// national team: anyone else gets EFORBIDDEN, before the store is asked, so that
// whether a campaign exists is not told to them either.
type Service struct {
	store Store
}

// NewService returns the rules of campaigns on store.
func NewService(store Store) *Service {
	return &Service{store: store}
}

// CampagneRow is a campaign with what the list of campaigns shows of it.
type CampagneRow struct {
	Campagne
	// Structures counts the MLs the campaign concerns.
	Structures int
	// Etats counts the campaign's auto-évaluations per state (none before it opens).
	Etats map[demarche.Etat]int
}

// Soumises counts the auto-évaluations submitted, whatever happened to them since:
// every one not en cours.
func (c CampagneRow) Soumises() int {
	n := 0
	for e, count := range c.Etats {
		if e != demarche.EnCours {
			n += count
		}
	}
	return n
}

// CampagneStructure is an ML a campaign concerns, with its auto-évaluation once
// the campaign is open.
type CampagneStructure struct {
	StructureID int64
	Code, Nom   string
	RegionID    int64
	RegionNom   string
	// AutoevaluationID is 0 and Etat empty until the campaign opens.
	AutoevaluationID int64
	Etat             demarche.Etat
}

// Store is the storage of campaigns; internal/postgres implements it. Campaigns
// are national, so no method takes a tenant scope: the Service asks the policy
// first. Writes take the actor (nil: the system, as the demo seed).
type Store interface {
	// ListCampagnes returns every campaign, the latest opening first, with the
	// number of MLs concerned and of auto-évaluations per state.
	ListCampagnes(ctx context.Context) ([]CampagneRow, error)
	// Campagne returns one campaign; ENOTFOUND if there is none.
	Campagne(ctx context.Context, id int64) (Campagne, error)
	// CampagneStructures returns the MLs a campaign concerns, by région then
	// name, with their auto-évaluation once it is open; ENOTFOUND if there is no
	// such campaign.
	CampagneStructures(ctx context.Context, id int64) ([]CampagneStructure, error)
	// CreateCampagne stores a new campaign, in preparation, concerning the MLs of
	// structureIDs, or every ML when there is none. EINVALID with field errors
	// when Validate refuses it, on referentiel for an unknown version and on
	// structures for an unknown ML or a network without any; nothing is written.
	CreateCampagne(ctx context.Context, actor *domain.Actor, c Campagne, structureIDs []int64) (int64, error)
	// OpenCampagne takes TrOuvrir under the campaign's lock and gives each ML it
	// concerns its auto-évaluation, en cours, in the same transaction; it returns
	// how many it created. ENOTFOUND if there is no such campaign, ECONFLICT (the
	// message of Next) unless it is in preparation.
	OpenCampagne(ctx context.Context, actor *domain.Actor, id int64) (int, error)
	// CloseCampagne takes TrClore under the campaign's lock. ENOTFOUND if there is
	// no such campaign, ECONFLICT (the message of Next) unless it is open.
	CloseCampagne(ctx context.Context, actor *domain.Actor, id int64) error
}

var errForbidden = domain.Errorf(domain.EFORBIDDEN, "Votre rôle ne permet pas cette action.")

// MayManage returns EFORBIDDEN unless actor manages campaigns (the national team).
func (s *Service) MayManage(actor *domain.Actor) error {
	if !actor.Can(domain.ActManageCampaigns, domain.Scope{}) {
		return errForbidden
	}
	return nil
}

// List returns every campaign, the latest opening first, with its counts;
// EFORBIDDEN unless actor manages campaigns.
func (s *Service) List(ctx context.Context, actor *domain.Actor) ([]CampagneRow, error) {
	if err := s.MayManage(actor); err != nil {
		return nil, err
	}
	return s.store.ListCampagnes(ctx)
}

// Campagne returns a campaign and the MLs it concerns, with their auto-évaluation
// once it is open: EFORBIDDEN unless actor manages campaigns, then ENOTFOUND.
func (s *Service) Campagne(ctx context.Context, actor *domain.Actor, id int64) (Campagne, []CampagneStructure, error) {
	if err := s.MayManage(actor); err != nil {
		return Campagne{}, nil, err
	}
	c, err := s.store.Campagne(ctx, id)
	if err != nil {
		return c, nil, err
	}
	structures, err := s.store.CampagneStructures(ctx, id)
	return c, structures, err
}

// Create adds a campaign in preparation concerning the MLs of structureIDs
// (none: every ML of the network now): EFORBIDDEN unless actor manages
// campaigns, EINVALID with field errors (nom, referentiel, ouverture, cloture,
// structures).
func (s *Service) Create(ctx context.Context, actor *domain.Actor, c Campagne, structureIDs []int64) (int64, error) {
	if err := s.MayManage(actor); err != nil {
		return 0, err
	}
	if err := Validate(c); err != nil {
		return 0, err
	}
	return s.store.CreateCampagne(ctx, actor, c, structureIDs)
}

// Open opens a campaign in preparation and creates the auto-évaluation of every
// ML it concerns; it returns how many it created. EFORBIDDEN unless actor
// manages campaigns, ENOTFOUND, ECONFLICT unless the campaign is in preparation.
func (s *Service) Open(ctx context.Context, actor *domain.Actor, id int64) (int, error) {
	if err := s.MayManage(actor); err != nil {
		return 0, err
	}
	return s.store.OpenCampagne(ctx, actor, id)
}

// Close closes an open campaign: EFORBIDDEN unless actor manages campaigns,
// ENOTFOUND, ECONFLICT unless the campaign is open.
func (s *Service) Close(ctx context.Context, actor *domain.Actor, id int64) error {
	if err := s.MayManage(actor); err != nil {
		return err
	}
	return s.store.CloseCampagne(ctx, actor, id)
}
