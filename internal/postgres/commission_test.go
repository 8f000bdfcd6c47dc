package postgres_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/unml/cadre/internal/commission"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/domain"

	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestCommissionDecision: a dossier goes on a session's agenda only with a
// rapport définitif; the decision moves it to décidée with its outcome,
// gives the label and tells the ML's director and its référent; a decision
// cannot be changed nor deleted, even in SQL; a correction is a new decision
// that withdraws the label; an adjourned dossier comes back to rapport
// définitif.
func TestCommissionDecision(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	pole := &domain.Actor{UserID: f.Users["pole@unml.demo"], Memberships: []domain.Membership{{Role: domain.RolePole}}}
	svc := commission.NewService(store, nil, 3)
	date := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	sid, err := svc.CreateSession(ctx, pole, commission.Session{Date: date, Membres: "UNML, DGEFP"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.Session(ctx, pole, sid)
	if err != nil {
		t.Fatal(err)
	}
	// Quimper's 2026 dossier is only submitted.
	quimper := f.Autoevaluations["ML-QUIMPER/2026"]
	if err := svc.AddToAgenda(ctx, pole, sess, quimper); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("a submitted dossier on the agenda: %v", err)
	}
	brest, structure := f.Autoevaluations["ML-BREST/2026"], f.Structures["ML-BREST"]
	if err := store.SeedEtat(ctx, nil, structure, brest, demarche.TransmettreObservations, demarche.RapportDefinitif); err != nil {
		t.Fatal(err)
	}
	dec := commission.Decision{AutoevaluationID: brest, Resultat: commission.Labellise, Motifs: "Démarche aboutie."}
	if _, err := svc.Decide(ctx, pole, sess, dec); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a decision off the agenda: %v", err)
	}
	if err := svc.AddToAgenda(ctx, pole, sess, brest); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddToAgenda(ctx, pole, sess, brest); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("twice on the agenda: %v", err)
	}
	var before int
	admin := pgtest.Admin(t, pool)
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM outbox").Scan(&before); err != nil {
		t.Fatal(err)
	}
	id, err := svc.Decide(ctx, pole, sess, dec)
	if err != nil {
		t.Fatal(err)
	}
	var etat, decision string
	if err := admin.QueryRow(ctx, "SELECT etat, decision FROM autoevaluations WHERE id = $1", brest).Scan(&etat, &decision); err != nil || etat != "decidee" || decision != "labellise" {
		t.Errorf("dossier %s %s %v", etat, decision, err)
	}
	var to []string
	rows, _ := admin.Query(ctx, "SELECT recipient FROM outbox ORDER BY id OFFSET $1", before)
	for rows.Next() {
		var r string
		_ = rows.Scan(&r)
		to = append(to, r)
	}
	if strings.Join(to, ",") != "directeur@ml-brest.demo,referent@bretagne.demo" {
		t.Errorf("notified %v", to)
	}
	// Final once recorded, even for SQL.
	for _, sql := range []string{"UPDATE commission_decisions SET resultat = 'non_labellise' WHERE id = $1", "DELETE FROM commission_decisions WHERE id = $1"} {
		if _, err := admin.Exec(ctx, sql, id); err == nil {
			t.Errorf("%s: accepted", sql)
		}
	}
	reg, err := store.Registre(ctx, f.Regions["BRE"])
	if err != nil {
		t.Fatal(err)
	}
	var label commission.Label
	for _, l := range reg {
		if l.StructureID == structure {
			label = l.Label
		}
	}
	if label.DecisionID != id || !label.Debut.Equal(date) || !label.Fin.Equal(date.AddDate(3, 0, 0)) || label.AutoevaluationID != brest {
		t.Errorf("Brest's label %+v", label)
	}
	delai := date.AddDate(0, 6, 0)
	cid, err := svc.Correct(ctx, pole, id, commission.Decision{Resultat: commission.Ajourne, Motifs: "Erreur : écarts non levés.", Conditions: "Lever les écarts.", Delai: &delai})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Correct(ctx, pole, id, dec); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("a second correction of the same decision: %v", err)
	}
	first, _ := store.Decision(ctx, id)
	second, _ := store.Decision(ctx, cid)
	if first.Resultat != commission.Labellise || first.CorrigeeParID != cid || second.CorrigeID != id || second.Delai == nil {
		t.Errorf("decisions %+v / %+v", first, second)
	}
	reg, _ = store.Registre(ctx, f.Regions["BRE"])
	for _, l := range reg {
		if l.StructureID == structure && l.Label.Statut(time.Now()) != commission.Retire {
			t.Errorf("Brest's label after the correction: %+v", l.Label)
		}
	}
	if err := svc.Representer(ctx, pole, brest, "Écarts levés : procédure adoptée."); err != nil {
		t.Fatal(err)
	}
	if err := admin.QueryRow(ctx, "SELECT etat, coalesce(decision, '') FROM autoevaluations WHERE id = $1", brest).Scan(&etat, &decision); err != nil || etat != "rapport_definitif" || decision != "" {
		t.Errorf("re-presented dossier %s %q %v", etat, decision, err)
	}
	if err := svc.Representer(ctx, pole, brest, "Encore."); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("re-presenting a rapport définitif: %v", err)
	}
	// The session that decided stays its history; a new one decides again.
	if _, err := svc.Decide(ctx, pole, sess, dec); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("deciding again at the same session: %v", err)
	}
	later := commission.Session{Date: date.AddDate(0, 7, 0), Membres: "Pôle"}
	if later.ID, err = svc.CreateSession(ctx, pole, later); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddToAgenda(ctx, pole, later, brest); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, pole, later, dec); err != nil {
		t.Errorf("deciding at a later session: %v", err)
	}
}

// TestLabelRappels: the demo's Quimper label, ending in two months, had its
// M-3 reminder queued at seed time to its director and référent; running
// again sends nothing; six months before a label's end the M-6 one goes.
func TestLabelRappels(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	admin := pgtest.Admin(t, pool)
	var kinds string
	if err := admin.QueryRow(ctx, `SELECT string_agg(r.kind, ',') FROM label_rappels r JOIN labels l ON l.id = r.label_id WHERE l.structure_id = $1`,
		f.Structures["ML-QUIMPER"]).Scan(&kinds); err != nil || kinds != "M-3" {
		t.Errorf("Quimper's reminders %q, %v", kinds, err)
	}
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE subject LIKE 'Rappel : le label de « Mission Locale du Pays de Cornouaille »%'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d reminder emails, %v", n, err)
	}
	w := commission.NewWorker(store, nil, discard())
	if sent, err := w.RunOnce(ctx, time.Now()); err != nil || sent != 0 {
		t.Errorf("again: %d, %v", sent, err)
	}
	// Rennes's label, from the demo's session, ends in about 31 months: six
	// months before, its M-6 reminder goes.
	var fin time.Time
	if err := admin.QueryRow(ctx, `SELECT fin FROM labels WHERE structure_id = $1`, f.Structures["ML-RENNES"]).Scan(&fin); err != nil {
		t.Fatal(err)
	}
	if sent, err := w.RunOnce(ctx, fin.AddDate(0, -6, -1)); err != nil || sent != 0 {
		t.Errorf("the day before six months: %d, %v", sent, err)
	}
	if sent, err := w.RunOnce(ctx, fin.AddDate(0, -6, 0)); err != nil || sent != 2 {
		t.Errorf("six months before: %d emails, %v; want the director and the référent", sent, err)
	}
}
