package plan

import (
	"context"
	"testing"
	"time"

	"github.com/unml/cadre/internal/domain"
)

var today = time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)

func TestChangementApply(t *testing.T) {
	t.Parallel()
	yesterday, tomorrow := today.AddDate(0, 0, -1), today.AddDate(0, 0, 1)
	for _, tc := range []struct {
		name  string
		from  Statut
		c     Changement
		code  string
		field string
	}{
		{"engage", AEngager, Changement{Statut: EnCours}, "", ""},
		{"realised with proof and date", EnCours, Changement{Statut: Realisee, PreuveID: 7, RealiseeLe: yesterday}, "", ""},
		{"realised today", AEngager, Changement{Statut: Realisee, PreuveID: 7, RealiseeLe: today}, "", ""},
		{"realised without proof", EnCours, Changement{Statut: Realisee, RealiseeLe: yesterday}, domain.EINVALID, "preuve"},
		{"realised without date", EnCours, Changement{Statut: Realisee, PreuveID: 7}, domain.EINVALID, "realisee_le"},
		{"realised in the future", EnCours, Changement{Statut: Realisee, PreuveID: 7, RealiseeLe: tomorrow}, domain.EINVALID, "realisee_le"},
		{"abandoned with a reason", EnCours, Changement{Statut: Abandonnee, Motif: "Remplacée par l'action 12."}, "", ""},
		{"abandoned without a reason", AEngager, Changement{Statut: Abandonnee, Motif: "  "}, domain.EINVALID, "motif"},
		{"back to à engager", EnCours, Changement{Statut: AEngager}, "", ""},
		{"same status", EnCours, Changement{Statut: EnCours}, domain.EINVALID, "statut"},
		{"unknown status", EnCours, Changement{Statut: "finie"}, domain.EINVALID, "statut"},
		{"a realised action is closed", Realisee, Changement{Statut: EnCours}, domain.ECONFLICT, ""},
		{"an abandoned action is closed", Abandonnee, Changement{Statut: Realisee, PreuveID: 7, RealiseeLe: yesterday}, domain.ECONFLICT, ""},
	} {
		err := tc.c.Apply(tc.from, today)
		if got := domain.ErrorCode(err); got != tc.code {
			t.Errorf("%s: code %q (%v), want %q", tc.name, got, err, tc.code)
		}
		if tc.field != "" && domain.ErrorFields(err)[tc.field] == "" {
			t.Errorf("%s: no message on %s: %v", tc.name, tc.field, err)
		}
	}
}

func TestOverdue(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		statut   Statut
		echeance time.Time
		overdue  bool
		days     int
	}{
		{AEngager, due, true, 1},
		{EnCours, due.AddDate(0, 0, -30), true, 31},
		{EnCours, due.AddDate(0, 0, 1), false, 0}, // due today: not yet late
		{Realisee, due, false, 0},
		{Abandonnee, due, false, 0},
	} {
		a := Action{Statut: tc.statut, Echeance: tc.echeance}
		if a.Overdue(today) != tc.overdue || a.JoursRetard(today) != tc.days {
			t.Errorf("%s due %s: overdue %v, %d days; want %v, %d", tc.statut, tc.echeance.Format(time.DateOnly), a.Overdue(today), a.JoursRetard(today), tc.overdue, tc.days)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := Action{Titre: "Formaliser l'accueil", Items: []string{"F1.R1.C1"}, Origine: OrigineAutoeval, PiloteID: 3, Priorite: Haute, Echeance: today}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid action: %v", err)
	}
	for field, change := range map[string]func(*Action){
		"titre":    func(a *Action) { a.Titre = "" },
		"items":    func(a *Action) { a.Items = nil },
		"pilote":   func(a *Action) { a.PiloteID = 0 },
		"priorite": func(a *Action) { a.Priorite = "urgente" },
		"echeance": func(a *Action) { a.Echeance = time.Time{} },
		"origine":  func(a *Action) { a.Origine = OrigineConstat }, // without its finding
	} {
		a := ok
		change(&a)
		if domain.ErrorFields(a.Validate())[field] == "" {
			t.Errorf("%s: no field error: %v", field, a.Validate())
		}
	}
	c := ok
	c.Origine, c.ConstatID, c.Items = OrigineConstat, 42, nil
	if err := c.Validate(); err != nil {
		t.Errorf("a finding's action needs no item: %v", err)
	}
}

// fakeStore is the plan's store in memory.
type fakeStore struct {
	Store
	created []Action
	changed []Changement
	statut  Statut
}

func (f *fakeStore) CreatePlanAction(_ context.Context, _ *domain.Actor, _ domain.Role, a Action) (int64, error) {
	f.created = append(f.created, a)
	return int64(len(f.created)), nil
}

func (f *fakeStore) ChangePlanStatut(_ context.Context, _ *domain.Actor, _ domain.Role, _, _ int64, c Changement, decide func(Statut) error) error {
	if err := decide(f.statut); err != nil {
		return err
	}
	f.changed = append(f.changed, c)
	return nil
}

func (f *fakeStore) CommentPlanAction(context.Context, *domain.Actor, domain.Role, int64, int64, string) error {
	return nil
}

var (
	brest    = domain.Structure{ID: 2, RegionID: 1}
	director = &domain.Actor{Memberships: []domain.Membership{{Role: domain.RoleDirecteur, StructureID: 2}}}
	contrib  = &domain.Actor{Memberships: []domain.Membership{{Role: domain.RoleContributeur, StructureID: 2}}}
	referent = &domain.Actor{Memberships: []domain.Membership{{Role: domain.RoleReferentARML, RegionID: 1}}}
	other    = &domain.Actor{Memberships: []domain.Membership{{Role: domain.RoleDirecteur, StructureID: 9}}}
)

func TestServiceCreate(t *testing.T) {
	t.Parallel()
	f := &fakeStore{}
	s := NewService(f)
	a := Action{Titre: "  Formaliser l'accueil ", Items: []string{"F1.R1.C1", "F1.R1.C1", " "}, Origine: OrigineAutoeval, PiloteID: 3, Priorite: Haute, Echeance: today}
	for _, who := range []*domain.Actor{contrib, referent, other} {
		if _, err := s.Create(t.Context(), who, brest, a); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("create by %v: %v, want EFORBIDDEN", who.Memberships[0].Role, err)
		}
	}
	if _, err := s.Create(t.Context(), director, brest, Action{Origine: OrigineAutoeval}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("empty action: %v", err)
	}
	if _, err := s.Create(t.Context(), director, brest, a); err != nil {
		t.Fatal(err)
	}
	if len(f.created) != 1 || f.created[0].Titre != "Formaliser l'accueil" || len(f.created[0].Items) != 1 || f.created[0].StructureID != 2 {
		t.Errorf("created %+v", f.created)
	}
}

func TestServiceChangeStatut(t *testing.T) {
	t.Parallel()
	f := &fakeStore{statut: EnCours}
	s := NewService(f)
	s.Now = func() time.Time { return today }
	a := Action{ID: 1, StructureID: 2, RegionID: 1, Statut: EnCours}
	done := Changement{Statut: Realisee, PreuveID: 5, RealiseeLe: today}
	if err := s.ChangeStatut(t.Context(), contrib, a, done); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("by a contributor: %v", err)
	}
	if err := s.ChangeStatut(t.Context(), director, a, Changement{Statut: Realisee}); domain.ErrorCode(err) != domain.EINVALID || len(f.changed) != 0 {
		t.Errorf("without proof: %v", err)
	}
	// Someone closed it meanwhile: the decision under the lock refuses.
	f.statut = Abandonnee
	if err := s.ChangeStatut(t.Context(), director, a, done); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("closed meanwhile: %v", err)
	}
	f.statut = EnCours
	if err := s.ChangeStatut(t.Context(), director, a, done); err != nil || len(f.changed) != 1 {
		t.Errorf("with proof: %v", err)
	}
	if err := s.Comment(t.Context(), referent, a, "  "); domain.ErrorFields(err)["commentaire"] == "" {
		t.Errorf("empty comment: %v", err)
	}
	if err := s.Comment(t.Context(), referent, a, "Où en est la procédure ?"); err != nil {
		t.Errorf("référent's comment: %v", err)
	}
	if err := s.Comment(t.Context(), contrib, a, "Fait."); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("contributor's comment: %v", err)
	}
}

// constatStore knows one finding, of Brest.
type constatStore struct{ fakeStore }

func (constatStore) ConstatSource(_ context.Context, structureID, id int64) (Source, error) {
	if structureID != 2 || id != 7 {
		return Source{}, domain.Errorf(domain.ENOTFOUND, "Constat introuvable.")
	}
	return Source{Nature: "Écart mineur", Texte: "Le suivi des orientations n'est pas tracé.", Items: []string{"F1.R1.C2"}}, nil
}

func TestPrefillFromAFinding(t *testing.T) {
	t.Parallel()
	s := NewService(&constatStore{})
	a, err := s.Prefill(t.Context(), brest, Origin{Constat: 7})
	if err != nil {
		t.Fatal(err)
	}
	if a.Origine != OrigineConstat || a.ConstatID != 7 || a.Titre != "Répondre au constat d'audit (écart mineur) : Le suivi des orientations n'est pas tracé." ||
		a.Description != "Le suivi des orientations n'est pas tracé." || len(a.Items) != 1 || a.Items[0] != "F1.R1.C2" || a.AutoevaluationID != 0 {
		t.Errorf("prefilled %+v", a)
	}
	// Another ML's finding, or none: not found, nothing pre-filled from it.
	if _, err := s.Prefill(t.Context(), domain.Structure{ID: 3, RegionID: 1}, Origin{Constat: 7}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("another ML's finding: %v", err)
	}
	if got := court("un deux trois quatre", 10); got != "un deux…" {
		t.Errorf("court = %q", got)
	}
}
