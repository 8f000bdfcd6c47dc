package postgres_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

// statements counts the statements sent to PostgreSQL, each a round trip.
type statements struct{ n atomic.Int64 }

func (c *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart counts a batch as one statement: it is one round trip.
func (c *statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statements) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// demoStore is the demo data on a fresh database (a copy of the seeded
// template) whose statements are counted, by its own pool's tracer.
func demoStore(t *testing.T) (*postgres.Store, *demo.Fixture, *statements) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(demotest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	count := &statements{}
	cfg.ConnConfig.Tracer = count
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := postgres.NewStore(pool)
	f, err := demo.LoadFixture(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	return store, f, count
}

// TestSaveRoundTrips bounds the statements of a rating save as the handlers
// make it: the light load, then the save, which returns what it stored. Before
// the light load, a director's save of one item took 11 statements (the
// auto-évaluation, all answers, the coverage counts; BEGIN, the state lock,
// the item, its row lock, the write, the history, COMMIT; all answers again)
// and a contributor's 12 (their sections); a whole page with one change, 10.
func TestSaveRoundTrips(t *testing.T) {
	t.Parallel() // its counter is its own pool's
	store, f, count := demoStore(t)
	svc := autoeval.NewService(store)
	rennes, id := f.Structures["ML-RENNES"], f.Autoevaluations["ML-RENNES/2026"]
	answered, err := store.Cotations(t.Context(), rennes, id)
	if err != nil {
		t.Fatal(err)
	}
	// The whole page of F5 as loaded, with one change.
	var page []autoeval.CotationChange
	for code, c := range answered {
		if strings.HasPrefix(code, "F5.") {
			page = append(page, autoeval.CotationChange{Code: code, Cotation: c.Cotation, BaseVersion: c.Version})
		}
	}
	page = append(page, autoeval.CotationChange{Code: "F5.R1.C2", Cotation: autoeval.Cotation{Valeur: 3}})
	one := func(code string, version int, comment string) []autoeval.CotationChange {
		return []autoeval.CotationChange{{Code: code, Cotation: autoeval.Cotation{Valeur: 2, Commentaire: comment}, BaseVersion: version}}
	}
	for _, tc := range []struct {
		name, who string
		changes   []autoeval.CotationChange
		want      int64
	}{
		// The auto-évaluation; BEGIN, the lock with the item and its answer, the
		// row lock, the insert, the history, the journal (its lock, its head, its
		// insert), COMMIT.
		{"one item", "directeur@ml-rennes.demo", one("F5.R1.C1", 0, "Vu en comité."), 10},
		// Their sections too; an update instead of an insert.
		{"one item by a contributor", "contributeur@ml-rennes.demo", one("F5.R1.C1", 1, "Revu en équipe."), 11},
		// Items posted as found cost nothing.
		{"a page with one change", "directeur@ml-rennes.demo", page, 10},
	} {
		actor, err := store.Actor(t.Context(), f.Users[tc.who], time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sheet(t.Context(), actor, id); err != nil { // caches the référentiel's tree
			t.Fatal(err)
		}
		count.n.Store(0)
		sh, err := svc.Sheet(t.Context(), actor, id)
		if err != nil {
			t.Fatal(err)
		}
		saved, err := svc.Save(t.Context(), actor, sh, tc.changes)
		if err != nil {
			t.Fatal(err)
		}
		if got := count.n.Load(); got > tc.want {
			t.Errorf("%s: %d statements, want at most %d", tc.name, got, tc.want)
		} else {
			t.Logf("%s: %d statements", tc.name, got)
		}
		last := tc.changes[len(tc.changes)-1]
		if c := saved.Answers[last.Code]; c.Version != last.BaseVersion+1 || c.By != actor.Nom || c.At.IsZero() || len(saved.Changed) != 1 {
			t.Errorf("%s: saved %+v", tc.name, saved)
		}
		if len(saved.Answers) != len(tc.changes) {
			t.Errorf("%s: %d answers back for %d posted", tc.name, len(saved.Answers), len(tc.changes))
		}
	}
}

// TestSaveCotationsReturnsWhatItStored: changed and unchanged answers come back
// as stored; the ML's scope and the state are checked under the lock.
func TestSaveCotationsReturnsWhatItStored(t *testing.T) {
	t.Parallel()
	store, f, _ := demoStore(t)
	ctx := t.Context()
	rennes, id := f.Structures["ML-RENNES"], f.Autoevaluations["ML-RENNES/2026"]
	actor, err := store.Actor(ctx, f.Users["directeur@ml-rennes.demo"], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	before, err := store.Cotations(ctx, rennes, id)
	if err != nil {
		t.Fatal(err)
	}
	var kept string
	for code := range before {
		kept = code
		break
	}
	old := before[kept]
	changes := []autoeval.CotationChange{
		{Code: kept, Cotation: old.Cotation, BaseVersion: old.Version}, // posted as found
		{Code: "F5.R1.C1", Cotation: autoeval.Cotation{Valeur: 4}},
	}
	saved, err := store.SaveCotations(ctx, actor, rennes, id, changes)
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.Changed) != 1 || saved.Changed[0] != "F5.R1.C1" {
		t.Errorf("changed = %v", saved.Changed)
	}
	if got := saved.Answers[kept]; got != old {
		t.Errorf("unchanged answer came back as %+v, want %+v", got, old)
	}
	after, _ := store.Cotations(ctx, rennes, id)
	if got, want := saved.Answers["F5.R1.C1"], after["F5.R1.C1"]; !got.At.Equal(want.At) || got.Version != want.Version || got.By != want.By || got.Cotation != want.Cotation {
		t.Errorf("saved %+v, stored %+v", got, want)
	}
	if _, err := store.SaveCotations(ctx, actor, f.Structures["ML-LYON"], id, changes); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("save in another ML's scope: %v, want ENOTFOUND", err)
	}
	if _, err := store.SaveCotations(ctx, actor, rennes, id, []autoeval.CotationChange{{Code: "Z9"}}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("unknown item: %v, want EINVALID", err)
	}
	brest := f.Autoevaluations["ML-BREST/2026"] // submitted by the demo
	// Brest's director: row-level security keeps Rennes' out of Brest's rows.
	brestActor, err := store.Actor(ctx, f.Users["directeur@ml-brest.demo"], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SaveCotations(ctx, brestActor, f.Structures["ML-BREST"], brest, changes[1:]); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("save after submission: %v, want ECONFLICT", err)
	}
	if got, _ := store.Cotations(ctx, rennes, f.Autoevaluations["ML-BREST/2026"]); len(got) != 0 {
		t.Errorf("another ML's answers in Rennes' scope: %d", len(got))
	}
}

// TestTransitionNamesAreFrench: the demo's submissions are stored as
// « soumettre », its avis régional as « rendre_avis »; migration 0007 renames
// the English names and back.
func TestTransitionNamesAreFrench(t *testing.T) {
	t.Parallel()
	store, f, _ := demoStore(t)
	ctx := t.Context()
	list, err := store.Transitions(ctx, f.Structures["ML-BREST"], f.Autoevaluations["ML-BREST/2026"])
	// Then the audit's assignment (TestAuditDemo).
	if err != nil || len(list) != 3 || list[0].Action != "soumettre" || list[0].From != "en_cours" || list[0].To != "soumise" || list[0].By != "Gwen Brest" {
		t.Fatalf("transitions = %+v, %v", list, err)
	}
	if r := list[1]; r.Action != "rendre_avis" || r.From != "soumise" || r.To != "avis_rendu" || r.By != "Morgane Le Gall" || r.Role != domain.RoleReferentARML {
		t.Fatalf("the avis régional's transition = %+v", r)
	}
	pool := pgtest.NewOwner(t)
	mg, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer mg.Close()
	for v, _, _ := mg.Version(); v > 7; v, _, _ = mg.Version() {
		if err := mg.Down(); err != nil {
			t.Fatal(err)
		}
	}
	if err := mg.Down(); err != nil { // 0007
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		WITH r AS (INSERT INTO regions (code, nom) VALUES ('BRE', 'Bretagne') RETURNING id),
		     s AS (INSERT INTO structures (code, nom, region_id, forme) SELECT 'ML-X', 'ML X', id, 'association' FROM r RETURNING id),
		     ref AS (INSERT INTO referentiels (code, version, titre, non_concerne, fingerprint) VALUES ('x', '1', 'X', 'NC', 'f') RETURNING id),
		     c AS (INSERT INTO campagnes (nom, referentiel_id, ouverture, cloture) SELECT 'C', id, '2026-01-01', '2026-06-30' FROM ref RETURNING id),
		     a AS (INSERT INTO autoevaluations (campagne_id, structure_id, etat) SELECT c.id, s.id, 'soumise' FROM c, s RETURNING id)
		INSERT INTO autoevaluation_transitions (autoevaluation_id, action, from_etat, to_etat, by_role)
		SELECT id, x, 'en_cours', 'soumise', 'directeur' FROM a, unnest(ARRAY['submit', 'return', 'decide']) AS x`); err != nil {
		t.Fatal(err)
	}
	actions := func() string {
		var s string
		if err := pool.QueryRow(ctx, "SELECT string_agg(action, ',' ORDER BY id) FROM autoevaluation_transitions").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := mg.Up(); err != nil {
		t.Fatal(err)
	}
	if got := actions(); got != "soumettre,renvoyer,decider" {
		t.Errorf("after 0007: %s", got)
	}
	if _, err := pool.Exec(ctx, "UPDATE autoevaluation_transitions SET action = 'submit'"); err == nil || !strings.Contains(err.Error(), "action_check") {
		t.Errorf("an English name after 0007: %v, want the check to refuse it", err)
	}
	for v, _, _ := mg.Version(); v >= 7; v, _, _ = mg.Version() {
		if err := mg.Down(); err != nil {
			t.Fatal(err)
		}
	}
	if got := actions(); got != "submit,return,decide" {
		t.Errorf("after 0007 down: %s", got)
	}
}
