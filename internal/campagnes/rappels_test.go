package campagnes_test

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

// today is the day the reminder tests run on.
var today = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

// reminderFixture: three MLs concerned by a campaign, each with its directors.
// Rennes has two directors, a contributor and a disabled director; Brest submits
// its auto-évaluation; Lyon has one director.
type reminderFixture struct {
	pool       *pgxpool.Pool // the superuser's, for the fixture's own SQL
	app        *pgxpool.Pool // the application role's
	store      *postgres.Store
	ref        int64
	structures map[string]int64
}

func newReminderFixture(t *testing.T) reminderFixture {
	t.Helper()
	pool := pgtest.New(t)
	// The store is the application role's; the fixture's own SQL sees past
	// row-level security.
	f := reminderFixture{pool: pgtest.Admin(t, pool), app: pool, store: postgres.NewStore(pool), structures: map[string]int64{}}
	ctx := t.Context()
	if err := pool.QueryRow(ctx, `INSERT INTO referentiels (code, version, titre, non_concerne, fingerprint)
		VALUES ('essai', '1', 'Référentiel d''essai', 'Non concerné', 'x') RETURNING id`).Scan(&f.ref); err != nil {
		t.Fatal(err)
	}
	region, err := f.store.CreateRegion(ctx, nil, domain.Region{Code: "BRE", Nom: "Bretagne"})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"RENNES", "BREST", "LYON"} {
		id, err := f.store.CreateStructure(ctx, nil, domain.Structure{Code: "ML-" + code, Nom: "Mission Locale de " + strings.ToLower(code), RegionID: region, Forme: domain.FormeAssociation})
		if err != nil {
			t.Fatal(err)
		}
		f.structures[code] = id
	}
	for _, u := range []struct {
		email, nom string
		role       domain.Role
		ml         string
	}{
		{"d1@rennes.test", "Yann Rennes", domain.RoleDirecteur, "RENNES"},
		{"d2@rennes.test", "", domain.RoleDirecteur, "RENNES"},
		{"c@rennes.test", "Contributrice", domain.RoleContributeur, "RENNES"},
		{"parti@rennes.test", "Ancien directeur", domain.RoleDirecteur, "RENNES"},
		{"d@brest.test", "Gwen Brest", domain.RoleDirecteur, "BREST"},
		{"d@lyon.test", "Claude Lyon", domain.RoleDirecteur, "LYON"},
	} {
		id, err := f.store.CreateActiveUser(ctx, nil, u.email, u.nom, "hash", domain.Membership{Role: u.role, StructureID: f.structures[u.ml]})
		if err != nil {
			t.Fatal(err)
		}
		if u.email == "parti@rennes.test" {
			if err := f.store.SetDisabled(ctx, nil, id, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

// openCampagne opens a campaign on every ML closing daysLeft days after today.
func (f reminderFixture) openCampagne(t *testing.T, nom string, daysLeft int) int64 {
	t.Helper()
	c := campagnes.Campagne{Nom: nom, ReferentielID: f.ref, Ouverture: campagnes.Day(today).AddDate(0, 0, -40), Cloture: campagnes.Day(today).AddDate(0, 0, daysLeft)}
	id, err := f.store.CreateCampagne(t.Context(), nil, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.OpenCampagne(t.Context(), nil, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f reminderFixture) submit(t *testing.T, campagne int64, ml string) {
	t.Helper()
	if _, err := f.pool.Exec(t.Context(), "UPDATE autoevaluations SET etat = 'soumise' WHERE campagne_id = $1 AND structure_id = $2", campagne, f.structures[ml]); err != nil {
		t.Fatal(err)
	}
}

type sentMail struct {
	To, Subject, Body string
}

// outbox returns the queued emails, by recipient then age.
func (f reminderFixture) outbox(t *testing.T) []sentMail {
	t.Helper()
	rows, _ := f.pool.Query(t.Context(), "SELECT recipient, subject, body FROM outbox ORDER BY id")
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[sentMail])
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(list, func(a, b sentMail) int { return strings.Compare(a.To, b.To) })
	return list
}

// rappels lists the recorded reminders as "ML kind".
func (f reminderFixture) rappels(t *testing.T) []string {
	t.Helper()
	rows, _ := f.pool.Query(t.Context(), `SELECT s.code || ' ' || r.kind FROM campagne_rappels r JOIN structures s ON s.id = r.structure_id`)
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(list)
	return list
}

func (f reminderFixture) worker() *campagnes.Worker {
	base, _ := url.Parse("https://cadre.example.org/")
	return campagnes.NewWorker(f.store, base, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func runOnce(t *testing.T, w *campagnes.Worker, day time.Time) int {
	t.Helper()
	sent, err := w.RunOnce(t.Context(), day)
	if err != nil {
		t.Fatal(err)
	}
	return sent
}

func recipients(list []sentMail) []string {
	var to []string
	for _, m := range list {
		to = append(to, m.To)
	}
	return to
}

func TestRemindersJ30ThenJ7ToDirectorsWhoHaveNotSubmitted(t *testing.T) {
	t.Parallel()
	f := newReminderFixture(t)
	id := f.openCampagne(t, "Campagne 2026", 30)
	f.submit(t, id, "BREST")
	w := f.worker()

	// 31 days before the closing: nothing yet.
	if sent := runOnce(t, w, today.AddDate(0, 0, -1)); sent != 0 {
		t.Errorf("31 days before: %d emails", sent)
	}
	// 30 days before: Rennes's two active directors and Lyon's; not Brest, which
	// submitted, nor the contributor or the disabled director.
	if sent := runOnce(t, w, today); sent != 3 {
		t.Errorf("30 days before: %d emails, want 3", sent)
	}
	mails := f.outbox(t)
	if got := recipients(mails); !slices.Equal(got, []string{"d1@rennes.test", "d2@rennes.test", "d@lyon.test"}) {
		t.Fatalf("J-30 went to %v", got)
	}
	if got := f.rappels(t); !slices.Equal(got, []string{"ML-LYON J-30", "ML-RENNES J-30"}) {
		t.Errorf("recorded %v", got)
	}
	var autoeval int64
	if err := f.pool.QueryRow(t.Context(), "SELECT id FROM autoevaluations WHERE campagne_id = $1 AND structure_id = $2", id, f.structures["RENNES"]).Scan(&autoeval); err != nil {
		t.Fatal(err)
	}
	m := mails[0]
	if m.Subject != "Rappel : la campagne « Campagne 2026 » se clôt le 02/12/2026" {
		t.Errorf("subject = %q", m.Subject)
	}
	for _, want := range []string{
		"Bonjour Yann Rennes,",
		"« Mission Locale de rennes »",
		"« Campagne 2026 »",
		"se clôt le 02/12/2026 (dans 30 jours)",
		"https://cadre.example.org/autoevaluations/" + strconv.FormatInt(autoeval, 10) + "\n",
	} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Body)
		}
	}
	if !strings.HasPrefix(mails[1].Body, "Bonjour,\n") {
		t.Errorf("a director without a name is greeted %q", strings.SplitN(mails[1].Body, "\n", 2)[0])
	}

	// The same day again, and later within the J-30 window: nothing more.
	for _, d := range []int{0, 0, 10, 22} {
		if sent := runOnce(t, w, today.AddDate(0, 0, d)); sent != 0 {
			t.Errorf("day +%d: %d more emails", d, sent)
		}
	}
	// Lyon submits meanwhile; 7 days before, only Rennes is reminded.
	f.submit(t, id, "LYON")
	if sent := runOnce(t, w, today.AddDate(0, 0, 23)); sent != 2 {
		t.Errorf("7 days before: %d emails, want 2", sent)
	}
	var j7 []string
	for _, m := range f.outbox(t) {
		if strings.Contains(m.Body, "(dans 7 jours)") {
			j7 = append(j7, m.To)
		}
	}
	if !slices.Equal(j7, []string{"d1@rennes.test", "d2@rennes.test"}) {
		t.Errorf("J-7 went to %v", j7)
	}
	if got := f.rappels(t); !slices.Equal(got, []string{"ML-LYON J-30", "ML-RENNES J-30", "ML-RENNES J-7"}) {
		t.Errorf("recorded %v", got)
	}
	// Up to the closing day, nothing more; after it, nothing at all.
	for _, d := range []int{24, 30, 31} {
		if sent := runOnce(t, w, today.AddDate(0, 0, d)); sent != 0 {
			t.Errorf("day +%d: %d more emails", d, sent)
		}
	}
}

func TestRemindersCatchUp(t *testing.T) {
	t.Parallel()
	f := newReminderFixture(t)
	// Servers were down 30 days before these closings.
	f.openCampagne(t, "Rattrapage J-30", 12)
	late := f.openCampagne(t, "Rattrapage J-7", 3)
	onTheDay := f.openCampagne(t, "Dernier jour", 0)
	f.submit(t, late, "RENNES")
	f.submit(t, late, "LYON")
	f.submit(t, onTheDay, "RENNES")
	f.submit(t, onTheDay, "LYON")
	sent := runOnce(t, f.worker(), today)
	// J-30 for the 3 MLs of the first (4 directors); only J-7, never J-30 as well,
	// for Brest in the two others.
	if sent != 6 {
		t.Errorf("%d emails, want 6", sent)
	}
	rows, _ := f.pool.Query(t.Context(), `SELECT c.nom || ' ' || s.code || ' ' || r.kind FROM campagne_rappels r
		JOIN campagnes c ON c.id = r.campagne_id JOIN structures s ON s.id = r.structure_id`)
	kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(kinds)
	want := []string{"Dernier jour ML-BREST J-7", "Rattrapage J-30 ML-BREST J-30", "Rattrapage J-30 ML-LYON J-30", "Rattrapage J-30 ML-RENNES J-30", "Rattrapage J-7 ML-BREST J-7"}
	if !slices.Equal(kinds, want) {
		t.Errorf("recorded %v\nwant     %v", kinds, want)
	}
	var body string
	if err := f.pool.QueryRow(t.Context(), "SELECT body FROM outbox WHERE body LIKE '%Dernier jour%'").Scan(&body); err != nil || !strings.Contains(body, "(aujourd'hui)") {
		t.Errorf("closing-day reminder: %v\n%s", err, body)
	}
}

func TestRemindersOnlyForOpenCampaigns(t *testing.T) {
	t.Parallel()
	f := newReminderFixture(t)
	ctx := t.Context()
	prep, err := f.store.CreateCampagne(ctx, nil, campagnes.Campagne{Nom: "En préparation", ReferentielID: f.ref, Ouverture: campagnes.Day(today), Cloture: campagnes.Day(today).AddDate(0, 0, 10)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed := f.openCampagne(t, "Close", 10)
	if err := f.store.CloseCampagne(ctx, nil, closed); err != nil {
		t.Fatal(err)
	}
	if sent := runOnce(t, f.worker(), today); sent != 0 {
		t.Errorf("campaigns %d (preparation) and %d (closed) got %d reminders", prep, closed, sent)
	}
}

func TestRemindersAreNeverDuplicatedByParallelWorkers(t *testing.T) {
	t.Parallel()
	f := newReminderFixture(t)
	f.openCampagne(t, "Campagne A", 30)
	f.openCampagne(t, "Campagne B", 5)
	// Each server has its own pool and worker.
	workers := make([]*campagnes.Worker, 4)
	for i := range workers {
		pool, err := postgres.Open(t.Context(), f.app.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		base, _ := url.Parse("https://cadre.example.org")
		workers[i] = campagnes.NewWorker(postgres.NewStore(pool), base, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	var wg sync.WaitGroup
	sent := make([]int, len(workers)*3)
	errs := make([]error, len(sent))
	for i := range sent {
		wg.Go(func() { sent[i], errs[i] = workers[i%len(workers)].RunOnce(t.Context(), today) })
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
		total += sent[i]
	}
	// 4 directors, two campaigns: 8 emails, each once.
	mails := f.outbox(t)
	if total != 8 || len(mails) != 8 {
		t.Errorf("the runs report %d emails and the outbox holds %d, want 8", total, len(mails))
	}
	seen := map[string]bool{}
	for _, m := range mails {
		key := m.To + " " + m.Subject
		if seen[key] {
			t.Errorf("duplicate: %s", key)
		}
		seen[key] = true
	}
}

func TestWorkerRunSendsUntilCancelled(t *testing.T) {
	t.Parallel()
	f := newReminderFixture(t)
	f.openCampagne(t, "Campagne", 7)
	w := f.worker()
	w.Interval = 10 * time.Millisecond
	w.Now = func() time.Time { return today }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(f.outbox(t)) < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// A few more rounds send nothing more.
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	if n := len(f.outbox(t)); n != 4 {
		t.Errorf("%d emails, want 4", n)
	}
}
