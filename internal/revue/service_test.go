package revue_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/revue"
	refdata "github.com/unml/cadre/referentiel"
)

var (
	refOnce sync.Once
	ref     *referentiel.Referentiel
)

func cadreCommun(t *testing.T) *referentiel.Referentiel {
	t.Helper()
	refOnce.Do(func() {
		refs, err := referentiel.ParseFS(refdata.Files)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range refs {
			if r.Code == referentiel.DefaultCode {
				ref = r
			}
		}
	})
	if ref == nil {
		t.Fatal("no cadre commun among the embedded référentiels")
	}
	return ref
}

const (
	quimper, lyon     = 10, 30
	bretagne, ara     = 1, 2
	quimperAE, lyonAE = 100, 300
)

// fakeStore keeps two dossiers in memory and applies the decisions the
// service hands it, as the real store does under its lock.
type fakeStore struct {
	ref         *referentiel.Referentiel
	autoeval    map[int64]autoeval.Autoevaluation
	items       map[int64]map[string]revue.SavedAvisItem
	avis        map[int64][]revue.Avis
	renvois     map[int64][]revue.Renvoi
	transitions map[int64][]demarche.Record
	mails       []mail.Message
	roles       []domain.Role
	moyennes    []revue.Moyenne
	dossiers    []revue.Dossier
	// nationalReads counts the national averages computed.
	nationalReads int
}

func newFake(t *testing.T) *fakeStore {
	return &fakeStore{ref: cadreCommun(t),
		autoeval: map[int64]autoeval.Autoevaluation{
			quimperAE: {ID: quimperAE, StructureID: quimper, StructureNom: "ML Quimper", RegionID: bretagne, Etat: demarche.Soumise, ReferentielID: 1, CampagneNom: "2026"},
			lyonAE:    {ID: lyonAE, StructureID: lyon, StructureNom: "ML Lyon", RegionID: ara, Etat: demarche.Soumise, ReferentielID: 1, CampagneNom: "2026"},
		},
		items: map[int64]map[string]revue.SavedAvisItem{}, avis: map[int64][]revue.Avis{}, renvois: map[int64][]revue.Renvoi{},
		transitions: map[int64][]demarche.Record{}}
}

func (f *fakeStore) own(structureID, id int64) (autoeval.Autoevaluation, error) {
	a, ok := f.autoeval[id]
	if !ok || a.StructureID != structureID {
		return a, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	}
	return a, nil
}

func (f *fakeStore) Autoevaluation(_ context.Context, v domain.Visibility, id int64) (autoeval.Autoevaluation, error) {
	a, ok := f.autoeval[id]
	if !ok || !(v.All || slices.Contains(v.RegionIDs, a.RegionID) || slices.Contains(v.StructureIDs, a.StructureID)) {
		return a, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	}
	return a, nil
}
func (f *fakeStore) ReferentielByID(context.Context, int64) (*referentiel.Referentiel, error) {
	return f.ref, nil
}
func (f *fakeStore) Cotations(context.Context, int64, int64) (map[string]autoeval.SavedCotation, error) {
	return map[string]autoeval.SavedCotation{}, nil
}
func (f *fakeStore) Transitions(_ context.Context, _, id int64) ([]demarche.Record, error) {
	return f.transitions[id], nil
}
func (f *fakeStore) PreuveTitles(context.Context, int64, int64) (map[string][]string, error) {
	return map[string][]string{}, nil
}
func (f *fakeStore) RevueItems(_ context.Context, _, id int64) (map[string]revue.SavedAvisItem, error) {
	return f.items[id], nil
}
func (f *fakeStore) SaveRevueItems(_ context.Context, _ *domain.Actor, structureID, id int64, changes []revue.AvisItemChange) (revue.Saved, error) {
	if _, err := f.own(structureID, id); err != nil {
		return revue.Saved{}, err
	}
	out := revue.Saved{Items: map[string]revue.SavedAvisItem{}}
	if f.items[id] == nil {
		f.items[id] = map[string]revue.SavedAvisItem{}
	}
	for _, ch := range changes {
		s := revue.SavedAvisItem{AvisItem: ch.Avis, Version: ch.BaseVersion + 1}
		f.items[id][ch.Code], out.Items[ch.Code] = s, s
		out.Changed = append(out.Changed, ch.Code)
	}
	return out, nil
}

// move applies decide as the store does, and records the transition.
func (f *fakeStore) move(structureID, id int64, t demarche.Transition, role domain.Role, decide func(demarche.Etat) (demarche.Etat, error)) error {
	a, err := f.own(structureID, id)
	if err != nil {
		return err
	}
	next, err := decide(a.Etat)
	if err != nil {
		return err
	}
	f.transitions[id] = append(f.transitions[id], demarche.Record{Action: t, From: a.Etat, To: next, Role: role, At: time.Now()})
	a.Etat = next
	f.autoeval[id] = a
	return nil
}

func (f *fakeStore) RendreAvis(_ context.Context, _ *domain.Actor, structureID, id int64, avis revue.Avis,
	decide func(demarche.Etat) (demarche.Etat, error), message func(revue.Destinataire) mail.Message) error {
	if err := f.move(structureID, id, demarche.RendreAvis, domain.RoleReferentARML, decide); err != nil {
		return err
	}
	avis.At = time.Now()
	f.avis[id] = append(f.avis[id], avis)
	f.mails = append(f.mails, message(revue.Destinataire{Email: "directeur@example.org", Nom: "Direction"}))
	return nil
}

func (f *fakeStore) Renvoyer(_ context.Context, _ *domain.Actor, structureID, id int64, r revue.Renvoi, role domain.Role,
	decide func(demarche.Etat) (demarche.Etat, error), message func(revue.Destinataire) mail.Message) error {
	if err := f.move(structureID, id, demarche.Renvoyer, role, decide); err != nil {
		return err
	}
	r.At, r.Role = time.Now(), role
	f.renvois[id] = append(f.renvois[id], r)
	f.roles = append(f.roles, role)
	f.mails = append(f.mails, message(revue.Destinataire{Email: "contributeur@example.org"}))
	return nil
}
func (f *fakeStore) AvisRegionaux(_ context.Context, _, id int64) ([]revue.Avis, error) {
	return f.avis[id], nil
}
func (f *fakeStore) AvisAndRenvois(_ context.Context, _, id int64) ([]revue.Avis, []revue.Renvoi, error) {
	return f.avis[id], f.renvois[id], nil
}
func (f *fakeStore) Region(_ context.Context, v domain.Visibility, id int64) (domain.Region, error) {
	if !v.All && !slices.Contains(v.RegionIDs, id) {
		return domain.Region{}, domain.Errorf(domain.ENOTFOUND, "Région introuvable.")
	}
	return domain.Region{ID: id, Nom: "Région"}, nil
}
func (f *fakeStore) ListRegions(_ context.Context, v domain.Visibility) ([]domain.Region, error) {
	var out []domain.Region
	for _, id := range []int64{bretagne, ara} {
		if v.All || slices.Contains(v.RegionIDs, id) {
			out = append(out, domain.Region{ID: id})
		}
	}
	return out, nil
}
func (f *fakeStore) ListCampagnes(context.Context) ([]campagnes.CampagneRow, error) {
	return []campagnes.CampagneRow{{Campagne: campagnes.Campagne{ID: 5, Nom: "2026", ReferentielID: 1, Etat: campagnes.EtatOuverte}}}, nil
}
func (f *fakeStore) Dossiers(context.Context, int64, int64) ([]revue.Dossier, error) {
	return f.dossiers, nil
}
func (f *fakeStore) Moyennes(_ context.Context, regionID, _ int64, _, _ []string) ([]revue.Moyenne, error) {
	if regionID == 0 {
		f.nationalReads++
		return f.moyennes, nil
	}
	var out []revue.Moyenne
	for _, m := range f.moyennes {
		if m.StructureID < 100 { // the région's MLs in these tests
			out = append(out, m)
		}
	}
	return out, nil
}

var (
	referent    = &domain.Actor{UserID: 1, Memberships: []domain.Membership{{Role: domain.RoleReferentARML, RegionID: bretagne}}}
	otherRef    = &domain.Actor{UserID: 2, Memberships: []domain.Membership{{Role: domain.RoleReferentARML, RegionID: ara}}}
	pole        = &domain.Actor{UserID: 3, Memberships: []domain.Membership{{Role: domain.RolePole}}}
	directeur   = &domain.Actor{UserID: 4, Memberships: []domain.Membership{{Role: domain.RoleDirecteur, StructureID: quimper}}}
	contributor = &domain.Actor{UserID: 5, Memberships: []domain.Membership{{Role: domain.RoleContributeur, StructureID: quimper}}}
)

func newService(t *testing.T) (*revue.Service, *fakeStore) {
	f := newFake(t)
	base, _ := url.Parse("https://cadre.example/")
	return revue.NewService(f, base), f
}

func load(t *testing.T, s *revue.Service, a *domain.Actor, id int64) *revue.Revue {
	t.Helper()
	rv, err := s.Load(t.Context(), a, id)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

func validAvis() revue.Avis {
	return revue.Avis{PointsForts: "Accueil", AxesProgres: "Suivi", Recommandation: revue.Favorable}
}

// TestLoadIsScopedToTheRegion: the référent sees the review of its région
// only, the Pôle every région's; the ML's people never see the review.
func TestLoadIsScopedToTheRegion(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	for _, tc := range []struct {
		who  string
		a    *domain.Actor
		id   int64
		want string
	}{
		{"référent, own région", referent, quimperAE, ""},
		{"référent, another région", referent, lyonAE, domain.ENOTFOUND},
		{"other référent", otherRef, quimperAE, domain.ENOTFOUND},
		{"Pôle", pole, lyonAE, ""},
		{"director", directeur, quimperAE, domain.ENOTFOUND},
		{"contributor", contributor, quimperAE, domain.ENOTFOUND},
		{"nobody", nil, quimperAE, domain.ENOTFOUND},
	} {
		rv, err := s.Load(t.Context(), tc.a, tc.id)
		if domain.ErrorCode(err) != tc.want {
			t.Errorf("%s: %v, want %q", tc.who, err, tc.want)
		}
		if err == nil && tc.a == pole && (rv.CanAvis || !rv.CanReturn) {
			t.Errorf("Pôle: CanAvis %v CanReturn %v, want false, true", rv.CanAvis, rv.CanReturn)
		}
		if err == nil && tc.a == referent && (!rv.CanAvis || !rv.CanReturn) {
			t.Errorf("référent: CanAvis %v CanReturn %v, want both", rv.CanAvis, rv.CanReturn)
		}
	}
}

func TestSaveItems(t *testing.T) {
	t.Parallel()
	s, f := newService(t)
	code := f.ref.Items()[0].Code
	rv := load(t, s, referent, quimperAE)
	saved, err := s.SaveItems(t.Context(), referent, rv, []revue.AvisItemChange{{Code: code, Avis: revue.AvisItem{Valeur: 2, Remarque: "  À préciser  "}}})
	if err != nil || len(saved.Changed) != 1 || f.items[quimperAE][code].Remarque != "À préciser" {
		t.Fatalf("save = %+v, %v; stored %+v", saved, err, f.items[quimperAE])
	}
	if _, err := s.SaveItems(t.Context(), pole, load(t, s, pole, quimperAE), []revue.AvisItemChange{{Code: code}}); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("Pôle saves an item avis: %v, want EFORBIDDEN", err)
	}
	if _, err := s.SaveItems(t.Context(), referent, rv, []revue.AvisItemChange{{Code: code, Avis: revue.AvisItem{Valeur: 9}}}); domain.ErrorFields(err)["avis-"+code] == "" {
		t.Errorf("a value outside the scale: %v, want a field error", err)
	}
	if _, err := s.SaveItems(t.Context(), referent, rv, []revue.AvisItemChange{{Code: "X9.Z"}}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("an unknown item: %v, want EINVALID", err)
	}
	long := strings.Repeat("a", domain.MaxCommentRunes+1)
	if _, err := s.SaveItems(t.Context(), referent, rv, []revue.AvisItemChange{{Code: code, Avis: revue.AvisItem{Remarque: long}}}); domain.ErrorFields(err)["remarque-"+code] == "" {
		t.Errorf("a remark too long: %v, want a field error", err)
	}
	rv.Autoeval.Etat = demarche.EnCours
	if _, err := s.SaveItems(t.Context(), referent, rv, []revue.AvisItemChange{{Code: code}}); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("an item avis on a dossier en cours: %v, want ECONFLICT", err)
	}
}

// TestRendreAvis: the référent renders the avis on a submitted dossier, which
// moves it to « avis régional rendu » and notifies; anything else is refused.
func TestRendreAvis(t *testing.T) {
	t.Parallel()
	s, f := newService(t)
	rv := load(t, s, referent, quimperAE)
	if err := s.RendreAvis(t.Context(), pole, load(t, s, pole, quimperAE), validAvis()); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("Pôle renders the avis: %v, want EFORBIDDEN", err)
	}
	err := s.RendreAvis(t.Context(), referent, rv, revue.Avis{Recommandation: "excellent"})
	fields := domain.ErrorFields(err)
	if fields["points_forts"] == "" || fields["axes_progres"] == "" || fields["recommandation"] == "" {
		t.Errorf("an empty avis: %v, want three field errors", err)
	}
	if f.autoeval[quimperAE].Etat != demarche.Soumise || len(f.avis[quimperAE]) != 0 {
		t.Fatal("a refused avis changed the dossier")
	}
	if err := s.RendreAvis(t.Context(), referent, rv, validAvis()); err != nil {
		t.Fatal(err)
	}
	if f.autoeval[quimperAE].Etat != demarche.AvisRendu || len(f.avis[quimperAE]) != 1 || len(f.mails) != 1 {
		t.Fatalf("after the avis: %s, %d avis, %d mails", f.autoeval[quimperAE].Etat, len(f.avis[quimperAE]), len(f.mails))
	}
	if m := f.mails[0]; !strings.Contains(m.Body, "Favorable") || !strings.Contains(m.Body, "https://cadre.example/autoevaluations/100") {
		t.Errorf("avis mail = %+v", m)
	}
	// Twice: the dossier is no longer submitted.
	if err := s.RendreAvis(t.Context(), referent, rv, validAvis()); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("a second avis: %v, want ECONFLICT", err)
	}
}

// TestRenvoyer: the référent and the Pôle return a dossier with reasons; the
// ML's people may not; reasons are required and items must exist.
func TestRenvoyer(t *testing.T) {
	t.Parallel()
	s, f := newService(t)
	code := f.ref.Items()[3].Code
	rv := load(t, s, referent, quimperAE)
	if err := s.Renvoyer(t.Context(), directeur, &revue.Revue{Autoeval: rv.Autoeval, Ref: rv.Ref, Items: rv.Items}, revue.Renvoi{Motif: "x"}); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("a director returns: %v, want EFORBIDDEN", err)
	}
	for name, r := range map[string]revue.Renvoi{
		"no reason":           {Motif: "  "},
		"unknown item":        {Motif: "Compléter", Items: []revue.RenvoiItem{{Code: "Z9", Motif: "?"}}},
		"item without text":   {Motif: "Compléter", Items: []revue.RenvoiItem{{Code: code}}},
		"item twice":          {Motif: "Compléter", Items: []revue.RenvoiItem{{Code: code, Motif: "a"}, {Code: code, Motif: "b"}}},
		"reason without item": {Motif: "Compléter", Items: []revue.RenvoiItem{{Motif: "b"}}},
	} {
		if err := s.Renvoyer(t.Context(), referent, rv, r); domain.ErrorCode(err) != domain.EINVALID || domain.ErrorFields(err) == nil {
			t.Errorf("%s: %v, want field errors", name, err)
		}
	}
	if f.autoeval[quimperAE].Etat != demarche.Soumise {
		t.Fatal("a refused return changed the dossier")
	}
	err := s.Renvoyer(t.Context(), referent, rv, revue.Renvoi{Motif: "Compléter les preuves", Items: []revue.RenvoiItem{{Code: code, Motif: "Aucune preuve"}, {}}})
	if err != nil {
		t.Fatal(err)
	}
	if a := f.autoeval[quimperAE]; a.Etat != demarche.EnCours || len(f.renvois[quimperAE][0].Items) != 1 || f.roles[0] != domain.RoleReferentARML {
		t.Fatalf("after the return: %s, %+v, roles %v", a.Etat, f.renvois[quimperAE], f.roles)
	}
	if !strings.Contains(f.mails[0].Body, code+" : Aucune preuve") {
		t.Errorf("the return's mail lacks the reasons: %s", f.mails[0].Body)
	}
	// En cours: there is nothing to return any more.
	if err := s.Renvoyer(t.Context(), referent, rv, revue.Renvoi{Motif: "Encore"}); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("a return of a dossier en cours: %v, want ECONFLICT", err)
	}
	// The Pôle returns another région's dossier, as the Pôle.
	if err := s.Renvoyer(t.Context(), pole, load(t, s, pole, lyonAE), revue.Renvoi{Motif: "Compléter"}); err != nil || f.roles[1] != domain.RolePole {
		t.Errorf("the Pôle's return: %v, roles %v", err, f.roles)
	}
}

// TestNotes: the ML sees the avis only once rendered and not during a new
// round; the reasons of a return until it resubmits.
func TestNotes(t *testing.T) {
	t.Parallel()
	s, f := newService(t)
	code := f.ref.Items()[0].Code
	rv := load(t, s, referent, quimperAE)
	if _, err := s.SaveItems(t.Context(), referent, rv, []revue.AvisItemChange{{Code: code, Avis: revue.AvisItem{Valeur: 1}}}); err != nil {
		t.Fatal(err)
	}
	notes := func() revue.Notes {
		t.Helper()
		n, err := s.Notes(t.Context(), directeur, f.autoeval[quimperAE])
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := notes(); n.Avis != nil || n.Items != nil || n.Renvoi != nil {
		t.Errorf("before the avis the ML sees %+v", n)
	}
	if _, err := s.Notes(t.Context(), directeur, f.autoeval[lyonAE]); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("another ML's notes: %v", err)
	}
	if err := s.RendreAvis(t.Context(), referent, rv, validAvis()); err != nil {
		t.Fatal(err)
	}
	if n := notes(); n.Avis == nil || n.Items[code].Valeur != 1 {
		t.Errorf("after the avis the ML sees %+v", n)
	}
	rv = load(t, s, referent, quimperAE)
	if err := s.Renvoyer(t.Context(), referent, rv, revue.Renvoi{Motif: "Compléter"}); err != nil {
		t.Fatal(err)
	}
	if n := notes(); n.Renvoi == nil || n.Renvoi.Motif != "Compléter" {
		t.Errorf("after the return the ML sees %+v", n)
	}
	// The ML resubmits: the reasons go, and the new round hides the old avis.
	a := f.autoeval[quimperAE]
	f.transitions[quimperAE] = append(f.transitions[quimperAE], demarche.Record{Action: demarche.Soumettre, At: time.Now().Add(time.Second)})
	a.Etat = demarche.Soumise
	f.autoeval[quimperAE] = a
	if n := notes(); n.Renvoi != nil || n.Avis != nil {
		t.Errorf("after resubmission the ML sees %+v", n)
	}
}

// TestReviewOfARegionWith61MLs: the heat map and the medians of a large région.
func TestReviewOfARegionWith61MLs(t *testing.T) {
	t.Parallel()
	s, f := newService(t)
	sections := f.ref.Sections()
	for i := range 61 {
		id := int64(i + 1)
		f.dossiers = append(f.dossiers, revue.Dossier{StructureID: id, AutoevaluationID: 1000 + id, Etat: demarche.Soumise})
		for _, sec := range sections {
			f.moyennes = append(f.moyennes, revue.Moyenne{StructureID: id, Groupe: sec.Code, Answered: 2, Sum: 2 + i%7, N: 2})
		}
	}
	// Three MLs of other régions, all rated 4.
	for id := int64(100); id < 103; id++ {
		for _, sec := range sections {
			f.moyennes = append(f.moyennes, revue.Moyenne{StructureID: id, Groupe: sec.Code, Sum: 8, N: 2})
		}
	}
	reg, err := s.Region(t.Context(), referent, bretagne)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Region(t.Context(), referent, ara); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("another région: %v", err)
	}
	v, err := s.Review(t.Context(), reg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Carte.Lignes) != 61 || len(v.Carte.Parts) != len(sections) || len(v.Carte.Region) != len(sections) {
		t.Fatalf("carte: %d lines, %d parts", len(v.Carte.Lignes), len(v.Carte.Parts))
	}
	// Means 1, 1.5 … 4 over 61 MLs, nine each of 1, 1.5, 2, 2.5: the 31st is 2.5.
	if got := v.Carte.Region[0]; got.Mean != 2.5 || got.N != 61 {
		t.Errorf("regional median = %+v, want 2.5 over 61", got)
	}
	if got := v.Carte.National[0]; got.N != 64 {
		t.Errorf("national median over %d MLs, want 64", got.N)
	}
	// The national averages are computed once a minute, not for every page.
	again, err := s.Review(t.Context(), reg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.nationalReads != 1 || again.Carte.National[0].N != 64 {
		t.Errorf("two reviews read the national averages %d times (median over %d MLs), want once", f.nationalReads, again.Carte.National[0].N)
	}
	if _, err := s.Review(t.Context(), reg, 99); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("an unknown campaign: %v", err)
	}
}
