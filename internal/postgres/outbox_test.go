package postgres_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

func invitation(to string) mail.Message {
	return mail.Message{
		To:      to,
		Subject: "Invitation à la démarche qualité",
		Body:    "Bonjour,\n\nVous êtes invité·e à rejoindre Cadre.\n",
	}
}

func enqueue(t *testing.T, store *postgres.Store, recipients ...string) {
	t.Helper()
	for _, to := range recipients {
		if err := store.EnqueueMail(t.Context(), nil, invitation(to)); err != nil {
			t.Fatal(err)
		}
	}
}

func outbox(t *testing.T, store *postgres.Store) []mail.Queued {
	t.Helper()
	list, err := store.ListOutbox(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func recipients(list []mail.Queued) []string {
	var to []string
	for _, q := range list {
		to = append(to, q.To)
	}
	return to
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(t.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func TestEnqueueMailBelongsToItsTransaction(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.EnqueueMail(ctx, tx, invitation("annulee@ml.fr")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if list := outbox(t, store); len(list) != 0 {
		t.Fatalf("after a rollback, the outbox holds %v", recipients(list))
	}

	tx, err = pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.EnqueueMail(ctx, tx, invitation("validee@ml.fr")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	list := outbox(t, store)
	if len(list) != 1 {
		t.Fatalf("after a commit, the outbox holds %v", recipients(list))
	}
	q := list[0]
	if q.Message != invitation("validee@ml.fr") || q.Attempts != 0 || q.SentAt != nil || q.LastError != "" ||
		q.Status() != "en attente" || time.Since(q.CreatedAt).Abs() > time.Minute || q.NextAttemptAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("queued message: %+v", q)
	}
}

func TestEnqueueMailRefusesIncompleteMessages(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := postgres.NewStore(pool)
	for _, m := range []mail.Message{
		{To: "", Subject: "Objet", Body: "…"},
		{To: "a@ml.fr", Subject: "", Body: "…"},
		{To: "a@ml.fr", Subject: "   ", Body: "…"},
		{To: "pas une adresse", Subject: "Objet", Body: "…"},
	} {
		if err := store.EnqueueMail(t.Context(), nil, m); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%+v: err = %v, want EINVALID", m, err)
		}
		tx, err := pool.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := postgres.EnqueueMail(t.Context(), tx, m); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("in a transaction, %+v: err = %v, want EINVALID", m, err)
		}
		if err := tx.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if list := outbox(t, store); len(list) != 0 {
		t.Errorf("the outbox holds %v", recipients(list))
	}
}

func TestClaimDueMailLeasesWhatItReturns(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	enqueue(t, store, "un@ml.fr", "deux@ml.fr", "trois@ml.fr")

	first, err := store.ClaimDueMail(ctx, 2, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := recipients(first); !slices.Equal(got, []string{"un@ml.fr", "deux@ml.fr"}) {
		t.Fatalf("first claim: %v, want the two oldest", got)
	}
	for _, q := range first {
		if d := time.Until(q.NextAttemptAt); d < time.Minute || d > 3*time.Minute {
			t.Errorf("%s leased until %s from now, want about 2 minutes", q.To, d)
		}
	}
	second, err := store.ClaimDueMail(ctx, 10, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := recipients(second); !slices.Equal(got, []string{"trois@ml.fr"}) {
		t.Fatalf("second claim: %v, want only the unclaimed one", got)
	}
	if third, err := store.ClaimDueMail(ctx, 10, 2*time.Minute); err != nil || len(third) != 0 {
		t.Fatalf("third claim: %v, %v; want nothing while leased", recipients(third), err)
	}

	// The worker holding "un" died: when its lease ends, the message is due again.
	exec(t, pool, "UPDATE outbox SET next_attempt_at = now() - interval '1 second' WHERE recipient = 'un@ml.fr'")
	again, err := store.ClaimDueMail(ctx, 10, 2*time.Minute)
	if err != nil || !slices.Equal(recipients(again), []string{"un@ml.fr"}) {
		t.Fatalf("after the lease: %v, %v", recipients(again), err)
	}
	if _, err := store.ClaimDueMail(ctx, 0, time.Minute); err == nil {
		t.Error("a limit of 0 was accepted")
	}
}

func TestClaimDueMailSkipsWhatAnotherServerIsClaiming(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	enqueue(t, store, "un@ml.fr")

	// Another server's claim, caught between its SELECT … FOR UPDATE and its commit.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT id FROM outbox FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got, err := store.ClaimDueMail(wctx, 10, time.Minute)
	if err != nil || len(got) != 0 {
		t.Fatalf("while another claim holds the row: %v, %v; want nothing, without waiting", recipients(got), err)
	}
}

func TestConcurrentClaimsNeverShareAMessage(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := postgres.NewStore(pool)
	const n = 40
	for i := range n {
		enqueue(t, store, string(rune('a'+i%26))+"@ml"+string(rune('a'+i/26))+".fr")
	}
	var (
		mu     sync.Mutex
		counts = map[int64]int{}
		wg     sync.WaitGroup
		errs   = make(chan error, 8)
	)
	for range 8 {
		wg.Go(func() {
			for {
				got, err := store.ClaimDueMail(t.Context(), 3, time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, q := range got {
					counts[q.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(counts) != n {
		t.Errorf("%d messages claimed, want %d", len(counts), n)
	}
	for id, c := range counts {
		if c != 1 {
			t.Errorf("message %d claimed %d times", id, c)
		}
	}
}

func TestMailDeliveryBookkeeping(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	enqueue(t, store, "echec@ml.fr", "envoye@ml.fr")
	claimed, err := store.ClaimDueMail(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %v, %v", recipients(claimed), err)
	}
	failing, sent := claimed[0], claimed[1]

	next := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	if err := store.MarkMailFailed(ctx, failing.ID, 3, next, "421 4.7.0 Réessayez plus tard"); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkMailSent(ctx, sent.ID); err != nil {
		t.Fatal(err)
	}

	q, err := store.OutboxMessage(ctx, failing.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.Attempts != 3 || !q.NextAttemptAt.Equal(next) || q.LastError != "421 4.7.0 Réessayez plus tard" || q.SentAt != nil || q.Status() != "nouvel essai prévu" {
		t.Errorf("after a failure: %+v", q)
	}
	q, err = store.OutboxMessage(ctx, sent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.SentAt == nil || time.Since(*q.SentAt).Abs() > time.Minute || q.Status() != "envoyé" || q.Message != invitation("envoye@ml.fr") {
		t.Errorf("after a delivery: %+v", q)
	}

	// Both due by the clock: only the unsent one comes back.
	exec(t, pool, "UPDATE outbox SET next_attempt_at = now() - interval '1 second'")
	again, err := store.ClaimDueMail(ctx, 10, time.Minute)
	if err != nil || !slices.Equal(recipients(again), []string{"echec@ml.fr"}) {
		t.Fatalf("claim after bookkeeping: %v, %v; want only the failed one", recipients(again), err)
	}
	if again[0].Attempts != 3 || again[0].LastError == "" {
		t.Errorf("a claimed message carries its history: %+v", again[0])
	}

	// A sent message stays sent, and nothing is ever deleted.
	if err := store.MarkMailFailed(ctx, sent.ID, 1, next, "late"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("failing a sent message: %v, want ENOTFOUND", err)
	}
	if q, _ := store.OutboxMessage(ctx, sent.ID); q.SentAt == nil || q.LastError != "" {
		t.Errorf("sent message changed: %+v", q)
	}
	if err := store.MarkMailSent(ctx, sent.ID); err != nil {
		t.Errorf("marking sent twice: %v", err)
	}
	if list := outbox(t, store); len(list) != 2 {
		t.Errorf("outbox holds %d messages, want 2", len(list))
	}
	if err := store.MarkMailSent(ctx, 999); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown id sent: %v, want ENOTFOUND", err)
	}
	if err := store.MarkMailFailed(ctx, 999, 1, next, "x"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown id failed: %v, want ENOTFOUND", err)
	}
}

func TestListOutboxNewestFirst(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := postgres.NewStore(pool)
	enqueue(t, store, "premier@ml.fr", "deuxieme@ml.fr", "troisieme@ml.fr")
	if got := recipients(outbox(t, store)); !slices.Equal(got, []string{"troisieme@ml.fr", "deuxieme@ml.fr", "premier@ml.fr"}) {
		t.Errorf("order: %v", got)
	}
	two, err := store.ListOutbox(t.Context(), 2)
	if err != nil || !slices.Equal(recipients(two), []string{"troisieme@ml.fr", "deuxieme@ml.fr"}) {
		t.Errorf("limit 2: %v, %v", recipients(two), err)
	}
	if _, err := store.ListOutbox(t.Context(), 0); err == nil {
		t.Error("a limit of 0 was accepted")
	}
}

func TestOutboxMessageNotFound(t *testing.T) {
	t.Parallel()
	store := postgres.NewStore(pgtest.New(t))
	_, err := store.OutboxMessage(t.Context(), 42)
	if domain.ErrorCode(err) != domain.ENOTFOUND || domain.ErrorMessage(err) != "Message introuvable." {
		t.Errorf("err = %v, want ENOTFOUND « Message introuvable. »", err)
	}
}

// flakySender fails while down is set, and records what it accepts.
type flakySender struct {
	mu   sync.Mutex
	down bool
	sent []mail.Message
}

func (f *flakySender) Send(ctx context.Context, m mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errors.New("dial tcp: connection refused")
	}
	f.sent = append(f.sent, m)
	return nil
}

func TestWorkerDeliversTheOutbox(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	enqueue(t, store, "un@ml.fr")
	sender := &flakySender{down: true}
	w := mail.NewWorker(store, sender, slog.New(slog.NewTextHandler(io.Discard, nil)))

	sent, failed, err := w.RunOnce(ctx)
	if sent != 0 || failed != 1 || err != nil {
		t.Fatalf("server down: sent %d, failed %d, %v", sent, failed, err)
	}
	list := outbox(t, store)
	q := list[0]
	if q.Attempts != 1 || q.LastError != "dial tcp: connection refused" || q.SentAt != nil {
		t.Fatalf("after a failure: %+v", q)
	}
	if d := time.Until(q.NextAttemptAt); d < 50*time.Second || d > 70*time.Second {
		t.Errorf("retry in %s, want about a minute", d)
	}

	// Before the backoff has passed, nothing is tried.
	sender.down = false
	if sent, failed, err := w.RunOnce(ctx); sent+failed != 0 || err != nil {
		t.Fatalf("before the retry time: sent %d, failed %d, %v", sent, failed, err)
	}
	exec(t, pool, "UPDATE outbox SET next_attempt_at = now() WHERE id = $1", q.ID)
	enqueue(t, store, "deux@ml.fr")
	if sent, failed, err := w.RunOnce(ctx); sent != 2 || failed != 0 || err != nil {
		t.Fatalf("after the retry time: sent %d, failed %d, %v", sent, failed, err)
	}
	for _, q := range outbox(t, store) {
		if q.Status() != "envoyé" {
			t.Errorf("%s: %s", q.To, q.Status())
		}
	}
	if sent, failed, err := w.RunOnce(ctx); sent+failed != 0 || err != nil {
		t.Errorf("nothing left: sent %d, failed %d, %v", sent, failed, err)
	}
	if len(sender.sent) != 2 {
		t.Errorf("sender accepted %d messages, want 2", len(sender.sent))
	}
}
