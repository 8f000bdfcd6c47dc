package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/preuves"
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
	brest, bretagne            = 10, 1
	brestAE, auditID           = 100, 7
	certifie, reseau, intrus   = 501, 502, 503
	pole, directeur, referentB = 600, 601, 602
)

// fakeStore is an in-memory Store for one ML's dossier and audit.
type fakeStore struct {
	ae       autoeval.Autoevaluation
	envoi    string
	audit    *Audit
	liens    map[int64][]Lien
	sites    []Site
	sample   []SampledSite
	notes    map[string]SavedNote
	verdicts map[int64]SavedVerdict
	constats []Constat
	preuves  []Preuve
	rapports []bool
	mails    []mail.Message
	// label: the ML holds its dossier's label in force; suiviOuvert: an open follow-up audit.
	label       bool
	suiviOuvert int64
	t           *testing.T
}

func newFake(t *testing.T, etat demarche.Etat) *fakeStore {
	return &fakeStore{t: t, ae: autoeval.Autoevaluation{ID: brestAE, StructureID: brest, RegionID: bretagne, Etat: etat, CampagneID: 1},
		liens: map[int64][]Lien{}, notes: map[string]SavedNote{}, verdicts: map[int64]SavedVerdict{},
		sites:   []Site{{ID: 1, Nom: "Siège", Siege: true}, {ID: 2, Nom: "Antenne"}, {ID: 3, Nom: "Relais"}},
		preuves: []Preuve{{ID: 70, Titre: "Procédure d'accueil", Nature: "fichier"}}}
}

func (f *fakeStore) Autoevaluation(_ context.Context, v domain.Visibility, id int64) (autoeval.Autoevaluation, error) {
	if id != f.ae.ID || !v.All {
		return autoeval.Autoevaluation{}, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	}
	return f.ae, nil
}
func (f *fakeStore) ReferentielByID(context.Context, int64) (*referentiel.Referentiel, error) {
	return cadreCommun(f.t), nil
}
func (f *fakeStore) Cotations(context.Context, int64, int64) (map[string]autoeval.SavedCotation, error) {
	return nil, nil
}
func (f *fakeStore) RevueItems(context.Context, int64, int64) (map[string]revue.SavedAvisItem, error) {
	return nil, nil
}
func (f *fakeStore) AvisRegionaux(context.Context, int64, int64) ([]revue.Avis, error) {
	return nil, nil
}
func (f *fakeStore) FileAudit(context.Context) (q, s []Dossier, err error) { return nil, nil, nil }
func (f *fakeStore) Auditeurs(context.Context) ([]Auditeur, error) {
	return []Auditeur{{UserID: certifie, Nom: "Alex Auditeur", Qualification: Certifie}, {UserID: reseau, Nom: "Sam Réseau", Qualification: Reseau},
		{UserID: intrus, Nom: "Intrus", Qualification: Reseau}}, nil
}
func (f *fakeStore) Liens(_ context.Context, userID, _ int64) ([]Lien, error) {
	return f.liens[userID], nil
}
func (f *fakeStore) SitesAudit(context.Context, int64) ([]Site, []int64, error) {
	return f.sites, nil, nil
}
func (f *fakeStore) EnvoyerAudit(_ context.Context, _ *domain.Actor, _, _ int64, motif string) error {
	f.envoi = motif
	return nil
}
func (f *fakeStore) AssignAudit(_ context.Context, _ *domain.Actor, _, _ int64, a Assignment, seed int64, candidats, visites []int64, siege int64,
	sample []Tire, decide func(demarche.Etat, string) (demarche.Etat, demarche.Transition, string, error)) (int64, error) {
	next, _, _, err := decide(f.ae.Etat, f.envoi)
	if err != nil {
		return 0, err
	}
	f.ae.Etat = next
	f.audit = &Audit{ID: auditID, AutoevaluationID: brestAE, StructureID: brest, RegionID: bretagne, Nature: a.Nature, Certifie: a.Certifie,
		Reseau: a.Reseau, Etat: EnCours, Seed: seed, Candidats: candidats, Visites: visites, Siege: siege}
	for i, x := range sample {
		f.sample = append(f.sample, SampledSite{Rang: i + 1, SiteID: x.SiteID, TireID: x.SiteID, Aleatoire: x.Aleatoire, Siege: x.SiteID == siege})
	}
	return auditID, nil
}
func (f *fakeStore) LabelSuivi(context.Context, int64, int64, time.Time) (LabelSuivi, error) {
	return LabelSuivi{EnVigueur: f.label, Ouvert: f.suiviOuvert}, nil
}
func (f *fakeStore) Audit(_ context.Context, v domain.Visibility, id int64) (Audit, error) {
	if f.audit == nil || id != f.audit.ID || !(v.All || contains(v.StructureIDs, brest) || contains(v.RegionIDs, bretagne)) {
		return Audit{}, domain.Errorf(domain.ENOTFOUND, "Audit introuvable.")
	}
	return *f.audit, nil
}
func contains(xs []int64, x int64) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
func (f *fakeStore) AuditsOf(context.Context, domain.Visibility, int64) ([]Audit, error) {
	return nil, nil
}
func (f *fakeStore) Suivis(context.Context) ([]Audit, error) {
	return []Audit{{ID: 9, Nature: Suivi}}, nil
}
func (f *fakeStore) Echantillon(context.Context, int64, int64) ([]SampledSite, error) {
	return f.sample, nil
}
func (f *fakeStore) ReplaceSite(_ context.Context, _ *domain.Actor, _, _ int64, rang int, siteID int64, j string) error {
	f.sample[rang-1].SiteID, f.sample[rang-1].Justification = siteID, j
	return nil
}
func (f *fakeStore) Notes(context.Context, int64, int64) (map[string]SavedNote, error) {
	return f.notes, nil
}
func (f *fakeStore) SaveNotes(_ context.Context, _ *domain.Actor, _, _ int64, changes []NoteChange) (map[string]SavedNote, error) {
	var what []string
	for _, ch := range changes {
		if f.notes[ch.Code].Version != ch.BaseVersion {
			what = append(what, ch.Code)
		}
	}
	if len(what) > 0 {
		return nil, &ConflictError{What: what}
	}
	for _, ch := range changes {
		f.notes[ch.Code] = SavedNote{Note: ch.Note, Version: ch.BaseVersion + 1}
	}
	return f.notes, nil
}
func (f *fakeStore) PreuvesAudit(context.Context, int64, int64) ([]Preuve, error) {
	return f.preuves, nil
}
func (f *fakeStore) Verdicts(context.Context, int64, int64) (map[int64]SavedVerdict, error) {
	return f.verdicts, nil
}
func (f *fakeStore) SaveVerdict(_ context.Context, _ *domain.Actor, _, _, preuveID int64, v PreuveVerdict, base int) (SavedVerdict, error) {
	f.verdicts[preuveID] = SavedVerdict{PreuveVerdict: v, Version: base + 1}
	return f.verdicts[preuveID], nil
}
func (f *fakeStore) Constats(context.Context, int64, int64) ([]Constat, error) {
	return f.constats, nil
}
func (f *fakeStore) AddConstat(_ context.Context, _ *domain.Actor, _, _ int64, c Constat) (int64, error) {
	c.ID = int64(900 + len(f.constats))
	f.constats = append(f.constats, c)
	return c.ID, nil
}
func (f *fakeStore) SaveObservations(_ context.Context, _ *domain.Actor, _, _ int64, reponses bool, generale string, par map[int64]string, _ time.Time) error {
	if reponses {
		f.audit.ReponseGenerale = generale
	} else {
		f.audit.ObservationGenerale = generale
	}
	return nil
}
func (f *fakeStore) DelaiObservations(context.Context, int64) (int, error) { return 15, nil }
func (f *fakeStore) EmettreRapport(_ context.Context, _ *domain.Actor, _, _ int64, definitif bool, synthese string, limite *time.Time,
	decide func(demarche.Etat) (demarche.Etat, error), message func(revue.Destinataire) mail.Message) error {
	next, err := decide(f.ae.Etat)
	if err != nil {
		return err
	}
	f.ae.Etat = next
	f.rapports = append(f.rapports, definitif)
	if definitif {
		f.audit.Etat = RapportDefinitif
	} else {
		f.audit.Etat, f.audit.ObservationsLimite, f.audit.Synthese = RapportProvisoire, limite, synthese
	}
	f.mails = append(f.mails, message(revue.Destinataire{Email: "directeur@ml-brest.demo", Nom: "Gwen"}))
	return nil
}
func (f *fakeStore) OpenVersion(context.Context, int64, int64, int) (preuves.File, error) {
	return nil, errors.New("not in the fake")
}
func (f *fakeStore) LogDownload(context.Context, *domain.Actor, int64, int64, int64) error {
	return nil
}

// fakePlan covers constats and items with the counts it holds.
type fakePlan struct {
	parConstat map[int64]int
	parItem    map[string]int
}

func (p fakePlan) Couverture(context.Context, int64, []int64, []string) (map[int64]int, map[string]int, error) {
	return p.parConstat, p.parItem, nil
}

func actor(id int64, ms ...domain.Membership) *domain.Actor {
	a := &domain.Actor{UserID: id, Memberships: ms}
	return a
}

var (
	asPole      = actor(pole, domain.Membership{Role: domain.RolePole})
	asDirecteur = actor(directeur, domain.Membership{Role: domain.RoleDirecteur, StructureID: brest})
	asReferent  = actor(referentB, domain.Membership{Role: domain.RoleReferentARML, RegionID: bretagne})
)

// asAuditeur is an auditor; assigned adds the audit to their pairs.
func asAuditeur(id int64, assigned bool) *domain.Actor {
	a := actor(id, domain.Membership{Role: domain.RoleAuditeur})
	if assigned {
		a.Audits = []domain.AuditAccess{{AuditID: auditID, StructureID: brest}}
	}
	return a
}

func day(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

var pair = Assignment{Nature: Initial, Certifie: certifie, Reseau: reseau, Debut: day("2026-12-07"), Fin: day("2026-12-08")}

func assigned(t *testing.T, etat demarche.Etat, plan Plan) (*Service, *fakeStore) {
	t.Helper()
	f := newFake(t, etat)
	s := NewService(f, plan, nil)
	if _, err := s.Assign(t.Context(), asPole, f.ae, pair); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	return s, f
}

func detail(t *testing.T, s *Service, who *domain.Actor) *Detail {
	t.Helper()
	a, err := s.Load(t.Context(), who, auditID)
	if err != nil {
		t.Fatalf("Load as %d: %v", who.UserID, err)
	}
	d, err := s.Complete(t.Context(), who, a)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	if domain.ErrorCode(err) != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

func TestAssign(t *testing.T) {
	t.Parallel()
	s, f := assigned(t, demarche.AvisRendu, nil)
	if f.ae.Etat != demarche.EnAudit {
		t.Errorf("dossier %s after the assignment, want en audit", f.ae.Etat)
	}
	if len(f.sample) != 2 || f.sample[0].SiteID != 1 {
		t.Errorf("sample %+v: want ⌈√3⌉ = 2 sites, the siège first", f.sample)
	}
	d := detail(t, s, asPole)
	if err := s.Verifier(d); err != nil {
		t.Errorf("Vérifier le tirage: %v", err)
	}
	// The dossier has its audit: a second assignment is refused by the state.
	if _, err := s.Assign(t.Context(), asPole, f.ae, pair); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("second assignment: %v, want a conflict", err)
	}
}

func TestAssignRefusals(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		who   *domain.Actor
		etat  demarche.Etat
		as    Assignment
		liens map[int64][]Lien
		code  string
		field string
	}{
		"the auditor":           {who: asAuditeur(certifie, false), etat: demarche.AvisRendu, as: pair, code: domain.EFORBIDDEN},
		"the director":          {who: asDirecteur, etat: demarche.AvisRendu, as: pair, code: domain.EFORBIDDEN},
		"the référent":          {who: asReferent, etat: demarche.AvisRendu, as: pair, code: domain.EFORBIDDEN},
		"submitted, no avis":    {who: asPole, etat: demarche.Soumise, as: pair, code: domain.ECONFLICT},
		"still en cours":        {who: asPole, etat: demarche.EnCours, as: pair, code: domain.ECONFLICT},
		"already audited":       {who: asPole, etat: demarche.EnAudit, as: pair, code: domain.ECONFLICT},
		"no kind":               {who: asPole, etat: demarche.AvisRendu, as: Assignment{Certifie: certifie, Reseau: reseau, Debut: pair.Debut, Fin: pair.Fin}, code: domain.EINVALID, field: "nature"},
		"end before start":      {who: asPole, etat: demarche.AvisRendu, as: Assignment{Nature: Suivi, Certifie: certifie, Reseau: reseau, Debut: pair.Fin, Fin: pair.Debut}, code: domain.EINVALID, field: "fin"},
		"two network auditors":  {who: asPole, etat: demarche.AvisRendu, as: Assignment{Nature: Initial, Certifie: intrus, Reseau: reseau, Debut: pair.Debut, Fin: pair.Fin}, code: domain.EINVALID, field: "certifie"},
		"no network auditor":    {who: asPole, etat: demarche.AvisRendu, as: Assignment{Nature: Initial, Certifie: certifie, Debut: pair.Debut, Fin: pair.Fin}, code: domain.EINVALID, field: "reseau"},
		"member of the ML":      {who: asPole, etat: demarche.AvisRendu, as: pair, liens: map[int64][]Lien{reseau: {{Role: domain.RoleContributeur, ScopeNom: "Mission Locale du Pays de Brest"}}}, code: domain.EINVALID, field: "reseau"},
		"once an ARML referent": {who: asPole, etat: demarche.AvisRendu, as: pair, liens: map[int64][]Lien{certifie: {{Role: domain.RoleReferentARML, ScopeNom: "Bretagne", Passe: true}}}, code: domain.EINVALID, field: "certifie"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, c.etat)
			if c.liens != nil {
				f.liens = c.liens
			}
			s := NewService(f, nil, nil)
			_, err := s.Assign(t.Context(), c.who, f.ae, c.as)
			wantCode(t, err, c.code, name)
			if c.field != "" && domain.ErrorFields(err)[c.field] == "" {
				t.Errorf("%s: no message on %s: %v", name, c.field, domain.ErrorFields(err))
			}
			if f.audit != nil || f.ae.Etat != c.etat {
				t.Errorf("%s: refused, yet the audit was created or the dossier moved", name)
			}
		})
	}
}

func TestConflictMessageNamesTheMembership(t *testing.T) {
	t.Parallel()
	f := newFake(t, demarche.AvisRendu)
	f.liens[certifie] = []Lien{{Role: domain.RoleDirecteur, ScopeNom: "Mission Locale du Pays de Cornouaille", Passe: true}}
	_, err := NewService(f, nil, nil).Assign(t.Context(), asPole, f.ae, pair)
	msg := domain.ErrorFields(err)["certifie"]
	for _, want := range []string{"Alex Auditeur ne peut pas auditer", "a été Directeur·rice", "Cornouaille"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

// TestSendWithoutAvis: a submitted dossier reaches the audit without an avis
// régional only once the Pôle sent it, with a reason.
func TestSendWithoutAvis(t *testing.T) {
	t.Parallel()
	f := newFake(t, demarche.Soumise)
	s := NewService(f, nil, nil)
	wantCode(t, s.EnvoyerSansAvis(t.Context(), asPole, f.ae, "  "), domain.EINVALID, "no reason")
	wantCode(t, s.EnvoyerSansAvis(t.Context(), asReferent, f.ae, "Calendrier"), domain.EFORBIDDEN, "the référent")
	if err := s.EnvoyerSansAvis(t.Context(), asPole, f.ae, "L'ARML n'a pas de référent cette année."); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Assign(t.Context(), asPole, f.ae, pair); err != nil {
		t.Fatalf("Assign after the sending: %v", err)
	}
	if f.ae.Etat != demarche.EnAudit {
		t.Errorf("dossier %s, want en audit", f.ae.Etat)
	}
	f2 := newFake(t, demarche.AvisRendu)
	wantCode(t, NewService(f2, nil, nil).EnvoyerSansAvis(t.Context(), asPole, f2.ae, "Motif"), domain.ECONFLICT, "avis rendu already")
}

// TestWhoSeesTheAudit: the Pôle and the pair see the audit; another auditor
// and, until the provisional report, the ML get ENOTFOUND.
func TestWhoSeesTheAudit(t *testing.T) {
	t.Parallel()
	s, f := assigned(t, demarche.AvisRendu, nil)
	for name, who := range map[string]*domain.Actor{"pole": asPole, "certifie": asAuditeur(certifie, true), "reseau": asAuditeur(reseau, true)} {
		if _, err := s.Load(t.Context(), who, auditID); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	other := asAuditeur(intrus, false)
	other.Audits = []domain.AuditAccess{{AuditID: auditID + 1, StructureID: brest}} // assigned to another audit of the same ML
	for name, who := range map[string]*domain.Actor{"another auditor": other, "unassigned": asAuditeur(intrus, false), "referent": asReferent} {
		if _, err := s.Load(t.Context(), who, auditID); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	if _, err := s.Load(t.Context(), asDirecteur, auditID); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("director on an audit in progress: %v, want not found", err)
	}
	f.audit.Etat = RapportDefinitif
	a, _ := s.Load(t.Context(), asReferent, auditID)
	if a == nil || !RolesOn(asReferent, a).Verdicts || RolesOn(asReferent, a).Report {
		t.Errorf("référent after the final report: %v, want the three verdicts only", a)
	}
}

// TestWorkflow takes an audit from the assignment to the final report, with
// the refusals of each step by role and state.
func TestWorkflow(t *testing.T) {
	t.Parallel()
	s, f := assigned(t, demarche.AvisRendu, fakePlan{parConstat: map[int64]int{}, parItem: map[string]int{}})
	ctx := t.Context()
	a1, a2, other := asAuditeur(certifie, true), asAuditeur(reseau, true), asAuditeur(intrus, false)
	items := cadreCommun(t).Items()
	code := items[0].Code
	d := detail(t, s, a1)

	// Ratings: only the pair, on the scale.
	if _, err := s.SaveNotes(ctx, a1, d, []NoteChange{{Code: code, Note: Note{Valeur: 4, Commentaire: "Vu sur place"}}}); err != nil {
		t.Fatal(err)
	}
	_, err := s.SaveNotes(ctx, a2, d, []NoteChange{{Code: code, Note: Note{Valeur: 3}}})
	var ce *ConflictError
	if !errors.As(err, &ce) || domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("the other auditor's stale save: %v, want a conflict", err)
	}
	wantCode(t, func() error {
		_, err := s.SaveNotes(ctx, a1, d, []NoteChange{{Code: code, Note: Note{Valeur: 9}, BaseVersion: 1}})
		return err
	}(), domain.EINVALID, "off the scale")
	wantCode(t, func() error { _, err := s.SaveNotes(ctx, asPole, d, nil); return err }(), domain.EFORBIDDEN, "the Pôle rates")
	wantCode(t, func() error { _, err := s.SaveNotes(ctx, other, d, nil); return err }(), domain.EFORBIDDEN, "another auditor rates")
	wantCode(t, func() error { _, err := s.SaveNotes(ctx, asDirecteur, d, nil); return err }(), domain.EFORBIDDEN, "the director rates")

	// Verdicts: refusée needs a reason.
	wantCode(t, func() error { _, err := s.SaveVerdict(ctx, a2, d, 70, PreuveVerdict{Verdict: Refusee}, 0); return err }(), domain.EINVALID, "refused without reason")
	wantCode(t, func() error { _, err := s.SaveVerdict(ctx, a2, d, 71, PreuveVerdict{Verdict: Acceptee}, 0); return err }(), domain.ENOTFOUND, "a piece not the audit's")
	if _, err := s.SaveVerdict(ctx, a2, d, 70, PreuveVerdict{Verdict: Refusee, Motif: "Document non daté"}, 0); err != nil {
		t.Fatal(err)
	}

	// Findings.
	wantCode(t, func() error { _, err := s.AddConstat(ctx, a1, d, Constat{Nature: "autre", Texte: "x"}); return err }(), domain.EINVALID, "unknown kind")
	wantCode(t, func() error {
		_, err := s.AddConstat(ctx, a1, d, Constat{Nature: EcartMineur, Texte: "x", Items: []string{"ZZ.9"}})
		return err
	}(), domain.EINVALID, "unknown item")
	wantCode(t, func() error {
		_, err := s.AddConstat(ctx, a1, d, Constat{Nature: EcartMineur, Texte: "x", Sites: []int64{99}})
		return err
	}(), domain.EINVALID, "site out of the sample")
	if _, err := s.AddConstat(ctx, a1, d, Constat{Nature: EcartMineur, Texte: "Le suivi des orientations n'est pas tracé.", Items: []string{code}, Sites: []int64{1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddConstat(ctx, a2, d, Constat{Nature: PointFort, Texte: "Accueil remarquable."}); err != nil {
		t.Fatal(err)
	}

	// Replacing a site: not the siège, with a justification.
	wantCode(t, s.ReplaceSite(ctx, a1, d, 1, 3, "Fermé"), domain.EINVALID, "replace the siège")
	wantCode(t, s.ReplaceSite(ctx, a1, d, 2, 3, " "), domain.EINVALID, "no justification")
	wantCode(t, s.ReplaceSite(ctx, asDirecteur, d, 2, 3, "Fermé"), domain.EFORBIDDEN, "the director replaces")
	if d.Echantillon[1].SiteID != 3 {
		if err := s.ReplaceSite(ctx, asPole, d, 2, 3, "Antenne fermée pour travaux"); err != nil {
			t.Fatal(err)
		}
	}

	// Observations are for the provisional report; the final one follows it.
	wantCode(t, s.Observer(ctx, asDirecteur, d, "Merci", nil), domain.ECONFLICT, "observations before the report")
	wantCode(t, s.RendreDefinitif(ctx, a1, d), domain.ECONFLICT, "final before provisional")
	wantCode(t, s.RendreProvisoire(ctx, other, d, "Synthèse"), domain.EFORBIDDEN, "another auditor reports")
	wantCode(t, s.RendreProvisoire(ctx, asPole, d, "Synthèse"), domain.EFORBIDDEN, "the Pôle reports")
	wantCode(t, s.RendreProvisoire(ctx, a1, d, ""), domain.EINVALID, "no synthesis")
	if err := s.RendreProvisoire(ctx, a1, d, "Une démarche solide."); err != nil {
		t.Fatal(err)
	}
	if f.ae.Etat != demarche.RapportProvisoire || len(f.mails) != 1 || !strings.Contains(f.mails[0].Body, "observations") {
		t.Errorf("after the provisional report: %s, %v", f.ae.Etat, f.mails)
	}

	d = detail(t, s, asDirecteur)
	if !d.Roles.Report || d.Roles.Workspace {
		t.Errorf("director after the provisional report: %+v", d.Roles)
	}
	wantCode(t, func() error { _, err := s.SaveNotes(ctx, a1, d, nil); return err }(), domain.ECONFLICT, "rating after the report")
	wantCode(t, s.Observer(ctx, a1, d, "x", nil), domain.EFORBIDDEN, "an auditor observes")
	wantCode(t, s.Observer(ctx, asDirecteur, d, "x", map[int64]string{12345: "y"}), domain.EINVALID, "unknown finding")
	if err := s.Observer(ctx, asDirecteur, d, "Nous contestons le constat n° 1.", map[int64]string{d.Constats[0].ID: "Le tableau de suivi existe."}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Repondre(ctx, asDirecteur, d, "x", nil), domain.EFORBIDDEN, "the director answers")
	if err := s.Repondre(ctx, a2, d, "Le constat est maintenu.", nil); err != nil {
		t.Fatal(err)
	}

	// The final report waits for an action on the écart.
	err = s.RendreDefinitif(ctx, a1, d)
	wantCode(t, err, domain.ECONFLICT, "final report with an uncovered écart")
	if !strings.Contains(domain.ErrorMessage(err), "constat n° 1 (écart mineur") {
		t.Errorf("the refusal does not name the écart: %q", domain.ErrorMessage(err))
	}
	wantCode(t, s.RendreDefinitif(ctx, asDirecteur, d), domain.EFORBIDDEN, "the director issues the final report")
	s.plan = fakePlan{parConstat: map[int64]int{d.Constats[0].ID: 1}}
	if err := s.RendreDefinitif(ctx, a1, d); err != nil {
		t.Fatalf("final report with the écart covered: %v", err)
	}
	if f.ae.Etat != demarche.RapportDefinitif || f.audit.Etat != RapportDefinitif {
		t.Errorf("after the final report: dossier %s, audit %s", f.ae.Etat, f.audit.Etat)
	}
	d = detail(t, s, a1)
	wantCode(t, s.Repondre(ctx, a1, d, "x", nil), domain.ECONFLICT, "answers after the final report")
	wantCode(t, s.ReplaceSite(ctx, asPole, d, 2, 2, "x"), domain.ECONFLICT, "replace after the final report")
	wantCode(t, func() error { _, err := s.AddConstat(ctx, a1, d, Constat{Nature: PointFort, Texte: "x"}); return err }(), domain.ECONFLICT, "finding after the final report")
}

// TestPlanRule: impératif items the audit rated below the top need an action
// too; rated at the top, or covered, they do not.
func TestPlanRule(t *testing.T) {
	t.Parallel()
	ref := cadreCommun(t)
	var imp referentiel.AssessableItem
	for _, it := range ref.Items() {
		if it.Imperatif {
			imp = it
			break
		}
	}
	if imp.Code == "" {
		t.Skip("no impératif item in the cadre commun")
	}
	top := ref.Echelle.Max()
	cases := []struct {
		name    string
		valeur  int
		plan    fakePlan
		refused bool
	}{
		{"rated at the top", top, fakePlan{}, false},
		{"below the top, no action", top - 1, fakePlan{}, true},
		{"below the top, an action", top - 1, fakePlan{parItem: map[string]int{imp.Code: 2}}, false},
		{"not rated by the audit", 0, fakePlan{}, false},
	}
	for _, c := range cases {
		req := planRequis(nil, map[string]SavedNote{imp.Code: {Note: Note{Valeur: c.valeur}}}, ref.Items(), top)
		err := checkPlan(nil, req, c.plan.parConstat, c.plan.parItem)
		if (err != nil) != c.refused {
			t.Errorf("%s: %v, refused want %v", c.name, err, c.refused)
		}
		if err != nil && !strings.Contains(domain.ErrorMessage(err), imp.Code) {
			t.Errorf("%s: the refusal does not name %s: %q", c.name, imp.Code, domain.ErrorMessage(err))
		}
	}
	// Points forts and the like need nothing; both écarts do.
	constats := []Constat{{ID: 1, Nature: PointFort}, {ID: 2, Nature: PisteProgres}, {ID: 3, Nature: PointVigilance}, {ID: 4, Nature: EcartMajeur, Texte: "Pas de projet de structure"}}
	req := planRequis(constats, nil, nil, top)
	if len(req.Constats) != 1 || req.Constats[0] != 4 {
		t.Errorf("constats needing an action: %v, want only the écart majeur", req.Constats)
	}
	if err := checkPlan(constats, req, nil, nil); err == nil || !strings.Contains(domain.ErrorMessage(err), "écart majeur") {
		t.Errorf("écart majeur without action: %v", err)
	}
}

func TestObservationsAfterTheDelay(t *testing.T) {
	t.Parallel()
	s, f := assigned(t, demarche.AvisRendu, fakePlan{})
	d := detail(t, s, asAuditeur(certifie, true))
	if err := s.RendreProvisoire(t.Context(), asAuditeur(certifie, true), d, "Synthèse"); err != nil {
		t.Fatal(err)
	}
	want := today(time.Now()).AddDate(0, 0, 15)
	if f.audit.ObservationsLimite == nil || !f.audit.ObservationsLimite.Equal(want) {
		t.Errorf("limit day %v, want %v (15 days)", f.audit.ObservationsLimite, want)
	}
}

var suivi = Assignment{Nature: Suivi, Certifie: certifie, Reseau: reseau, Debut: day("2028-03-06"), Fin: day("2028-03-07")}

// TestSuivi: a follow-up audit is planned on a decided dossier whose label is
// in force, draws ⌈0.6·√n⌉ sites, and neither it nor its reports move the
// dossier; it is refused on any other dossier, without the label, while
// another is open, and its reports once the dossier is no longer decided.
func TestSuivi(t *testing.T) {
	t.Parallel()
	f := newFake(t, demarche.Decidee)
	f.label = true
	for i := int64(4); i <= 10; i++ {
		f.sites = append(f.sites, Site{ID: i, Nom: fmt.Sprint("Relais ", i)})
	}
	s := NewService(f, fakePlan{parConstat: map[int64]int{}, parItem: map[string]int{}}, nil)
	ctx := t.Context()
	wantCode(t, func() error { _, err := s.Assign(ctx, asPole, f.ae, pair); return err }(), domain.ECONFLICT, "an initial audit of a decided dossier")
	wantCode(t, func() error { _, err := s.Assign(ctx, asDirecteur, f.ae, suivi); return err }(), domain.EFORBIDDEN, "the director plans a follow-up")
	if _, err := s.Assign(ctx, asPole, f.ae, suivi); err != nil {
		t.Fatalf("Assign suivi: %v", err)
	}
	if f.ae.Etat != demarche.Decidee || f.audit.Nature != Suivi {
		t.Errorf("after the follow-up's assignment: dossier %s, audit %s", f.ae.Etat, f.audit.Nature)
	}
	if len(f.sample) != 2 {
		t.Errorf("sample of %d sites, want ⌈0.6·√10⌉ = 2", len(f.sample))
	}
	a1 := asAuditeur(certifie, true)
	if _, err := s.AddConstat(ctx, a1, detail(t, s, a1), Constat{Nature: PointFort, Texte: "Accueil remarquable."}); err != nil {
		t.Fatal(err)
	}
	if err := s.RendreProvisoire(ctx, a1, detail(t, s, a1), "Le suivi confirme la démarche."); err != nil {
		t.Fatal(err)
	}
	if err := s.RendreDefinitif(ctx, a1, detail(t, s, a1)); err != nil {
		t.Fatal(err)
	}
	if f.ae.Etat != demarche.Decidee || f.audit.Etat != RapportDefinitif {
		t.Errorf("after the follow-up's reports: dossier %s, audit %s", f.ae.Etat, f.audit.Etat)
	}
	if m := f.mails[len(f.mails)-1]; !strings.Contains(m.Subject, "audit de suivi") {
		t.Errorf("the final report's mail: %q", m.Subject)
	}

	// A report of a follow-up audit whose dossier is no longer decided.
	f.audit.Etat, f.ae.Etat = EnCours, demarche.EnCours
	wantCode(t, s.RendreProvisoire(ctx, a1, detail(t, s, a1), "Synthèse"), domain.ECONFLICT, "a follow-up's report, the dossier reopened")
	if f.ae.Etat != demarche.EnCours || f.audit.Etat != EnCours {
		t.Errorf("refused, yet moved: dossier %s, audit %s", f.ae.Etat, f.audit.Etat)
	}

	cases := map[string]struct {
		etat   demarche.Etat
		label  bool
		ouvert int64
		want   string
	}{
		"avis rendu":          {etat: demarche.AvisRendu, label: true, want: "pendant la validité du label"},
		"en audit":            {etat: demarche.EnAudit, label: true, want: "pendant la validité du label"},
		"decided, no label":   {etat: demarche.Decidee, want: "pendant la validité du label"},
		"another one is open": {etat: demarche.Decidee, label: true, ouvert: 9, want: "déjà en cours"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, c.etat)
			f.label, f.suiviOuvert = c.label, c.ouvert
			_, err := NewService(f, nil, nil).Assign(t.Context(), asPole, f.ae, suivi)
			wantCode(t, err, domain.ECONFLICT, name)
			if !strings.Contains(domain.ErrorMessage(err), c.want) {
				t.Errorf("%s: message %q", name, domain.ErrorMessage(err))
			}
			if f.audit != nil || f.ae.Etat != c.etat {
				t.Errorf("%s: refused, yet the audit was created or the dossier moved", name)
			}
		})
	}
}

// TestSuivisForThePoleOnly: the register's follow-up audits are the Pôle's
// to see; a director gets none.
func TestSuivisForThePoleOnly(t *testing.T) {
	t.Parallel()
	s := NewService(&fakeStore{}, nil, nil)
	if list, err := s.Suivis(t.Context(), asPole); err != nil || len(list) != 1 {
		t.Errorf("the Pôle's follow-up audits: %v, %v", list, err)
	}
	if list, err := s.Suivis(t.Context(), asDirecteur); err != nil || len(list) != 0 {
		t.Errorf("a director's follow-up audits: %v, %v", list, err)
	}
}
