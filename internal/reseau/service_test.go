package reseau_test

import (
	"context"
	"slices"
	"testing"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/reseau"
)

// fakeStore is the network in memory: two régions, one ML in each, one site.
// Reads honour the visibility as the SQL does; writes are recorded.
type fakeStore struct {
	regions    []domain.Region
	structures []domain.Structure
	sites      []domain.Site
	writes     []string
}

func newFake() *fakeStore {
	return &fakeStore{
		regions:    []domain.Region{{ID: 1, Code: "BRE", Nom: "Bretagne"}, {ID: 2, Code: "ARA", Nom: "Auvergne-Rhône-Alpes"}},
		structures: []domain.Structure{{ID: 10, Code: "ML-RENNES", Nom: "ML Rennes", RegionID: 1, Forme: domain.FormeAssociation}, {ID: 20, Code: "ML-LYON", Nom: "ML Lyon", RegionID: 2, Forme: domain.FormeAssociation}},
		sites:      []domain.Site{{ID: 100, StructureID: 10, Code: "RENNES-SIEGE", Nom: "Siège", Kind: "siege", Commune: "Rennes"}},
	}
}

func covers(v domain.Visibility, st domain.Structure) bool {
	return v.All || slices.Contains(v.RegionIDs, st.RegionID) || slices.Contains(v.StructureIDs, st.ID)
}

func (f *fakeStore) structure(v domain.Visibility, id int64) (domain.Structure, error) {
	for _, st := range f.structures {
		if st.ID == id && covers(v, st) {
			return st, nil
		}
	}
	return domain.Structure{}, domain.Errorf(domain.ENOTFOUND, "introuvable")
}

func (f *fakeStore) ListRegions(_ context.Context, v domain.Visibility) ([]domain.Region, error) {
	return f.regions, nil
}

func (f *fakeStore) Region(_ context.Context, v domain.Visibility, id int64) (domain.Region, error) {
	for _, r := range f.regions {
		if r.ID == id && (v.All || slices.Contains(v.RegionIDs, id)) {
			return r, nil
		}
	}
	return domain.Region{}, domain.Errorf(domain.ENOTFOUND, "introuvable")
}

func (f *fakeStore) ListStructures(_ context.Context, v domain.Visibility, regionID int64) ([]reseau.StructureRow, error) {
	var rows []reseau.StructureRow
	for _, st := range f.structures {
		if covers(v, st) && (regionID == 0 || st.RegionID == regionID) {
			rows = append(rows, reseau.StructureRow{Structure: st})
		}
	}
	return rows, nil
}

func (f *fakeStore) Structure(_ context.Context, v domain.Visibility, id int64) (domain.Structure, error) {
	return f.structure(v, id)
}

func (f *fakeStore) Sites(_ context.Context, v domain.Visibility, structureID int64) ([]domain.Site, error) {
	if _, err := f.structure(v, structureID); err != nil {
		return nil, err
	}
	return f.sites, nil
}

func (f *fakeStore) Site(_ context.Context, v domain.Visibility, id int64) (domain.Site, error) {
	for _, s := range f.sites {
		if _, err := f.structure(v, s.StructureID); err == nil && s.ID == id {
			return s, nil
		}
	}
	return domain.Site{}, domain.Errorf(domain.ENOTFOUND, "introuvable")
}

func (f *fakeStore) StructureHistory(context.Context, domain.Visibility, int64) ([]reseau.RegionStint, error) {
	return nil, nil
}

func (f *fakeStore) CreateRegion(_ context.Context, _ *domain.Actor, r domain.Region) (int64, error) {
	f.writes = append(f.writes, "create region "+r.Code)
	return 3, nil
}

func (f *fakeStore) UpdateRegion(_ context.Context, _ *domain.Actor, r domain.Region) error {
	f.writes = append(f.writes, "update region "+r.Code)
	return nil
}

func (f *fakeStore) CreateStructure(_ context.Context, _ *domain.Actor, st domain.Structure) (int64, error) {
	f.writes = append(f.writes, "create structure "+st.Code)
	return 30, nil
}

func (f *fakeStore) UpdateStructure(_ context.Context, _ *domain.Actor, st domain.Structure) error {
	f.writes = append(f.writes, "update structure "+st.Code)
	return nil
}

func (f *fakeStore) CreateSite(_ context.Context, _ *domain.Actor, s domain.Site) (int64, error) {
	f.writes = append(f.writes, "create site "+s.Code)
	return 101, nil
}

func (f *fakeStore) UpdateSite(_ context.Context, _ *domain.Actor, s domain.Site) error {
	f.writes = append(f.writes, "update site "+s.Code)
	return nil
}

func (f *fakeStore) ImportNetwork(context.Context, *domain.Actor, *reseau.Plan, bool) (reseau.Changes, error) {
	f.writes = append(f.writes, "import")
	return nil, nil
}

var (
	pole     = &domain.Actor{UserID: 1, Memberships: []domain.Membership{{Role: domain.RolePole}}}
	admin    = &domain.Actor{UserID: 2, Memberships: []domain.Membership{{Role: domain.RoleAdmin}}}
	referent = &domain.Actor{UserID: 3, Memberships: []domain.Membership{{Role: domain.RoleReferentARML, RegionID: 1}}}
	director = &domain.Actor{UserID: 4, Memberships: []domain.Membership{{Role: domain.RoleDirecteur, StructureID: 10, RegionID: 1}}}
)

// TestOnlyTheNationalTeamChangesTheNetwork: each write is refused, and stores
// nothing, for everyone but the national team; another tenant's object is
// ENOTFOUND before it is EFORBIDDEN.
func TestOnlyTheNationalTeamChangesTheNetwork(t *testing.T) {
	ctx := t.Context()
	goodSite := domain.Site{ID: 100, StructureID: 10, Code: "RENNES-SIEGE", Nom: "Siège", Kind: "siege", Commune: "Rennes"}
	writes := map[string]func(s *reseau.Service, a *domain.Actor) error{
		"create region": func(s *reseau.Service, a *domain.Actor) error {
			_, err := s.CreateRegion(ctx, a, domain.Region{Code: "NOR", Nom: "Normandie"})
			return err
		},
		"update region": func(s *reseau.Service, a *domain.Actor) error {
			return s.UpdateRegion(ctx, a, domain.Region{ID: 1, Code: "BRE", Nom: "Bretagne"})
		},
		"create structure": func(s *reseau.Service, a *domain.Actor) error {
			_, err := s.CreateStructure(ctx, a, domain.Structure{Code: "ML-BREST", Nom: "ML Brest", RegionID: 1, Forme: domain.FormeAssociation})
			return err
		},
		"update structure": func(s *reseau.Service, a *domain.Actor) error {
			return s.UpdateStructure(ctx, a, domain.Structure{ID: 10, Code: "ML-RENNES", Nom: "ML Rennes", RegionID: 1, Forme: domain.FormeAssociation})
		},
		"create site": func(s *reseau.Service, a *domain.Actor) error {
			site := goodSite
			site.ID, site.Code = 0, "RENNES-ANT"
			site.Kind = "antenne"
			_, err := s.CreateSite(ctx, a, site)
			return err
		},
		"update site": func(s *reseau.Service, a *domain.Actor) error { return s.UpdateSite(ctx, a, goodSite) },
		"import": func(s *reseau.Service, a *domain.Actor) error {
			_, err := s.Import(ctx, a, &reseau.Plan{}, false)
			return err
		},
	}
	for name, write := range writes {
		for _, tc := range []struct {
			who   string
			actor *domain.Actor
			code  string
		}{{"pole", pole, ""}, {"admin", admin, domain.EFORBIDDEN}, {"referent", referent, domain.EFORBIDDEN}, {"director", director, domain.EFORBIDDEN}, {"visitor", nil, domain.EFORBIDDEN}} {
			f := newFake()
			err := write(reseau.NewService(f), tc.actor)
			if tc.code == "" && err != nil {
				t.Errorf("%s as %s: %v", name, tc.who, err)
			}
			if tc.code != "" {
				// A visitor or a director may not even see some objects: not found is as good a refusal.
				if got := domain.ErrorCode(err); got != tc.code && got != domain.ENOTFOUND {
					t.Errorf("%s as %s: %v, want %s", name, tc.who, err, tc.code)
				}
				if len(f.writes) > 0 {
					t.Errorf("%s as %s wrote %v", name, tc.who, f.writes)
				}
			}
		}
	}
	// Lyon's ML is another tenant for Rennes' director: not found, not forbidden.
	err := reseau.NewService(newFake()).UpdateStructure(ctx, director, domain.Structure{ID: 20, Code: "ML-LYON", Nom: "x", RegionID: 2, Forme: domain.FormeAssociation})
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("director updating another ML: %v, want not found", err)
	}
}

// TestNetworkFormsAreValidatedBeforeAnyWrite: bad fields and an unknown région
// are field errors, and nothing is stored.
func TestNetworkFormsAreValidatedBeforeAnyWrite(t *testing.T) {
	ctx := t.Context()
	for name, tc := range map[string]struct {
		write func(*reseau.Service) error
		field string
	}{
		"région without code": {func(s *reseau.Service) error {
			_, err := s.CreateRegion(ctx, pole, domain.Region{Nom: "Normandie"})
			return err
		}, "code"},
		"ML in an unknown région": {func(s *reseau.Service) error {
			_, err := s.CreateStructure(ctx, pole, domain.Structure{Code: "ML-X", Nom: "X", RegionID: 99, Forme: domain.FormeAssociation})
			return err
		}, "region"},
		"site without commune": {func(s *reseau.Service) error {
			_, err := s.CreateSite(ctx, pole, domain.Site{StructureID: 10, Code: "X", Nom: "X", Kind: "antenne"})
			return err
		}, "commune"},
	} {
		f := newFake()
		err := tc.write(reseau.NewService(f))
		if _, ok := domain.ErrorFields(err)[tc.field]; !ok || domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s: %v, want a field error on %s", name, err, tc.field)
		}
		if len(f.writes) > 0 {
			t.Errorf("%s wrote %v", name, f.writes)
		}
	}
}

// TestNetworkReadsFollowTheVisibility: a région's référent sees its région and
// its MLs, not another's; a role without network sees nothing.
func TestNetworkReadsFollowTheVisibility(t *testing.T) {
	ctx := t.Context()
	s := reseau.NewService(newFake())
	if _, err := s.Region(ctx, referent, 1); err != nil {
		t.Errorf("référent's own région: %v", err)
	}
	if rows, err := s.Structures(ctx, referent, 1); err != nil || len(rows) != 1 || rows[0].ID != 10 {
		t.Errorf("référent's own région's MLs: %v, %v", rows, err)
	}
	if rows, err := s.Structures(ctx, referent, 2); err != nil || len(rows) != 0 {
		t.Errorf("référent's view of another région's MLs: %v, %v", rows, err)
	}
	if _, err := s.Region(ctx, referent, 2); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("référent reading another région: %v", err)
	}
	auditeur := &domain.Actor{UserID: 5, Memberships: []domain.Membership{{Role: domain.RoleAuditeur}}}
	if _, _, err := s.Network(ctx, auditeur); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("an auditor's network: %v, want forbidden", err)
	}
	if _, err := s.AllRegions(ctx, referent); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("a référent listing every région for the forms: %v", err)
	}
}
