package mail

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		attempts int
		want     time.Duration
	}{
		{0, time.Minute},
		{1, time.Minute},
		{2, 2 * time.Minute},
		{3, 4 * time.Minute},
		{9, 256 * time.Minute},
		{10, 6 * time.Hour},
		{11, 6 * time.Hour},
		{1 << 30, 6 * time.Hour},
	}
	for _, c := range cases {
		if got := Backoff(c.attempts); got != c.want {
			t.Errorf("Backoff(%d) = %s, want %s", c.attempts, got, c.want)
		}
	}
}

func TestQueuedStatus(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, c := range []struct {
		q    Queued
		want string
	}{
		{Queued{}, "en attente"},
		{Queued{Attempts: 2, LastError: "550"}, "nouvel essai prévu"},
		{Queued{Attempts: 2, SentAt: &now}, "envoyé"},
	} {
		if got := c.q.Status(); got != c.want {
			t.Errorf("%+v: status %q, want %q", c.q, got, c.want)
		}
	}
}

func TestErrorTextIsStorable(t *testing.T) {
	t.Parallel()
	long := errors.New(strings.Repeat("é", 2*maxErrorText) + "\x00\xff")
	got := errorText(long)
	if len(got) > maxErrorText+len("…") || !utf8.ValidString(got) || strings.Contains(got, "\x00") {
		t.Errorf("errorText gave %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	if got := errorText(errors.New("a\x00b\xffc")); got != "ab\uFFFDc" {
		t.Errorf("errorText = %q", got)
	}
}

// memStore is an outbox in memory with its own clock, standing for PostgreSQL.
type memStore struct {
	mu   sync.Mutex
	now  time.Time
	msgs []Queued
	// marks counts the Mark calls made with a cancelled context.
	cancelledMarks int
}

func (s *memStore) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, Queued{ID: int64(len(s.msgs) + 1), Message: m, CreatedAt: s.now, NextAttemptAt: s.now})
}

func (s *memStore) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *memStore) advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(d)
}

func (s *memStore) get(id int64) Queued {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.msgs[id-1]
}

func (s *memStore) ClaimDueMail(ctx context.Context, limit int, lease time.Duration) ([]Queued, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []Queued
	for i, q := range s.msgs {
		if q.SentAt == nil && !q.NextAttemptAt.After(s.now) && len(due) < limit {
			s.msgs[i].NextAttemptAt = s.now.Add(lease)
			due = append(due, s.msgs[i])
		}
	}
	return due, nil
}

func (s *memStore) MarkMailSent(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
		s.cancelledMarks++
		return ctx.Err()
	}
	now := s.now
	s.msgs[id-1].SentAt = &now
	return nil
}

func (s *memStore) MarkMailFailed(ctx context.Context, id int64, attempts int, next time.Time, errText string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
		s.cancelledMarks++
		return ctx.Err()
	}
	q := &s.msgs[id-1]
	q.Attempts, q.NextAttemptAt, q.LastError = attempts, next, errText
	return nil
}

// fakeSender records what it sends; fail, when set, decides which sends fail.
type fakeSender struct {
	mu   sync.Mutex
	sent []Message
	fail func(Message) error
}

func (f *fakeSender) Send(ctx context.Context, m Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(m); err != nil {
			return err
		}
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeSender) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestWorker(store *memStore, sender Sender) *Worker {
	w := NewWorker(store, sender, discard())
	w.Now = store.clock
	w.Interval = 10 * time.Millisecond
	return w
}

func TestWorkerRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	store := &memStore{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	store.add(Message{To: "a@ml.fr", Subject: "Invitation", Body: "Bonjour"})
	store.add(Message{To: "b@ml.fr", Subject: "Invitation", Body: "Bonjour"})
	down := true
	sender := &fakeSender{fail: func(m Message) error {
		if down && m.To == "b@ml.fr" {
			return errors.New("421 try again later")
		}
		return nil
	}}
	w := newTestWorker(store, sender)

	sent, failed, err := w.RunOnce(t.Context())
	if sent != 1 || failed != 1 || err != nil {
		t.Fatalf("first run: sent %d, failed %d, %v; want 1, 1, nil", sent, failed, err)
	}
	if a := store.get(1); a.Status() != "envoyé" {
		t.Errorf("a: %q", a.Status())
	}
	b := store.get(2)
	if b.Attempts != 1 || b.LastError != "421 try again later" || !b.NextAttemptAt.Equal(store.clock().Add(time.Minute)) {
		t.Fatalf("b after one failure: %+v", b)
	}

	// Still failing after the first backoff: the second waits twice as long.
	store.advance(time.Minute)
	if sent, failed, _ := w.RunOnce(t.Context()); sent != 0 || failed != 1 {
		t.Fatalf("second run: sent %d, failed %d", sent, failed)
	}
	if b := store.get(2); b.Attempts != 2 || !b.NextAttemptAt.Equal(store.clock().Add(2*time.Minute)) {
		t.Fatalf("b after two failures: %+v", b)
	}

	// Not due yet: nothing happens, even with the server back.
	down = false
	store.advance(time.Minute)
	if sent, failed, _ := w.RunOnce(t.Context()); sent != 0 || failed != 0 {
		t.Fatalf("before the retry time: sent %d, failed %d", sent, failed)
	}
	store.advance(time.Minute)
	if sent, failed, _ := w.RunOnce(t.Context()); sent != 1 || failed != 0 {
		t.Fatalf("at the retry time: sent %d, failed %d", sent, failed)
	}
	if b := store.get(2); b.SentAt == nil || b.Attempts != 2 || b.LastError == "" {
		t.Errorf("b once sent keeps its history: %+v", b)
	}
	if n := sender.count(); n != 2 {
		t.Errorf("sender accepted %d messages, want 2", n)
	}
}

func TestWorkerRunDeliversUntilCancelled(t *testing.T) {
	store := &memStore{now: time.Now()}
	for range 25 {
		store.add(Message{To: "a@ml.fr", Subject: "Rappel", Body: "…"})
	}
	sender := &fakeSender{}
	w := newTestWorker(store, sender)
	w.Batch = 10
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		w.Run(ctx)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for sender.count() < 25 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := sender.count(); n != 25 {
		t.Errorf("sent %d of 25", n)
	}
	// A message enqueued later is picked up at the next poll.
	store.add(Message{To: "b@ml.fr", Subject: "Rappel", Body: "…"})
	for sender.count() < 26 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := sender.count(); n != 26 {
		t.Errorf("late message not sent")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run did not return after the cancellation")
	}
}

// blockingSender waits for ctx, like a send to a server that does not answer.
type blockingSender struct{ started chan struct{} }

func (b blockingSender) Send(ctx context.Context, m Message) error {
	close(b.started)
	<-ctx.Done()
	return ctx.Err()
}

func TestWorkerCancelledMidSendLeavesTheMessageDue(t *testing.T) {
	store := &memStore{now: time.Now()}
	store.add(Message{To: "a@ml.fr", Subject: "Invitation", Body: "Bonjour"})
	store.add(Message{To: "b@ml.fr", Subject: "Invitation", Body: "Bonjour"})
	sender := blockingSender{started: make(chan struct{})}
	w := newTestWorker(store, sender)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		w.Run(ctx)
		close(done)
	}()
	<-sender.started
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run did not return after the cancellation")
	}
	for id := int64(1); id <= 2; id++ {
		// Not a failure of the message: no attempt counted, back when the lease ends.
		if q := store.get(id); q.SentAt != nil || q.Attempts != 0 || q.LastError != "" {
			t.Errorf("message %d: %+v", id, q)
		}
	}
	store.advance(w.Lease)
	if due, _ := store.ClaimDueMail(t.Context(), 10, time.Minute); len(due) != 2 {
		t.Errorf("%d messages due after the lease, want 2", len(due))
	}
}

// cancellingSender accepts the message, then the server shuts down.
type cancellingSender struct{ cancel context.CancelFunc }

func (c cancellingSender) Send(ctx context.Context, m Message) error {
	c.cancel()
	return nil
}

func TestWorkerRecordsASendEvenIfCancelledRightAfter(t *testing.T) {
	t.Parallel()
	store := &memStore{now: time.Now()}
	store.add(Message{To: "a@ml.fr", Subject: "Invitation", Body: "Bonjour"})
	ctx, cancel := context.WithCancel(t.Context())
	w := newTestWorker(store, cancellingSender{cancel})
	sent, _, err := w.RunOnce(ctx)
	if sent != 1 || err != nil {
		t.Fatalf("sent %d, %v", sent, err)
	}
	if q := store.get(1); q.SentAt == nil || store.cancelledMarks != 0 {
		t.Errorf("message sent but not recorded as sent: %+v", q)
	}
}

// slowSender takes its time, as a slow SMTP server does.
type slowSender struct {
	fakeSender
	delay time.Duration
}

func (s *slowSender) Send(ctx context.Context, m Message) error {
	time.Sleep(s.delay)
	return s.fakeSender.Send(ctx, m)
}

func TestWorkerLeavesTheRestOfABatchWhenTheLeaseRunsShort(t *testing.T) {
	store := &memStore{now: time.Now()}
	for range 5 {
		store.add(Message{To: "a@ml.fr", Subject: "Rappel", Body: "…"})
	}
	sender := &slowSender{delay: 30 * time.Millisecond}
	w := newTestWorker(store, sender)
	w.Lease = 100 * time.Millisecond
	sent, failed, err := w.RunOnce(t.Context())
	if err != nil || failed != 0 || sent < 1 || sent >= 5 {
		t.Fatalf("sent %d, failed %d, %v; want some but not all sent", sent, failed, err)
	}
	for id := int64(sent + 1); id <= 5; id++ {
		if q := store.get(id); q.SentAt != nil || q.Attempts != 0 {
			t.Errorf("message %d left for later: %+v", id, q)
		}
	}
}

func TestMessageValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		m  Message
		ok bool
	}{
		{Message{To: "hélène@ml-évry.fr", Subject: "Invitation"}, true},
		{Message{To: "a@b.fr", Subject: "Objet"}, true},
		{Message{To: "", Subject: "Objet"}, false},
		{Message{To: "Hélène <a@b.fr>", Subject: "Objet"}, false},
		{Message{To: "a@b.fr, c@d.fr", Subject: "Objet"}, false},
		{Message{To: " a@b.fr", Subject: "Objet"}, false},
		{Message{To: "a@b.fr\r\nBcc: x@y.fr", Subject: "Objet"}, false},
		{Message{To: "a@b.fr", Subject: ""}, false},
	} {
		if err := c.m.Validate(); (err == nil) != c.ok {
			t.Errorf("%q / %q: err = %v", c.m.To, c.m.Subject, err)
		}
	}
}

func TestConsoleSenderPrintsTheWholeMessage(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	c := &ConsoleSender{W: &out}
	m := Message{To: "a@example.org", Subject: "Invitation", Body: "Ouvrez https://cadre.example/invitation/ABC"}
	if err := c.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{m.To, m.Subject, m.Body} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console output lacks %q:\n%s", want, out.String())
		}
	}
}
