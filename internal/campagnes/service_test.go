package campagnes_test

import (
	"context"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/domain"
)

// fakeStore keeps campaigns in memory and records the store calls, so that the
// service's rules are tested without a database.
type fakeStore struct {
	campagnes  map[int64]campagnes.Campagne
	structures map[int64][]campagnes.CampagneStructure
	calls      []string
	// actors are the actors the writes received.
	actors []*domain.Actor
	// created is the last campaign written, with its MLs.
	created    campagnes.Campagne
	createdIDs []int64
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		campagnes: map[int64]campagnes.Campagne{
			1: {ID: 1, Nom: "Campagne 2025", Etat: campagnes.EtatClose},
			2: {ID: 2, Nom: "Campagne 2026", Etat: campagnes.EtatPreparation},
		},
		structures: map[int64][]campagnes.CampagneStructure{
			2: {{StructureID: 10, Nom: "Mission Locale de Rennes"}, {StructureID: 11, Nom: "Mission Locale de Brest"}},
		},
	}
}

var errNotFound = domain.Errorf(domain.ENOTFOUND, "Campagne introuvable.")

func (f *fakeStore) ListCampagnes(context.Context) ([]campagnes.CampagneRow, error) {
	f.calls = append(f.calls, "ListCampagnes")
	var rows []campagnes.CampagneRow
	for _, c := range f.campagnes {
		rows = append(rows, campagnes.CampagneRow{Campagne: c, Structures: len(f.structures[c.ID])})
	}
	return rows, nil
}

func (f *fakeStore) Campagne(_ context.Context, id int64) (campagnes.Campagne, error) {
	f.calls = append(f.calls, "Campagne")
	c, ok := f.campagnes[id]
	if !ok {
		return c, errNotFound
	}
	return c, nil
}

func (f *fakeStore) CampagneStructures(_ context.Context, id int64) ([]campagnes.CampagneStructure, error) {
	f.calls = append(f.calls, "CampagneStructures")
	if _, ok := f.campagnes[id]; !ok {
		return nil, errNotFound
	}
	return f.structures[id], nil
}

func (f *fakeStore) CreateCampagne(_ context.Context, actor *domain.Actor, c campagnes.Campagne, ids []int64) (int64, error) {
	f.calls = append(f.calls, "CreateCampagne")
	f.actors = append(f.actors, actor)
	c.ID, c.Etat = int64(len(f.campagnes)+1), campagnes.EtatPreparation
	f.campagnes[c.ID] = c
	f.created, f.createdIDs = c, ids
	return c.ID, nil
}

// transition plays the store's part: the row's state, asked to the table.
func (f *fakeStore) transition(actor *domain.Actor, id int64, t campagnes.Transition) error {
	f.actors = append(f.actors, actor)
	c, ok := f.campagnes[id]
	if !ok {
		return errNotFound
	}
	to, err := campagnes.Next(c.Nom, c.Etat, t)
	if err != nil {
		return err
	}
	c.Etat = to
	f.campagnes[id] = c
	return nil
}

func (f *fakeStore) OpenCampagne(_ context.Context, actor *domain.Actor, id int64) (int, error) {
	f.calls = append(f.calls, "OpenCampagne")
	if err := f.transition(actor, id, campagnes.TrOuvrir); err != nil {
		return 0, err
	}
	return len(f.structures[id]), nil
}

func (f *fakeStore) CloseCampagne(_ context.Context, actor *domain.Actor, id int64) error {
	f.calls = append(f.calls, "CloseCampagne")
	return f.transition(actor, id, campagnes.TrClore)
}

func actorWith(role domain.Role) *domain.Actor {
	m := domain.Membership{Role: role}
	switch role.ScopeKind() {
	case "structure":
		m.StructureID = 10
	case "region":
		m.RegionID = 1
	}
	return &domain.Actor{UserID: 7, Memberships: []domain.Membership{m}}
}

func validCampagne() campagnes.Campagne {
	return campagnes.Campagne{Nom: "Campagne 2027", ReferentielID: 1, Ouverture: date("2027-01-10"), Cloture: date("2027-03-10")}
}

func TestServiceRefusesAnyoneButTheNationalTeam(t *testing.T) {
	actors := map[string]*domain.Actor{"nobody": nil, "no membership": {UserID: 7}}
	for _, role := range domain.Roles {
		if role != domain.RolePole {
			actors[string(role)] = actorWith(role)
		}
	}
	for name, a := range actors {
		store := newFakeStore()
		svc := campagnes.NewService(store)
		ctx := t.Context()
		errs := map[string]error{"MayManage": svc.MayManage(a)}
		_, errs["List"] = svc.List(ctx, a)
		_, _, errs["Campagne"] = svc.Campagne(ctx, a, 2)
		// An unknown campaign is refused the same: its absence is not told.
		_, _, errs["Campagne unknown"] = svc.Campagne(ctx, a, 99)
		_, errs["Create"] = svc.Create(ctx, a, validCampagne(), nil)
		_, errs["Open"] = svc.Open(ctx, a, 2)
		errs["Close"] = svc.Close(ctx, a, 2)
		for method, err := range errs {
			if domain.ErrorCode(err) != domain.EFORBIDDEN {
				t.Errorf("%s: %s = %v, want EFORBIDDEN", name, method, err)
			}
		}
		if len(store.calls) != 0 {
			t.Errorf("%s: the store was asked %v", name, store.calls)
		}
	}
}

func TestServiceNationalTeamManagesCampaigns(t *testing.T) {
	store := newFakeStore()
	svc := campagnes.NewService(store)
	pole := actorWith(domain.RolePole)
	ctx := t.Context()

	if rows, err := svc.List(ctx, pole); err != nil || len(rows) != 2 {
		t.Errorf("List = %v, %v", rows, err)
	}
	c, structures, err := svc.Campagne(ctx, pole, 2)
	if err != nil || c.Nom != "Campagne 2026" || len(structures) != 2 {
		t.Errorf("Campagne = %+v, %v, %v", c, structures, err)
	}
	store.calls = nil
	if _, _, err := svc.Campagne(ctx, pole, 99); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown campaign: %v", err)
	}
	if strings.Join(store.calls, " ") != "Campagne" {
		t.Errorf("an unknown campaign's MLs were asked: %v", store.calls)
	}

	id, err := svc.Create(ctx, pole, validCampagne(), []int64{10})
	if err != nil || store.created.Nom != "Campagne 2027" || len(store.createdIDs) != 1 || store.createdIDs[0] != 10 {
		t.Errorf("Create = %d, %v; stored %+v %v", id, err, store.created, store.createdIDs)
	}

	if n, err := svc.Open(ctx, pole, 2); err != nil || n != 2 {
		t.Errorf("Open = %d, %v", n, err)
	}
	_, err = svc.Open(ctx, pole, 2)
	if domain.ErrorCode(err) != domain.ECONFLICT || !strings.Contains(domain.ErrorMessage(err), "« Campagne 2026 » est déjà ouverte") {
		t.Errorf("second Open: %v", err)
	}
	if err := svc.Close(ctx, pole, 2); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := svc.Close(ctx, pole, 2); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("second Close: %v", err)
	}
	if _, err := svc.Open(ctx, pole, 99); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("Open unknown: %v", err)
	}
	for i, a := range store.actors {
		if a != pole {
			t.Errorf("write %d got actor %+v, want the national team's", i, a)
		}
	}
}

func TestServiceCreateValidatesBeforeTheStore(t *testing.T) {
	store := newFakeStore()
	svc := campagnes.NewService(store)
	bad := validCampagne()
	bad.Nom, bad.Cloture = " ", date("2027-01-09")
	_, err := svc.Create(t.Context(), actorWith(domain.RolePole), bad, nil)
	fields := domain.ErrorFields(err)
	if domain.ErrorCode(err) != domain.EINVALID || fields["nom"] == "" || fields["cloture"] == "" || len(fields) != 2 {
		t.Errorf("Create = %v %v, want errors on nom and cloture", err, fields)
	}
	if len(store.calls) != 0 {
		t.Errorf("the store was asked %v", store.calls)
	}
}

func TestTransitions(t *testing.T) {
	cases := []struct {
		from campagnes.Etat
		tr   campagnes.Transition
		to   campagnes.Etat // empty: refused
		msg  string         // part of the refusal
	}{
		{campagnes.EtatPreparation, campagnes.TrOuvrir, campagnes.EtatOuverte, ""},
		{campagnes.EtatOuverte, campagnes.TrOuvrir, "", "La campagne « C » est déjà ouverte"},
		{campagnes.EtatClose, campagnes.TrOuvrir, "", "La campagne « C » est close : elle ne peut plus être ouverte."},
		{campagnes.EtatOuverte, campagnes.TrClore, campagnes.EtatClose, ""},
		{campagnes.EtatPreparation, campagnes.TrClore, "", "n'est pas encore ouverte"},
		{campagnes.EtatClose, campagnes.TrClore, "", "La campagne « C » est déjà close."},
		{"archivee", campagnes.TrOuvrir, "", "« Ouvrir la campagne » n'est pas possible : la campagne « C » est à l'état « archivee »."},
	}
	for _, tc := range cases {
		got, err := campagnes.Next("C", tc.from, tc.tr)
		if allows := tc.from.Allows(tc.tr); allows != (tc.to != "") {
			t.Errorf("%s allows %s = %v", tc.from, tc.tr, allows)
		}
		if tc.to != "" {
			if err != nil || got != tc.to {
				t.Errorf("%s from %s = %s, %v; want %s", tc.tr, tc.from, got, err, tc.to)
			}
			continue
		}
		if domain.ErrorCode(err) != domain.ECONFLICT || got != tc.from || !strings.Contains(domain.ErrorMessage(err), tc.msg) {
			t.Errorf("%s from %s = %s, %v; want ECONFLICT %q", tc.tr, tc.from, got, err, tc.msg)
		}
	}
	if _, err := campagnes.Next("C", campagnes.EtatPreparation, "archiver"); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("unknown transition: %v", err)
	}
	if campagnes.EtatPreparation.Allows("archiver") {
		t.Error("an unknown transition is allowed")
	}
}
