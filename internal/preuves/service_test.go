package preuves

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unml/cadre/internal/domain"
)

// fakeStore is the library of two MLs in two régions, in memory, and the calls
// the service made.
type fakeStore struct {
	structures map[int64]domain.Structure
	pieces     map[int64]domain.Preuve
	acked      map[int64]bool
	armlOK     map[int64]bool
	writes     []string // the write methods called, in order
	logged     []int64  // the version ids of the downloads logged
}

const (
	regionBRE, regionARA = 1, 2
	rennes, lyon         = 10, 20
	pieceRennes          = 100 // a file of ML Rennes
	pieceLyon            = 200
	lienRennes           = 101 // a link of ML Rennes
)

func newFake() *fakeStore {
	return &fakeStore{
		structures: map[int64]domain.Structure{
			rennes: {ID: rennes, RegionID: regionBRE, Nom: "ML Rennes"},
			lyon:   {ID: lyon, RegionID: regionARA, Nom: "ML Lyon"},
		},
		pieces: map[int64]domain.Preuve{
			pieceRennes: {ID: pieceRennes, StructureID: rennes, Nature: domain.NatureFichier, Titre: "Procédure", Type: "procedure"},
			lienRennes:  {ID: lienRennes, StructureID: rennes, Nature: domain.NatureLien, Titre: "Site", Type: "autre", URL: "https://example.org"},
			pieceLyon:   {ID: pieceLyon, StructureID: lyon, Nature: domain.NatureFichier, Titre: "Projet", Type: "autre"},
		},
		acked:  map[int64]bool{},
		armlOK: map[int64]bool{},
	}
}

var errNotFound = domain.Errorf(domain.ENOTFOUND, "introuvable")

func covers(v domain.Visibility, st domain.Structure) bool {
	return v.All || slices.Contains(v.RegionIDs, st.RegionID) || slices.Contains(v.StructureIDs, st.ID)
}

func (f *fakeStore) Structure(_ context.Context, v domain.Visibility, id int64) (domain.Structure, error) {
	st, ok := f.structures[id]
	if !ok || !covers(v, st) {
		return domain.Structure{}, errNotFound
	}
	return st, nil
}

func (f *fakeStore) Preuve(_ context.Context, v domain.Visibility, id int64) (domain.Preuve, error) {
	p, ok := f.pieces[id]
	if !ok || !covers(v, f.structures[p.StructureID]) {
		return domain.Preuve{}, errNotFound
	}
	return p, nil
}

// own returns ENOTFOUND unless the piece is the ML's, as the store's scoped methods do.
func (f *fakeStore) own(structureID, preuveID int64) error {
	if p, ok := f.pieces[preuveID]; !ok || p.StructureID != structureID {
		return errNotFound
	}
	return nil
}

func (f *fakeStore) ListPreuves(_ context.Context, structureID int64, _ Filter) ([]domain.Preuve, error) {
	var list []domain.Preuve
	for _, p := range f.pieces {
		if p.StructureID == structureID {
			list = append(list, p)
		}
	}
	return list, nil
}

func (f *fakeStore) PreuveVersions(_ context.Context, structureID, preuveID int64) ([]Version, error) {
	return []Version{{ID: 1, Version: 1}}, f.own(structureID, preuveID)
}

func (f *fakeStore) PreuveItems(_ context.Context, structureID, preuveID int64) ([]string, error) {
	return []string{"G.C1.M1"}, f.own(structureID, preuveID)
}

func (f *fakeStore) StatutHistory(_ context.Context, structureID, preuveID int64) ([]StatutEntry, error) {
	return []StatutEntry{{Statut: domain.StatutDeposee}}, f.own(structureID, preuveID)
}

func (f *fakeStore) UpdateMetadata(_ context.Context, _ *domain.Actor, structureID, preuveID int64, m Metadata) (bool, error) {
	if err := f.own(structureID, preuveID); err != nil {
		return false, err
	}
	p := f.pieces[preuveID]
	if MetadataOf(p).Equal(m) {
		return false, nil
	}
	f.writes = append(f.writes, "UpdateMetadata")
	p.Titre, p.Type, p.DateDocument, p.FinValidite, p.URL, p.SiteIDs = m.Titre, m.Type, m.DateDocument, m.FinValidite, m.URL, m.SiteIDs
	f.pieces[preuveID] = p
	return true, nil
}

func (f *fakeStore) Modifications(_ context.Context, structureID, preuveID int64) ([]Modification, error) {
	return nil, f.own(structureID, preuveID)
}

func (f *fakeStore) Downloads(_ context.Context, structureID, preuveID int64) ([]Download, error) {
	return []Download{{Version: 1}}, f.own(structureID, preuveID)
}

func (f *fakeStore) DocumentsARML(_ context.Context, structureID int64) (bool, error) {
	return f.armlOK[structureID], nil
}

func (f *fakeStore) RGPDAcknowledged(_ context.Context, userID int64) (time.Time, bool, error) {
	return time.Time{}, f.acked[userID], nil
}

type fakeFile struct {
	io.Reader
	info FileInfo
}

func (f fakeFile) Info() FileInfo { return f.info }

func (f *fakeStore) OpenVersion(_ context.Context, structureID, preuveID int64, version int) (File, error) {
	if err := f.own(structureID, preuveID); err != nil {
		return nil, err
	}
	if f.pieces[preuveID].Nature != domain.NatureFichier || version > 1 {
		return nil, errNotFound
	}
	return fakeFile{strings.NewReader("%PDF-"), FileInfo{VersionID: 7, Version: 1}}, nil
}

func (f *fakeStore) CreatePreuve(_ context.Context, _ *domain.Actor, p domain.Preuve, _ *Upload) (int64, error) {
	f.writes = append(f.writes, "create")
	return 300, nil
}

func (f *fakeStore) AddVersion(_ context.Context, _ *domain.Actor, structureID, preuveID int64, _ Upload) (int, error) {
	f.writes = append(f.writes, "version")
	return 2, f.own(structureID, preuveID)
}

func (f *fakeStore) Attach(_ context.Context, _ *domain.Actor, structureID, preuveID, _ int64) error {
	f.writes = append(f.writes, "attach")
	return f.own(structureID, preuveID)
}

func (f *fakeStore) Detach(_ context.Context, _ *domain.Actor, structureID, preuveID, _ int64) error {
	f.writes = append(f.writes, "detach")
	return f.own(structureID, preuveID)
}

func (f *fakeStore) LogDownload(_ context.Context, _ *domain.Actor, structureID, preuveID, versionID int64) error {
	f.writes = append(f.writes, "log")
	f.logged = append(f.logged, versionID)
	return f.own(structureID, preuveID)
}

func (f *fakeStore) SetDocumentsARML(_ context.Context, _ *domain.Actor, structureID int64, allowed bool) error {
	f.writes = append(f.writes, "settings")
	f.armlOK[structureID] = allowed
	return nil
}

func (f *fakeStore) AcknowledgeRGPD(_ context.Context, _ *domain.Actor, userID int64) error {
	f.writes = append(f.writes, "rgpd")
	f.acked[userID] = true
	return nil
}

// The people of the tests, by their role on ML Rennes.
var (
	director    = &domain.Actor{UserID: 1, Memberships: []domain.Membership{{Role: domain.RoleDirecteur, StructureID: rennes}}}
	contributor = &domain.Actor{UserID: 2, Memberships: []domain.Membership{{Role: domain.RoleContributeur, StructureID: rennes}}}
	referent    = &domain.Actor{UserID: 3, Memberships: []domain.Membership{{Role: domain.RoleReferentARML, RegionID: regionBRE}}}
	pole        = &domain.Actor{UserID: 4, Memberships: []domain.Membership{{Role: domain.RolePole}}}
	admin       = &domain.Actor{UserID: 5, Memberships: []domain.Membership{{Role: domain.RoleAdmin}}}
	lyonDir     = &domain.Actor{UserID: 6, Memberships: []domain.Membership{{Role: domain.RoleDirecteur, StructureID: lyon}}}
)

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := domain.ErrorCode(err); got != code {
		t.Errorf("%s: err = %v (%s), want %s", what, err, got, code)
	}
}

// valid is a link piece of ML Rennes that passes CheckNew.
func valid() domain.Preuve {
	return domain.Preuve{StructureID: rennes, Nature: domain.NatureLien, Titre: " Site ", Type: "autre", URL: "https://example.org/a"}
}

func TestCreateAsksThePolicyThenTheRGPDThenValidates(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		actor *domain.Actor
		acked bool
		p     domain.Preuve
		code  string
	}{
		{"another ML's director", lyonDir, true, valid(), domain.ENOTFOUND},
		{"the admin, who sees no library", admin, true, valid(), domain.ENOTFOUND},
		{"the région's référent", referent, true, valid(), domain.EFORBIDDEN},
		{"the national team", pole, true, valid(), domain.EFORBIDDEN},
		{"nobody", nil, true, valid(), domain.ENOTFOUND},
		{"the contributor before the RGPD warning", contributor, false, valid(), domain.EINVALID},
		{"an invalid piece", director, true, domain.Preuve{StructureID: rennes, Nature: domain.NatureLien, Type: "autre"}, domain.EINVALID},
		{"a file piece without its file", director, true, domain.Preuve{StructureID: rennes, Nature: domain.NatureFichier, Titre: "x", Type: "autre"}, domain.EINVALID},
		{"the director", director, true, valid(), ""},
		{"the contributor", contributor, true, valid(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newFake()
			if tc.actor != nil {
				store.acked[tc.actor.UserID] = tc.acked
			}
			_, err := NewService(store).Create(ctx, tc.actor, tc.p, nil)
			wantCode(t, "Create", err, tc.code)
			if wrote := len(store.writes) > 0; wrote != (tc.code == "") {
				t.Errorf("writes = %v", store.writes)
			}
		})
	}
}

func TestCreateBeforeTheRGPDWarningIsErrRGPD(t *testing.T) {
	store := newFake()
	svc := NewService(store)
	_, err := svc.Create(t.Context(), contributor, valid(), nil)
	if !errors.Is(err, ErrRGPD) {
		t.Fatalf("Create = %v, want ErrRGPD", err)
	}
	if err := svc.MayCreate(t.Context(), contributor, domain.Scope{RegionID: regionBRE, StructureID: rennes}); !errors.Is(err, ErrRGPD) {
		t.Errorf("MayCreate = %v, want ErrRGPD", err)
	}
	if err := svc.AcknowledgeRGPD(t.Context(), contributor); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(t.Context(), contributor, valid(), nil); err != nil {
		t.Errorf("Create after the acknowledgement = %v", err)
	}
	wantCode(t, "acknowledge without a person", svc.AcknowledgeRGPD(t.Context(), nil), domain.EFORBIDDEN)
	if ok, err := svc.RGPDAcknowledged(t.Context(), nil); ok || err != nil {
		t.Errorf("RGPDAcknowledged(nil) = %v, %v", ok, err)
	}
}

func TestCreateFileChecks(t *testing.T) {
	store := newFake()
	store.acked[director.UserID] = true
	file := &Upload{Name: "a.pdf", Content: strings.NewReader("%PDF-")}
	link := valid()
	_, err := NewService(store).Create(t.Context(), director, link, file)
	if domain.ErrorFields(err)["file"] == "" {
		t.Errorf("a link with a file: %v, want a file error", err)
	}
	fichier := domain.Preuve{StructureID: rennes, Nature: domain.NatureFichier, Titre: "x", Type: "autre"}
	if _, err := NewService(store).Create(t.Context(), director, fichier, file); err != nil {
		t.Errorf("a file piece with its file: %v", err)
	}
}

// TestWritesOnAPiece: the piece's ML decides who may add versions, attach and
// detach; another tenant's piece is not found, and nothing is written unless
// allowed.
func TestWritesOnAPiece(t *testing.T) {
	ctx := t.Context()
	writes := map[string]func(*Service, *domain.Actor, int64) error{
		"AddVersion": func(s *Service, a *domain.Actor, id int64) error {
			_, err := s.AddVersion(ctx, a, id, Upload{Name: "a.pdf", Content: strings.NewReader("%PDF-")})
			return err
		},
		"Attach": func(s *Service, a *domain.Actor, id int64) error { return s.Attach(ctx, a, id, 1) },
		"UpdateMetadata": func(s *Service, a *domain.Actor, id int64) error {
			_, err := s.UpdateMetadata(ctx, a, id, Metadata{Titre: "Procédure révisée", Type: "procedure"})
			return err
		},
		"Detach": func(s *Service, a *domain.Actor, id int64) error { return s.Detach(ctx, a, id, 1) },
	}
	for name, write := range writes {
		for _, tc := range []struct {
			who   string
			actor *domain.Actor
			id    int64
			code  string
		}{
			{"director", director, pieceRennes, ""},
			{"contributor", contributor, pieceRennes, ""},
			{"référent", referent, pieceRennes, domain.EFORBIDDEN},
			{"national team", pole, pieceRennes, domain.EFORBIDDEN},
			{"admin", admin, pieceRennes, domain.ENOTFOUND},
			{"nobody", nil, pieceRennes, domain.ENOTFOUND},
			{"director on another ML's piece", director, pieceLyon, domain.ENOTFOUND},
			{"director on an unknown piece", director, 999, domain.ENOTFOUND},
		} {
			store := newFake()
			err := write(NewService(store), tc.actor, tc.id)
			wantCode(t, name+" by "+tc.who, err, tc.code)
			if wrote := len(store.writes) > 0; wrote != (tc.code == "") {
				t.Errorf("%s by %s: writes = %v", name, tc.who, store.writes)
			}
		}
	}
}

func TestDocumentsARMLSetting(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		who   string
		actor *domain.Actor
		id    int64
		code  string
	}{
		{"director", director, rennes, ""},
		{"contributor", contributor, rennes, domain.EFORBIDDEN},
		{"référent", referent, rennes, domain.EFORBIDDEN},
		{"national team", pole, rennes, domain.EFORBIDDEN},
		{"another ML's director", lyonDir, rennes, domain.ENOTFOUND},
		{"admin", admin, rennes, domain.ENOTFOUND},
	} {
		store := newFake()
		svc := NewService(store)
		wantCode(t, "SetDocumentsARML by "+tc.who, svc.SetDocumentsARML(ctx, tc.actor, tc.id, true), tc.code)
		if tc.code != "" {
			if len(store.writes) > 0 {
				t.Errorf("%s: writes = %v", tc.who, store.writes)
			}
			continue
		}
		if ok, err := svc.DocumentsARML(ctx, referent, rennes); !ok || err != nil {
			t.Errorf("DocumentsARML after %s allowed = %v, %v", tc.who, ok, err)
		}
	}
	_, err := NewService(newFake()).DocumentsARML(ctx, lyonDir, rennes)
	wantCode(t, "DocumentsARML of another ML", err, domain.ENOTFOUND)
}

func TestDownloadAsksTheMLForItsARML(t *testing.T) {
	ctx := t.Context()
	store := newFake()
	svc := NewService(store)

	_, err := svc.Download(ctx, referent, pieceRennes, 0)
	wantCode(t, "référent before the ML allows it", err, domain.EFORBIDDEN)
	if !errors.Is(err, errNoDownload) {
		t.Errorf("référent refused with %v, want the ML's choice", err)
	}
	_, err = svc.Download(ctx, referent, pieceRennes, -1)
	wantCode(t, "référent, no such version: the refusal first", err, domain.EFORBIDDEN)
	store.armlOK[rennes] = true
	f, err := svc.Download(ctx, referent, pieceRennes, 0)
	if err != nil {
		t.Fatalf("référent once allowed: %v", err)
	}
	if data, _ := io.ReadAll(f); string(data) != "%PDF-" || f.Info().VersionID != 7 {
		t.Errorf("read %q, %+v", data, f.Info())
	}
	if !slices.Equal(store.logged, []int64{7}) {
		t.Errorf("logged = %v, want the version read", store.logged)
	}

	for _, tc := range []struct {
		who     string
		actor   *domain.Actor
		id      int64
		version int
		code    string
	}{
		{"director", director, pieceRennes, 1, ""},
		{"contributor", contributor, pieceRennes, 0, ""},
		{"national team", pole, pieceRennes, 0, ""},
		{"a version that does not parse", director, pieceRennes, -1, domain.ENOTFOUND},
		{"a version that does not exist", director, pieceRennes, 2, domain.ENOTFOUND},
		{"a link", director, lienRennes, 0, domain.ENOTFOUND},
		{"another ML's director", lyonDir, pieceRennes, 0, domain.ENOTFOUND},
		{"admin", admin, pieceRennes, 0, domain.ENOTFOUND},
	} {
		store := newFake()
		_, err := NewService(store).Download(ctx, tc.actor, tc.id, tc.version)
		wantCode(t, "Download by "+tc.who, err, tc.code)
		if logged := len(store.logged) > 0; logged != (tc.code == "") {
			t.Errorf("%s: logged = %v", tc.who, store.logged)
		}
	}
}

func TestFicheShowsTheDownloadLogToManagersOnly(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		who      string
		actor    *domain.Actor
		seesLog  bool
		notFound bool
	}{
		{"director", director, true, false},
		{"contributor", contributor, true, false},
		{"national team (campaigns)", pole, true, false},
		{"référent", referent, false, false},
		{"another ML's director", lyonDir, false, true},
	} {
		f, err := NewService(newFake()).Fiche(ctx, tc.actor, pieceRennes)
		if tc.notFound {
			wantCode(t, tc.who, err, domain.ENOTFOUND)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.who, err)
		}
		if got := f.Downloads != nil; got != tc.seesLog {
			t.Errorf("%s sees the download log: %v, want %v", tc.who, got, tc.seesLog)
		}
		if f.Scope != (domain.Scope{RegionID: regionBRE, StructureID: rennes}) || len(f.Versions) != 1 || len(f.Items) != 1 || len(f.History) != 1 {
			t.Errorf("%s: fiche = %+v", tc.who, f)
		}
	}
	f, err := NewService(newFake()).Fiche(ctx, director, lienRennes)
	if err != nil || f.Versions != nil {
		t.Errorf("a link's fiche = %+v, %v; want no versions", f, err)
	}
}

func TestListIsScopedToWhoSeesTheLibrary(t *testing.T) {
	ctx := t.Context()
	svc := NewService(newFake())
	if list, err := svc.List(ctx, referent, rennes, Filter{}); err != nil || len(list) != 2 {
		t.Errorf("référent's list of Rennes = %v, %v", list, err)
	}
	_, err := svc.List(ctx, referent, lyon, Filter{})
	wantCode(t, "référent's list of another région's ML", err, domain.ENOTFOUND)
	_, err = svc.List(ctx, admin, rennes, Filter{})
	wantCode(t, "admin's list", err, domain.ENOTFOUND)
	if _, err := svc.Preuve(ctx, lyonDir, pieceRennes); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("another ML's piece: %v", err)
	}
}

func TestUpdateMetadata(t *testing.T) {
	ctx := t.Context()
	store := newFake()
	svc := NewService(store)
	// The same values again: no change, no write.
	if changed, err := svc.UpdateMetadata(ctx, director, pieceRennes, Metadata{Titre: " Procédure ", Type: "procedure"}); changed || err != nil {
		t.Errorf("same values: changed %v, %v", changed, err)
	}
	// Bad values are refused with field errors, and nothing is written.
	_, err := svc.UpdateMetadata(ctx, director, pieceRennes, Metadata{Titre: "", Type: "inconnu"})
	wantCode(t, "empty title", err, domain.EINVALID)
	if fe := domain.ErrorFields(err); fe["titre"] == "" || fe["type"] == "" {
		t.Errorf("field errors = %v", fe)
	}
	_, err = svc.UpdateMetadata(ctx, director, lienRennes, Metadata{Titre: "Site", Type: "autre", URL: "ftp://x"})
	wantCode(t, "a link's bad address", err, domain.EINVALID)
	if len(store.writes) > 0 {
		t.Fatalf("refused edits wrote %v", store.writes)
	}
	// A file keeps no address, whatever the form says.
	if changed, err := svc.UpdateMetadata(ctx, director, pieceRennes, Metadata{Titre: "Procédure d'accueil", Type: "procedure", URL: "https://x.org"}); !changed || err != nil {
		t.Fatalf("edit: changed %v, %v", changed, err)
	}
	if p := store.pieces[pieceRennes]; p.Titre != "Procédure d'accueil" || p.URL != "" {
		t.Errorf("after the edit: %+v", p)
	}
}

func TestModificationChanges(t *testing.T) {
	day := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	m := Modification{Avant: Metadata{Titre: "A", Type: "procedure", SiteIDs: []int64{1}}, Apres: Metadata{Titre: "B", Type: "procedure", DateDocument: &day, SiteIDs: []int64{1, 2}}}
	got := m.Changes(func(id int64) string { return map[int64]string{1: "Siège", 2: "Antenne"}[id] })
	want := []string{"Titre : « A » → « B »", "Date du document : « aucune » → « 15/03/2026 »", "Lieux d'accueil : « Siège » → « Siège, Antenne »"}
	if !slices.Equal(got, want) {
		t.Errorf("Changes = %q, want %q", got, want)
	}
}
