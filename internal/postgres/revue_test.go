package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/revue"
)

func nextBy(t demarche.Transition, role domain.Role, motif string) func(demarche.Etat) (demarche.Etat, error) {
	return func(e demarche.Etat) (demarche.Etat, error) { return demarche.Next(e, t, role, motif) }
}

func plain(d revue.Destinataire) mail.Message {
	return mail.Message{To: d.Email, Subject: "Essai", Body: "Corps"}
}

// TestRevueItemsConcurrencyAndScope: item avis are saved with their version,
// a stale version is a conflict that saves nothing, only a submitted dossier
// takes avis, and another ML's scope finds nothing.
func TestRevueItemsConcurrencyAndScope(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	referent := &domain.Actor{UserID: f.Users["referent@bretagne.demo"]}
	quimper, ae := f.Structures["ML-QUIMPER"], f.Autoevaluations["ML-QUIMPER/2026"]
	code := "F1.R1.C1"
	saved, err := store.SaveRevueItems(ctx, referent, quimper, ae, []revue.AvisItemChange{{Code: code, Avis: revue.AvisItem{Valeur: 2, Remarque: "À préciser"}}})
	if err != nil || saved.Items[code].Version != 1 || saved.Items[code].By != "Morgane Le Gall" || len(saved.Changed) != 1 {
		t.Fatalf("first save = %+v, %v", saved, err)
	}
	// Saved again as found: nothing changes.
	if saved, err = store.SaveRevueItems(ctx, referent, quimper, ae, []revue.AvisItemChange{{Code: code, Avis: revue.AvisItem{Valeur: 2, Remarque: "À préciser"}, BaseVersion: 0}}); err != nil || len(saved.Changed) != 0 {
		t.Errorf("unchanged save = %+v, %v", saved, err)
	}
	_, err = store.SaveRevueItems(ctx, referent, quimper, ae, []revue.AvisItemChange{{Code: code, Avis: revue.AvisItem{Valeur: 4}, BaseVersion: 0}})
	var conflict *revue.ConflictError
	if !errors.As(err, &conflict) || conflict.Current[code].Valeur != 2 || domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("stale save: %v, want a conflict showing the stored avis", err)
	}
	if saved, err = store.SaveRevueItems(ctx, referent, quimper, ae, []revue.AvisItemChange{{Code: code, Avis: revue.AvisItem{Valeur: 4}, BaseVersion: 1}}); err != nil || saved.Items[code].Version != 2 {
		t.Errorf("second save = %+v, %v", saved, err)
	}
	got, err := store.RevueItems(ctx, quimper, ae)
	if err != nil || got[code].Valeur != 4 || got[code].Remarque != "" {
		t.Errorf("stored = %+v, %v", got, err)
	}
	if got, _ := store.RevueItems(ctx, f.Structures["ML-RENNES"], ae); len(got) != 0 {
		t.Errorf("another ML's scope sees %d avis", len(got))
	}
	if _, err := store.SaveRevueItems(ctx, referent, f.Structures["ML-RENNES"], ae, []revue.AvisItemChange{{Code: code}}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("save in another ML's scope: %v, want ENOTFOUND", err)
	}
	rennes := f.Autoevaluations["ML-RENNES/2026"]
	if _, err := store.SaveRevueItems(ctx, referent, f.Structures["ML-RENNES"], rennes, []revue.AvisItemChange{{Code: code, Avis: revue.AvisItem{Valeur: 1}}}); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("avis on a dossier en cours: %v, want ECONFLICT", err)
	}
	if _, err := store.SaveRevueItems(ctx, referent, quimper, ae, []revue.AvisItemChange{{Code: "Z9.Z9", Avis: revue.AvisItem{Valeur: 1}}}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("an unknown item: %v, want EINVALID", err)
	}
}

// TestRenvoiRoundTrip: a return records its reasons and its transition,
// unlocks the dossier and queues the reasons for the ML's people; a
// resubmission notifies the région's référents and the Pôle again.
func TestRenvoiRoundTrip(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	referent := &domain.Actor{UserID: f.Users["referent@bretagne.demo"]}
	quimper, ae := f.Structures["ML-QUIMPER"], f.Autoevaluations["ML-QUIMPER/2026"]
	// A refused decision writes nothing.
	if err := store.Renvoyer(ctx, referent, quimper, ae, revue.Renvoi{Motif: "x"}, domain.RoleReferentARML,
		nextBy(demarche.Renvoyer, domain.RoleDirecteur, "x"), plain); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Fatalf("refused return: %v", err)
	}
	if err := store.Renvoyer(ctx, referent, quimper, ae, revue.Renvoi{Motif: "x", Items: []revue.RenvoiItem{{Code: "Z9", Motif: "?"}}}, domain.RoleReferentARML,
		nextBy(demarche.Renvoyer, domain.RoleReferentARML, "x"), plain); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("return on an unknown item: %v", err)
	}
	if _, list, _ := store.AvisAndRenvois(ctx, quimper, ae); len(list) != 0 {
		t.Fatalf("refused returns left %d rows", len(list))
	}
	r := revue.Renvoi{Motif: "Compléter les preuves", Items: []revue.RenvoiItem{{Code: "F2.R1.C1", Motif: "Aucune preuve"}, {Code: "G.C1.M1", Motif: "À préciser"}}}
	if err := store.Renvoyer(ctx, referent, quimper, ae, r, domain.RoleReferentARML, nextBy(demarche.Renvoyer, domain.RoleReferentARML, r.Motif),
		func(d revue.Destinataire) mail.Message {
			return mail.Message{To: d.Email, Subject: "Renvoi", Body: "Motif : " + r.Motif}
		}); err != nil {
		t.Fatal(err)
	}
	_, list, err := store.AvisAndRenvois(ctx, quimper, ae)
	if err != nil || len(list) != 1 || len(list[0].Items) != 2 || list[0].By != "Morgane Le Gall" || list[0].Role != domain.RoleReferentARML {
		t.Fatalf("renvois = %+v, %v", list, err)
	}
	if _, list, _ := store.AvisAndRenvois(ctx, f.Structures["ML-BREST"], ae); len(list) != 0 {
		t.Errorf("another ML's scope sees %d returns", len(list))
	}
	a, err := store.Autoevaluation(ctx, domain.Visibility{All: true}, ae)
	if err != nil || a.Etat != demarche.EnCours {
		t.Fatalf("after the return: %s, %v", a.Etat, err)
	}
	var body string
	if err := pool.QueryRow(ctx, "SELECT body FROM outbox WHERE recipient = 'directeur@ml-quimper.demo' AND subject = 'Renvoi'").Scan(&body); err != nil || !strings.Contains(body, "Compléter les preuves") {
		t.Errorf("the director's mail: %q, %v", body, err)
	}
	// The ML answers and resubmits: the référent and the Pôle hear of it.
	directeur := &domain.Actor{UserID: f.Users["directeur@ml-quimper.demo"]}
	before := countMail(t, store, "referent@bretagne.demo")
	if err := store.Transition(ctx, directeur, quimper, ae, demarche.Soumettre, domain.RoleDirecteur, "",
		func(e demarche.Etat, _ map[string]autoeval.Cotation) (demarche.Etat, error) {
			return demarche.Next(e, demarche.Soumettre, domain.RoleDirecteur, "")
		}); err != nil {
		t.Fatal(err)
	}
	if after := countMail(t, store, "referent@bretagne.demo"); after != before+1 {
		t.Errorf("the référent got %d new mails on resubmission, want 1", after-before)
	}
	if n := countMail(t, store, "referent@bretagne.demo"); n == 0 {
		t.Error("no mail to the référent")
	}
	m, err := store.LatestMailTo(ctx, "pole@unml.demo")
	if err != nil || !strings.Contains(m.Subject, "Mission Locale du Pays de Cornouaille") {
		t.Errorf("the Pôle's last mail = %+v, %v", m, err)
	}
}

func countMail(t *testing.T, store *postgres.Store, to string) int {
	t.Helper()
	list, err := store.ListOutbox(t.Context(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range list {
		if m.To == to {
			n++
		}
	}
	return n
}

// TestDemoReview: the demo's Brest dossier carries its avis régional and
// remarks (and is now under audit); Quimper awaits the avis.
func TestDemoReview(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	brest, ae := f.Structures["ML-BREST"], f.Autoevaluations["ML-BREST/2026"]
	avis, err := store.AvisRegionaux(ctx, brest, ae)
	if err != nil || len(avis) != 1 || avis[0].Recommandation != revue.FavorableReserves || avis[0].By != "Morgane Le Gall" {
		t.Fatalf("Brest's avis = %+v, %v", avis, err)
	}
	if items, err := store.RevueItems(ctx, brest, ae); err != nil || len(items) != 12 {
		t.Errorf("Brest's item avis: %d, %v", len(items), err)
	}
	dossiers, err := store.Dossiers(ctx, f.Regions["BRE"], f.Campagnes["2026"])
	if err != nil || len(dossiers) != 3 {
		t.Fatalf("Bretagne's dossiers = %+v, %v", dossiers, err)
	}
	etats := map[string]demarche.Etat{}
	for _, d := range dossiers {
		etats[d.StructureNom] = d.Etat
		if d.Etat != demarche.EnCours && d.SoumiseLe == nil {
			t.Errorf("%s: no submission date", d.StructureNom)
		}
	}
	if etats["Mission Locale du Pays de Cornouaille"] != demarche.Soumise || etats["Mission Locale du Pays de Brest"] != demarche.EnAudit {
		t.Errorf("states = %v", etats)
	}
}

// TestMoyennesOfARegionWith61MLs: the aggregates behind the heat map of a
// large région, one row per ML and part.
func TestMoyennesOfARegionWith61MLs(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	regionID, campagneID, ids := demotest.Region(t, store, f.Users["pole@unml.demo"], 61)
	ref, _, err := store.Referentiel(ctx, referentiel.DefaultCode, "")
	if err != nil {
		t.Fatal(err)
	}
	var codes, names []string
	for _, it := range ref.Items() {
		codes, names = append(codes, it.Code), append(names, referentiel.SectionOf(it))
	}
	list, err := store.Moyennes(ctx, regionID, campagneID, codes, names)
	if err != nil {
		t.Fatal(err)
	}
	if want := 61 * len(ref.Sections()); len(list) != want {
		t.Errorf("%d aggregates, want %d", len(list), want)
	}
	dossiers, err := store.Dossiers(ctx, regionID, campagneID)
	if err != nil || len(dossiers) != len(ids) {
		t.Errorf("%d dossiers, %v", len(dossiers), err)
	}
	var none int
	if err := pgtest.Admin(t, pool).QueryRow(ctx, "SELECT count(*) FROM autoevaluations WHERE campagne_id = $1", campagneID).Scan(&none); err != nil || none != 61 {
		t.Errorf("%d auto-évaluations, %v", none, err)
	}
}
