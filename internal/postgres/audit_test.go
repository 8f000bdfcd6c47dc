package postgres_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/revue"
)

func auditActor(t *testing.T, store *postgres.Store, f *demo.Fixture, email string) *domain.Actor {
	t.Helper()
	a, err := store.Actor(t.Context(), f.Users[email], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func auditDetail(t *testing.T, svc *audit.Service, who *domain.Actor, id int64) *audit.Detail {
	t.Helper()
	a, err := svc.Load(t.Context(), who, id)
	if err != nil {
		t.Fatalf("Load(%d) as %s: %v", id, who.Email, err)
	}
	d, err := svc.Complete(t.Context(), who, a)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAuditDemo: the demo's audits are where the issue wants them, their
// samples replay from the stored seed, and the auditors' accounts carry them.
func TestAuditDemo(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	svc := audit.NewService(store, store, nil)
	pole := auditActor(t, store, f, "pole@unml.demo")
	a1 := auditActor(t, store, f, "auditeur@unml.demo")
	if len(a1.Audits) != 2 {
		t.Fatalf("the certified auditor's audits: %+v, want Brest's and Rennes's", a1.Audits)
	}
	brest := auditDetail(t, svc, pole, f.Audits["ML-BREST/2026"])
	if brest.Etat != audit.EnCours || len(brest.Notes) == 0 || len(brest.Verdicts) != 2 || len(brest.Constats) < 2 {
		t.Errorf("Brest's audit: %s, %d ratings, %d verdicts, %d findings", brest.Etat, len(brest.Notes), len(brest.Verdicts), len(brest.Constats))
	}
	kinds := map[audit.NatureConstat]bool{}
	for _, c := range brest.Constats {
		kinds[c.Nature] = true
	}
	if !kinds[audit.EcartMineur] || !kinds[audit.PointFort] {
		t.Errorf("Brest's findings %v lack an écart mineur or a point fort", kinds)
	}
	if len(brest.Echantillon) != 2 || !brest.Echantillon[0].Siege {
		t.Errorf("Brest's sample of its 3 sites: %+v, want 2 with the siège first", brest.Echantillon)
	}
	if err := svc.Verifier(brest); err != nil {
		t.Errorf("Vérifier le tirage of Brest: %v", err)
	}
	rennes := auditDetail(t, svc, pole, f.Audits["ML-RENNES/2025"])
	if rennes.Etat != audit.RapportDefinitif || rennes.SansAvisMotif == "" || rennes.ObservationGenerale == "" || rennes.ReponseGenerale == "" {
		t.Errorf("Rennes's audit: %+v", rennes.Audit)
	}
	ae, err := store.Autoevaluation(t.Context(), domain.Visibility{All: true}, f.Autoevaluations["ML-RENNES/2025"])
	// The demo's commission then decided it (internal/demo/plan.go).
	if err != nil || ae.Etat != demarche.Decidee {
		t.Errorf("Rennes's 2025 dossier: %s, %v", ae.Etat, err)
	}
	if len(rennes.Echantillon) != 2 {
		t.Errorf("Rennes's sample of 4 sites: %d, want 2", len(rennes.Echantillon))
	}
	// The workload: one audit in progress each, nothing due.
	list, err := svc.Auditeurs(t.Context(), pole)
	if err != nil || len(list) != 2 || list[0].EnCours+list[0].Prevus != 1 {
		t.Errorf("auditors: %+v, %v", list, err)
	}
	// The queue: Brest and Rennes are audited; Quimper waits for its avis, and can be sent without.
	queue, soumises, err := svc.File(t.Context(), pole)
	if err != nil || len(queue) != 0 || len(soumises) != 1 || soumises[0].StructureID != f.Structures["ML-QUIMPER"] {
		t.Errorf("queue %+v, submitted %+v, %v", queue, soumises, err)
	}
}

// TestAuditConcurrentAuditors: both auditors rate at once; a stale save is
// refused, says what the other wrote, and saves nothing.
func TestAuditConcurrentAuditors(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	svc := audit.NewService(store, store, nil)
	a1, a2 := auditActor(t, store, f, "auditeur@unml.demo"), auditActor(t, store, f, "auditrice.reseau@unml.demo")
	id := f.Audits["ML-BREST/2026"]
	d1, d2 := auditDetail(t, svc, a1, id), auditDetail(t, svc, a2, id)
	code := d1.Items[20].Code
	if _, err := svc.SaveNotes(t.Context(), a1, d1, []audit.NoteChange{{Code: code, Note: audit.Note{Valeur: 3, Commentaire: "Vu"}}}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.SaveNotes(t.Context(), a2, d2, []audit.NoteChange{{Code: code, Note: audit.Note{Valeur: 1}}, {Code: d1.Items[21].Code, Note: audit.Note{Valeur: 2}}})
	var ce *audit.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(domain.ErrorMessage(err), "Alex Auditeur a coté "+code+" à 3") {
		t.Fatalf("stale save: %v (%s)", err, domain.ErrorMessage(err))
	}
	notes, _ := store.Notes(t.Context(), d1.StructureID, id)
	if notes[code].Valeur != 3 || notes[d1.Items[21].Code].Version != 0 {
		t.Errorf("after the refused save: %+v, %+v", notes[code], notes[d1.Items[21].Code])
	}
	// A verdict changed meanwhile is a conflict too.
	p := d1.Preuves[2].ID
	if _, err := svc.SaveVerdict(t.Context(), a1, d1, p, audit.PreuveVerdict{Verdict: audit.Acceptee}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SaveVerdict(t.Context(), a2, d2, p, audit.PreuveVerdict{Verdict: audit.Refusee, Motif: "Illisible"}, 0); !errors.As(err, &ce) {
		t.Errorf("stale verdict: %v, want a conflict", err)
	}
	// Another auditor's write reaches nothing: RLS and the pair check.
	if _, err := store.SaveNotes(t.Context(), &domain.Actor{UserID: f.Users["directeur@ml-lyon.demo"], Memberships: []domain.Membership{{Role: domain.RoleDirecteur, StructureID: f.Structures["ML-LYON"]}}},
		d1.StructureID, id, []audit.NoteChange{{Code: code, Note: audit.Note{Valeur: 1}, BaseVersion: 1}}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a write from another tenant: %v, want not found", err)
	}
}

// TestAuditFrozenAfterFinalReport: after the rapport définitif nothing in the
// dossier changes: ratings, avis, returns, the audit's ratings, verdicts,
// findings, sample and observations; the evidence it saw stays as it was.
func TestAuditFrozenAfterFinalReport(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	rennes, ae, id := f.Structures["ML-RENNES"], f.Autoevaluations["ML-RENNES/2025"], f.Audits["ML-RENNES/2025"]
	a1 := auditActor(t, store, f, "auditeur@unml.demo")
	svc := audit.NewService(store, store, nil)
	d := auditDetail(t, svc, a1, id)
	code := d.Items[0].Code
	conflict := func(what string, err error) {
		t.Helper()
		if domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("%s after the final report: %v, want a conflict", what, err)
		}
	}
	_, err := store.SaveNotes(ctx, a1, rennes, id, []audit.NoteChange{{Code: code, Note: audit.Note{Valeur: 1}, BaseVersion: d.Notes[code].Version}})
	conflict("an audit rating", err)
	_, err = store.SaveVerdict(ctx, a1, rennes, id, d.Preuves[0].ID, audit.PreuveVerdict{Verdict: audit.Refusee, Motif: "x"}, d.Verdicts[d.Preuves[0].ID].Version)
	conflict("a verdict", err)
	_, err = store.AddConstat(ctx, a1, rennes, id, audit.Constat{Nature: audit.EcartMajeur, Texte: "x"})
	conflict("a finding", err)
	conflict("a site", store.ReplaceSite(ctx, a1, rennes, id, 2, d.Sites[3].ID, "x"))
	conflict("observations", store.SaveObservations(ctx, a1, rennes, id, true, "x", nil, time.Now()))
	conflict("a report", store.EmettreRapport(ctx, a1, rennes, id, true, "", nil, nil, nil))
	dir := &domain.Actor{UserID: f.Users["directeur@ml-rennes.demo"]}
	_, err = store.SaveCotations(ctx, dir, rennes, ae, []autoeval.CotationChange{{Code: code, Cotation: autoeval.Cotation{Valeur: 1}, BaseVersion: 1}})
	conflict("the ML's rating", err)
	_, err = store.SaveRevueItems(ctx, &domain.Actor{UserID: f.Users["referent@bretagne.demo"]}, rennes, ae, []revue.AvisItemChange{{Code: code, Avis: revue.AvisItem{Valeur: 2}}})
	conflict("an item avis", err)
	err = store.Renvoyer(ctx, &domain.Actor{UserID: f.Users["pole@unml.demo"]}, rennes, ae, revue.Renvoi{Motif: "x"}, domain.RolePole,
		nextBy(demarche.Renvoyer, domain.RolePole, "x"), plain)
	conflict("a return", err)
	// Detaching a piece in the library leaves the frozen dossier's evidence as it was.
	before := len(d.Preuves)
	p := d.Preuves[0]
	refObj, refID, err := store.Referentiel(ctx, referentiel.DefaultCode, "")
	if err != nil || refObj == nil {
		t.Fatal(err)
	}
	itemID, err := store.ItemID(ctx, refID, p.Items[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Detach(ctx, dir, rennes, p.ID, itemID); err != nil {
		t.Fatal(err)
	}
	after, err := store.PreuvesAudit(ctx, rennes, id)
	if err != nil || len(after) != before || after[0].ID != p.ID || len(after[0].Items) != len(p.Items) {
		t.Errorf("frozen evidence after a detach: %d pieces (want %d), %v", len(after), before, err)
	}
}

// TestAuditConflictRule: a membership held now or before in the ML, or in an
// ML or the ARML of its région, is a link; one elsewhere is not.
func TestAuditConflictRule(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	brest := f.Structures["ML-BREST"]
	contrib := f.Users["contributeur@ml-rennes.demo"]
	liens, err := store.Liens(ctx, contrib, brest)
	if err != nil || len(liens) != 1 || liens[0].Passe || liens[0].Role != domain.RoleContributeur {
		t.Fatalf("a Rennes contributor against Brest (same région): %+v, %v", liens, err)
	}
	if liens, _ := store.Liens(ctx, f.Users["directeur@ml-lyon.demo"], brest); len(liens) != 0 {
		t.Errorf("a Lyon director against Brest: %+v, want none", liens)
	}
	// The membership ends: it still counts, as held before.
	var mid int64
	if err := pgtest.Admin(t, pool).QueryRow(ctx, "SELECT m.id FROM memberships m WHERE m.user_id = $1", contrib).Scan(&mid); err != nil {
		t.Fatal(err)
	}
	if err := store.RemoveMembership(ctx, nil, mid); err != nil {
		t.Fatal(err)
	}
	liens, err = store.Liens(ctx, contrib, brest)
	if err != nil || len(liens) != 1 || !liens[0].Passe {
		t.Errorf("after the membership ended: %+v, %v", liens, err)
	}
	if liens, _ := store.Liens(ctx, f.Users["referent@bretagne.demo"], brest); len(liens) != 1 || liens[0].Role != domain.RoleReferentARML {
		t.Errorf("the Bretagne référent against Brest: %+v", liens)
	}
}

// TestAuditTenant: an audit is found only within the visibility it is asked with.
func TestAuditTenant(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	id := f.Audits["ML-BREST/2026"]
	if _, err := store.Audit(t.Context(), domain.Visibility{StructureIDs: []int64{f.Structures["ML-LYON"]}}, id); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("Brest's audit in Lyon's scope: %v", err)
	}
	if _, err := store.Audit(t.Context(), domain.Visibility{RegionIDs: []int64{f.Regions["BRE"]}}, id); err != nil {
		t.Errorf("Brest's audit in Bretagne's scope: %v", err)
	}
	if list, _ := store.Echantillon(t.Context(), f.Structures["ML-LYON"], id); len(list) != 0 {
		t.Errorf("Brest's sample in Lyon's scope: %d sites", len(list))
	}
}

// TestAuditSuspendedWhileReturned: a dossier returned to the ML during its
// audit takes no audit change until it is back en audit.
func TestAuditSuspendedWhileReturned(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	brest, ae, id := f.Structures["ML-BREST"], f.Autoevaluations["ML-BREST/2026"], f.Audits["ML-BREST/2026"]
	if err := store.Renvoyer(ctx, &domain.Actor{UserID: f.Users["pole@unml.demo"]}, brest, ae, revue.Renvoi{Motif: "Preuves à compléter"}, domain.RolePole,
		nextBy(demarche.Renvoyer, domain.RolePole, "Preuves à compléter"), plain); err != nil {
		t.Fatal(err)
	}
	a1 := auditActor(t, store, f, "auditeur@unml.demo")
	_, err := store.AddConstat(ctx, a1, brest, id, audit.Constat{Nature: audit.PointFort, Texte: "x"})
	if domain.ErrorCode(err) != domain.ECONFLICT || !strings.Contains(domain.ErrorMessage(err), "En cours") {
		t.Errorf("a finding while the dossier is back en cours: %v", err)
	}
}

// TestAuditSuivi: the Pôle plans a follow-up audit of Rennes's labelled 2025
// dossier; its pair reports, provisional then final, and the dossier stays
// decided with no transition; one open follow-up audit at a time; the
// dossier's audit is still its initial one; Lyon's adjourned dossier has no
// label to follow.
func TestAuditSuivi(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	svc := audit.NewService(store, store, nil)
	ctx := t.Context()
	pole := auditActor(t, store, f, "pole@unml.demo")
	rennesAE := f.Autoevaluations["ML-RENNES/2025"]
	ae, err := svc.Dossier(ctx, pole, rennesAE)
	if err != nil || ae.Etat != demarche.Decidee {
		t.Fatalf("Rennes's 2025 dossier: %s, %v", ae.Etat, err)
	}
	admin := pgtest.Admin(t, pool)
	transitions := func(id int64) (n int) {
		t.Helper()
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM autoevaluation_transitions WHERE autoevaluation_id = $1", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := transitions(rennesAE)
	as := audit.Assignment{Nature: audit.Suivi, Certifie: f.Users["auditeur@unml.demo"], Reseau: f.Users["auditrice.reseau@unml.demo"],
		Debut: time.Now().UTC().AddDate(0, 1, 0), Fin: time.Now().UTC().AddDate(0, 1, 1)}
	id, err := svc.Assign(ctx, pole, ae, as)
	if err != nil {
		t.Fatalf("Assign suivi: %v", err)
	}
	if _, err := svc.Assign(ctx, pole, ae, as); domain.ErrorCode(err) != domain.ECONFLICT || !strings.Contains(domain.ErrorMessage(err), "déjà en cours") {
		t.Errorf("a second open follow-up audit: %v", err)
	}
	if got, err := store.AuditIDOf(ctx, rennesAE); err != nil || got != f.Audits["ML-RENNES/2025"] {
		t.Errorf("AuditIDOf(Rennes 2025) = %d, %v; want its initial audit %d", got, err, f.Audits["ML-RENNES/2025"])
	}
	a1 := auditActor(t, store, f, "auditeur@unml.demo")
	d := auditDetail(t, svc, a1, id)
	if d.Nature != audit.Suivi || len(d.Echantillon) != 2 {
		t.Errorf("the follow-up audit: %s, sample of %d (want ⌈0.6·√4⌉ = 2)", d.Nature, len(d.Echantillon))
	}
	if _, err := svc.AddConstat(ctx, a1, d, audit.Constat{Nature: audit.PointFort, Texte: "Le plan d'amélioration avance."}); err != nil {
		t.Fatal(err)
	}
	if err := svc.RendreProvisoire(ctx, a1, auditDetail(t, svc, a1, id), "Le suivi confirme la démarche."); err != nil {
		t.Fatal(err)
	}
	if err := svc.RendreDefinitif(ctx, a1, auditDetail(t, svc, a1, id)); err != nil {
		t.Fatal(err)
	}
	if d := auditDetail(t, svc, pole, id); d.Etat != audit.RapportDefinitif {
		t.Errorf("the follow-up audit after its final report: %s", d.Etat)
	}
	if ae, _ := store.Autoevaluation(ctx, domain.Visibility{All: true}, rennesAE); ae.Etat != demarche.Decidee || transitions(rennesAE) != before {
		t.Errorf("Rennes's dossier after the follow-up audit: %s, %d transitions (was %d)", ae.Etat, transitions(rennesAE), before)
	}
	// Its final report out, another follow-up audit may be planned.
	if _, err := svc.Assign(ctx, pole, ae, as); err != nil {
		t.Errorf("a follow-up audit after the last one's final report: %v", err)
	}
	lyon, err := svc.Dossier(ctx, pole, f.Autoevaluations["ML-LYON/2025"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Assign(ctx, pole, lyon, as); domain.ErrorCode(err) != domain.ECONFLICT || !strings.Contains(domain.ErrorMessage(err), "pendant la validité du label") {
		t.Errorf("a follow-up audit of Lyon's adjourned dossier (%s): %v", lyon.Etat, err)
	}
}
