package autoeval_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/referentiel"
	refdata "github.com/unml/cadre/referentiel"
)

// fakeStore keeps one ML's auto-évaluations in memory and counts the calls the
// service makes, so that the tests can say what a save reads.
type fakeStore struct {
	ref      *referentiel.Referentiel
	autoeval map[int64]autoeval.Autoevaluation
	answers  map[int64]map[string]autoeval.SavedCotation
	limits   map[int64][]string
	calls    map[string]int
	saved    [][]autoeval.CotationChange
	recorded []demarche.Record
}

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
	rennes, lyon          = 10, 30
	bretagne, auvergne    = 1, 2
	rennesAE, lyonAE      = 100, 300
	contributorMembership = 7
)

func newFake(t *testing.T) *fakeStore {
	f := &fakeStore{ref: cadreCommun(t), calls: map[string]int{}, limits: map[int64][]string{},
		answers: map[int64]map[string]autoeval.SavedCotation{rennesAE: {}, lyonAE: {}}}
	f.autoeval = map[int64]autoeval.Autoevaluation{
		rennesAE: {ID: rennesAE, StructureID: rennes, RegionID: bretagne, Etat: demarche.EnCours, ReferentielID: 1},
		lyonAE:   {ID: lyonAE, StructureID: lyon, RegionID: auvergne, Etat: demarche.EnCours, ReferentielID: 1},
	}
	return f
}

func covers(v domain.Visibility, a autoeval.Autoevaluation) bool {
	return v.All || slices.Contains(v.RegionIDs, a.RegionID) || slices.Contains(v.StructureIDs, a.StructureID)
}

func (f *fakeStore) own(structureID, id int64) (autoeval.Autoevaluation, error) {
	a, ok := f.autoeval[id]
	if !ok || a.StructureID != structureID {
		return a, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	}
	return a, nil
}

func (f *fakeStore) Autoevaluation(_ context.Context, v domain.Visibility, id int64) (autoeval.Autoevaluation, error) {
	f.calls["Autoevaluation"]++
	a, ok := f.autoeval[id]
	if !ok || !covers(v, a) {
		return a, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	}
	return a, nil
}

func (f *fakeStore) Autoevaluations(_ context.Context, v domain.Visibility) ([]autoeval.Autoevaluation, error) {
	var out []autoeval.Autoevaluation
	for _, id := range []int64{rennesAE, lyonAE} {
		if covers(v, f.autoeval[id]) {
			out = append(out, f.autoeval[id])
		}
	}
	return out, nil
}

func (f *fakeStore) PreviousAutoevaluation(context.Context, int64, int64) (autoeval.Autoevaluation, error) {
	return autoeval.Autoevaluation{}, domain.Errorf(domain.ENOTFOUND, "Aucune auto-évaluation précédente pour cette Mission Locale.")
}

func (f *fakeStore) ReferentielByID(context.Context, int64) (*referentiel.Referentiel, error) {
	f.calls["ReferentielByID"]++
	return f.ref, nil
}

func (f *fakeStore) Cotations(_ context.Context, structureID, id int64) (map[string]autoeval.SavedCotation, error) {
	f.calls["Cotations"]++
	if _, err := f.own(structureID, id); err != nil {
		return nil, err
	}
	return f.answers[id], nil
}

func (f *fakeStore) AnswersAndCoverage(ctx context.Context, structureID, id, refID int64) (map[string]autoeval.SavedCotation, map[string]int, error) {
	saved, err := f.Cotations(ctx, structureID, id)
	if err != nil {
		return nil, nil, err
	}
	coverage, err := f.coverageCounts()
	return saved, coverage, err
}

func (f *fakeStore) Overview(ctx context.Context, structureID, id, refID int64) (autoeval.Overview, error) {
	var o autoeval.Overview
	var err error
	if o.Saved, o.Coverage, err = f.AnswersAndCoverage(ctx, structureID, id, refID); err != nil {
		return o, err
	}
	_, perr := f.PreviousAutoevaluation(ctx, structureID, id)
	o.HasPrevious = perr == nil
	if o.Assignments, err = f.ContributorSections(ctx, structureID); err != nil {
		return o, err
	}
	o.Transitions, err = f.Transitions(ctx, structureID, id)
	return o, err
}

func (f *fakeStore) coverageCounts() (map[string]int, error) {
	f.calls["CoverageCounts"]++
	return map[string]int{}, nil
}

func (f *fakeStore) ContributorSections(context.Context, int64) (map[int64][]string, error) {
	f.calls["ContributorSections"]++
	return f.limits, nil
}

func (f *fakeStore) CotationHistory(context.Context, int64, int64, string) ([]autoeval.HistoryEntry, error) {
	return nil, nil
}

func (f *fakeStore) Transitions(context.Context, int64, int64) ([]demarche.Record, error) {
	return f.recorded, nil
}

func (f *fakeStore) SaveCotations(_ context.Context, actor *domain.Actor, structureID, id int64, changes []autoeval.CotationChange) (autoeval.Saved, error) {
	f.calls["SaveCotations"]++
	if _, err := f.own(structureID, id); err != nil {
		return autoeval.Saved{}, err
	}
	f.saved = append(f.saved, changes)
	out := autoeval.Saved{Answers: map[string]autoeval.SavedCotation{}}
	for _, ch := range changes {
		cur := f.answers[id][ch.Code]
		if cur.Cotation != ch.Cotation {
			cur = autoeval.SavedCotation{Cotation: ch.Cotation, Version: cur.Version + 1, By: actor.Nom}
			f.answers[id][ch.Code] = cur
			out.Changed = append(out.Changed, ch.Code)
		}
		out.Answers[ch.Code] = cur
	}
	return out, nil
}

func (f *fakeStore) Transition(_ context.Context, actor *domain.Actor, structureID, id int64, t demarche.Transition, role domain.Role, commentaire string,
	decide func(demarche.Etat, map[string]autoeval.Cotation) (demarche.Etat, error)) error {
	a, err := f.own(structureID, id)
	if err != nil {
		return err
	}
	next, err := decide(a.Etat, autoeval.Answers(f.answers[id]))
	if err != nil {
		return err
	}
	f.recorded = append(f.recorded, demarche.Record{Action: t, From: a.Etat, To: next, By: actor.Nom, Role: role, Commentaire: commentaire})
	a.Etat = next
	f.autoeval[id] = a
	return nil
}

func (f *fakeStore) SetContributorSections(_ context.Context, _ *domain.Actor, _, membershipID int64, sections []string) error {
	if membershipID != contributorMembership {
		return domain.Errorf(domain.ENOTFOUND, "Contributeur·rice introuvable.")
	}
	f.limits[membershipID] = sections
	return nil
}

var (
	director    = &domain.Actor{UserID: 1, Nom: "Yann", Memberships: []domain.Membership{{ID: 5, Role: domain.RoleDirecteur, StructureID: rennes}}}
	contributor = &domain.Actor{UserID: 2, Nom: "Nolwenn", Memberships: []domain.Membership{{ID: contributorMembership, Role: domain.RoleContributeur, StructureID: rennes}}}
	referent    = &domain.Actor{UserID: 3, Nom: "Morgane", Memberships: []domain.Membership{{ID: 8, Role: domain.RoleReferentARML, RegionID: bretagne}}}
	pole        = &domain.Actor{UserID: 4, Nom: "Dominique", Memberships: []domain.Membership{{ID: 9, Role: domain.RolePole}}}
)

func answer(valeur int) autoeval.Cotation { return autoeval.Cotation{Valeur: valeur} }

// TestSheetIsLight: a save's load reads the auto-évaluation and the cached
// référentiel only (a contributor's sections too), never the answers or the
// evidence; the pages' load adds them.
func TestSheetIsLight(t *testing.T) {
	for _, tc := range []struct {
		actor  *domain.Actor
		limits int
	}{{director, 0}, {contributor, 1}, {pole, 0}} {
		f := newFake(t)
		svc := autoeval.NewService(f)
		if _, err := svc.Sheet(t.Context(), tc.actor, rennesAE); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"Autoevaluation": 1, "ReferentielByID": 1}
		if tc.limits > 0 {
			want["ContributorSections"] = 1
		}
		if !mapsEqual(f.calls, want) {
			t.Errorf("%s: Sheet calls %v, want %v", tc.actor.Nom, f.calls, want)
		}
		f.calls = map[string]int{}
		if _, err := svc.Load(t.Context(), tc.actor, rennesAE); err != nil {
			t.Fatal(err)
		}
		want["Cotations"], want["CoverageCounts"] = 1, 1
		if !mapsEqual(f.calls, want) {
			t.Errorf("%s: Load calls %v, want %v", tc.actor.Nom, f.calls, want)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestOtherTenantsAreNotFound: another ML's auto-évaluation does not exist for
// its neighbours, and a région's référent sees only theirs.
func TestOtherTenantsAreNotFound(t *testing.T) {
	svc := autoeval.NewService(newFake(t))
	for _, a := range []*domain.Actor{director, contributor, referent, {UserID: 9}} {
		if _, err := svc.Sheet(t.Context(), a, lyonAE); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("%s loading Lyon: %v, want ENOTFOUND", a.Nom, err)
		}
	}
	if _, err := svc.Load(t.Context(), pole, lyonAE); err != nil {
		t.Errorf("the national team loading Lyon: %v", err)
	}
	list, err := svc.List(t.Context(), referent)
	if err != nil || len(list) != 1 || list[0].ID != rennesAE {
		t.Errorf("the référent's list = %+v, %v", list, err)
	}
}

// TestSaveRules: who may save what, and what a save returns.
func TestSaveRules(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	svc := autoeval.NewService(f)
	sheet := func(a *domain.Actor) *autoeval.Sheet {
		sh, err := svc.Sheet(ctx, a, rennesAE)
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	for _, a := range []*domain.Actor{referent, pole} {
		if _, err := svc.Save(ctx, a, sheet(a), nil); !errors.Is(err, autoeval.ErrMayNotRate) {
			t.Errorf("%s saving: %v, want ErrMayNotRate", a.Nom, err)
		}
	}
	sh := sheet(director)
	saved, err := svc.Save(ctx, director, sh, []autoeval.CotationChange{{Code: "F1.R1.C1", Cotation: answer(3)}, {Code: "F1.R1.C2"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := saved.Answers["F1.R1.C1"]; got.Valeur != 3 || got.Version != 1 || got.By != "Yann" || !slices.Equal(saved.Changed, []string{"F1.R1.C1"}) {
		t.Errorf("saved = %+v", saved)
	}
	if _, err := svc.Save(ctx, director, sh, []autoeval.CotationChange{{Code: "Z9"}}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("unknown item: %v, want EINVALID", err)
	}
	bad := []autoeval.CotationChange{{Code: "F1.R1.C1", Cotation: answer(9)}, {Code: "F1.R1.C2", Cotation: autoeval.Cotation{NonConcerne: true}}}
	calls := f.calls["SaveCotations"]
	if _, err := svc.Save(ctx, director, sh, bad); domain.ErrorCode(err) != domain.EINVALID ||
		domain.ErrorFields(err)["valeur-F1.R1.C1"] == "" || domain.ErrorFields(err)["justification-F1.R1.C2"] == "" {
		t.Errorf("invalid answers: %v, want a field error at each", err)
	}
	if f.calls["SaveCotations"] != calls {
		t.Error("invalid answers reached the store")
	}
	// Texts are trimmed before they are stored.
	if saved, err := svc.Save(ctx, director, sh, []autoeval.CotationChange{{Code: "F1.R1.C2", Cotation: autoeval.Cotation{Valeur: 2, Commentaire: "  ok  "}}}); err != nil ||
		saved.Answers["F1.R1.C2"].Commentaire != "ok" {
		t.Errorf("trimmed save = %+v, %v", saved, err)
	}

	// A contributor limited to F1 may rate F1, not F2.
	f.limits[contributorMembership] = []string{"F1"}
	sh = sheet(contributor)
	if !sh.Allowed("F1") || sh.Allowed("F2") {
		t.Error("the contributor's sections are not those the director gave")
	}
	if _, err := svc.Save(ctx, contributor, sh, []autoeval.CotationChange{{Code: "F1.R1.C1", Cotation: answer(4), BaseVersion: 1}}); err != nil {
		t.Errorf("contributor on F1: %v", err)
	}
	if _, err := svc.Save(ctx, contributor, sh, []autoeval.CotationChange{{Code: "F2.R1.C1", Cotation: answer(4)}}); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("contributor on F2: %v, want EFORBIDDEN", err)
	}

	// Once submitted, nothing changes any more.
	a := f.autoeval[rennesAE]
	a.Etat = demarche.Soumise
	f.autoeval[rennesAE] = a
	if _, err := svc.Save(ctx, director, sheet(director), []autoeval.CotationChange{{Code: "F1.R1.C1", Cotation: answer(1), BaseVersion: 2}}); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("save after submission: %v, want ECONFLICT", err)
	}
}

// TestSaveItemChecksInOrder: the item, then the role, then the form, then the
// answer, each once.
func TestSaveItemChecksInOrder(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	svc := autoeval.NewService(f)
	form := url.Values{"version-F1.R1.C1": {"0"}, "valeur-F1.R1.C1": {"2"}}
	shPole, _ := svc.Sheet(ctx, pole, rennesAE)
	shDir, _ := svc.Sheet(ctx, director, rennesAE)
	for _, tc := range []struct {
		name  string
		sh    *autoeval.Sheet
		code  string
		form  url.Values
		want  string
		field string
	}{
		{"unknown item before the role", shPole, "Z9", form, domain.ENOTFOUND, ""},
		{"role before the form", shPole, "F1.R1.C1", url.Values{}, domain.EFORBIDDEN, ""},
		{"incomplete form", shDir, "F1.R1.C1", url.Values{}, domain.EINVALID, ""},
		{"not a number", shDir, "F1.R1.C1", url.Values{"version-F1.R1.C1": {"0"}, "valeur-F1.R1.C1": {"beaucoup"}}, domain.EINVALID, "valeur-F1.R1.C1"},
		{"outside the scale", shDir, "F1.R1.C1", url.Values{"version-F1.R1.C1": {"0"}, "valeur-F1.R1.C1": {"7"}}, domain.EINVALID, "valeur-F1.R1.C1"},
		{"a version past 32 bits", shDir, "F1.R1.C1", url.Values{"version-F1.R1.C1": {"4294967296"}}, domain.EINVALID, ""},
	} {
		_, err := svc.SaveItem(ctx, director, tc.sh, tc.code, tc.form)
		if domain.ErrorCode(err) != tc.want || (tc.field != "" && domain.ErrorFields(err)[tc.field] == "") {
			t.Errorf("%s: %v, want %s %s", tc.name, err, tc.want, tc.field)
		}
	}
	if f.calls["SaveCotations"] != 0 {
		t.Fatal("a refused save reached the store")
	}
	saved, err := svc.SaveItem(ctx, director, shDir, "F1.R1.C1", form)
	if err != nil || saved.Answers["F1.R1.C1"].Valeur != 2 || len(f.saved) != 1 || f.saved[0][0].BaseVersion != 0 {
		t.Errorf("save = %+v, %v; store got %+v", saved, err, f.saved)
	}
}

// TestSubmitNeedsTheDirectorAndAnEmptyChecklist.
func TestSubmitNeedsTheDirectorAndAnEmptyChecklist(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	svc := autoeval.NewService(f)
	for _, a := range []*domain.Actor{contributor, referent, pole} {
		sh, _ := svc.Sheet(ctx, a, rennesAE)
		if err := svc.Submit(ctx, a, sh, ""); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("%s submitting: %v, want EFORBIDDEN", a.Nom, err)
		}
	}
	sh, _ := svc.Sheet(ctx, director, rennesAE)
	if err := svc.Submit(ctx, director, sh, ""); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("submitting unanswered: %v, want EINVALID", err)
	}
	for _, it := range sh.Items {
		f.answers[rennesAE][it.Code] = autoeval.SavedCotation{Cotation: answer(2), Version: 1}
	}
	if err := svc.Submit(ctx, director, sh, "  Bon pour avis.  "); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if f.autoeval[rennesAE].Etat != demarche.Soumise || len(f.recorded) != 1 || f.recorded[0].Action != demarche.Soumettre || f.recorded[0].Commentaire != "Bon pour avis." {
		t.Errorf("after submit: %s, %+v", f.autoeval[rennesAE].Etat, f.recorded)
	}
	if err := svc.Submit(ctx, director, sh, ""); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("second submission: %v, want ECONFLICT", err)
	}
}

// TestSectionsAndCopyAreTheDirectors.
func TestSectionsAndCopyAreTheDirectors(t *testing.T) {
	ctx := t.Context()
	f := newFake(t)
	svc := autoeval.NewService(f)
	for _, a := range []*domain.Actor{contributor, referent, pole} {
		v, _ := svc.Load(ctx, a, rennesAE)
		if err := svc.SetSections(ctx, a, v.Sheet, contributorMembership, []string{"F1"}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("%s assigning: %v, want EFORBIDDEN", a.Nom, err)
		}
		if _, err := svc.CopyPrevious(ctx, a, v); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("%s copying: %v, want EFORBIDDEN", a.Nom, err)
		}
	}
	v, _ := svc.Load(ctx, director, rennesAE)
	for _, tc := range []struct {
		name       string
		membership int64
		sections   []string
		want       string
	}{
		{"no person", 0, nil, domain.EINVALID},
		{"unknown section", contributorMembership, []string{"F1", "Z9"}, domain.EINVALID},
		{"not a contributor of the ML", 99, []string{"F1"}, domain.ENOTFOUND},
		{"sections", contributorMembership, []string{"F1", "F2"}, ""},
	} {
		if err := svc.SetSections(ctx, director, v.Sheet, tc.membership, tc.sections); domain.ErrorCode(err) != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if !slices.Equal(f.limits[contributorMembership], []string{"F1", "F2"}) {
		t.Errorf("limits = %v", f.limits)
	}
	if _, err := svc.CopyPrevious(ctx, director, v); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("copy without a previous campaign: %v, want ENOTFOUND", err)
	}
	if ok, err := svc.HasPrevious(ctx, v.Sheet); ok || err != nil {
		t.Errorf("HasPrevious = %v, %v", ok, err)
	}
}

// TestConflictHasItsCode: the edges read a conflict's code and message
// through domain's helpers.
func TestConflictHasItsCode(t *testing.T) {
	var err error = &autoeval.ConflictError{Current: map[string]autoeval.SavedCotation{"A": {}}}
	if domain.ErrorCode(err) != domain.ECONFLICT || domain.ErrorMessage(err) == "Erreur interne." {
		t.Errorf("conflict: %s %q", domain.ErrorCode(err), domain.ErrorMessage(err))
	}
	var c *autoeval.ConflictError
	if !errors.As(fmtWrap(err), &c) || len(c.Current) != 1 {
		t.Error("a wrapped conflict lost its answers")
	}
}

func fmtWrap(err error) error {
	return errors.Join(errors.New("save cotations of autoevaluation 1"), err)
}
