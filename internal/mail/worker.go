package mail

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/background"
)

// WorkerStore is the part of the outbox the worker uses.
type WorkerStore interface {
	// ClaimDueMail returns up to limit unsent messages that are due, and makes them
	// due again only after lease, so no other worker takes them meanwhile.
	ClaimDueMail(ctx context.Context, limit int, lease time.Duration) ([]Queued, error)
	MarkMailSent(ctx context.Context, id int64) error
	MarkMailFailed(ctx context.Context, id int64, attempts int, next time.Time, errText string) error
}

// Backoff limits.
const (
	firstRetry = time.Minute
	maxRetry   = 6 * time.Hour
)

// Backoff returns the wait before retrying a message that has failed attempts
// times: 1 minute after the first failure, then 2, 4, 8… up to 6 hours.
func Backoff(attempts int) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}

// maxErrorText bounds the error kept with a message: SMTP replies can be long.
const maxErrorText = 1000

// Worker delivers the outbox. Several workers (one per application server) can
// run side by side: each message is claimed by one of them at a time.
type Worker struct {
	// Interval is the pause between two looks at the outbox when it has nothing due.
	Interval time.Duration
	// Lease is how long claimed messages are reserved for this worker. A worker
	// stops going through a batch once half the lease has passed, so that no
	// message it has not sent yet is claimed by another worker; a worker that dies
	// leaves its messages to the others when the lease ends.
	Lease time.Duration
	// Batch is the most messages claimed at once.
	Batch int
	// Now is the clock that schedules retries.
	Now func() time.Time

	store  WorkerStore
	sender Sender
	logger *slog.Logger
}

// NewWorker returns a worker that delivers store's due messages through sender,
// every 5 seconds, 10 at a time, with a lease of 2 minutes.
func NewWorker(store WorkerStore, sender Sender, logger *slog.Logger) *Worker {
	return &Worker{
		Interval: 5 * time.Second,
		Lease:    2 * time.Minute,
		Batch:    10,
		Now:      time.Now,
		store:    store,
		sender:   sender,
		logger:   logger,
	}
}

// Run delivers due messages until ctx is done, then returns. Errors are logged:
// a failing database or SMTP server only delays delivery.
func (w *Worker) Run(ctx context.Context) {
	w.logger.Info("mail worker started", "interval", w.Interval)
	defer w.logger.Info("mail worker stopped")
	background.Every(ctx, func(ctx context.Context) time.Duration {
		sent, failed, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.logger.Error("mail worker", "err", err)
		}
		if err == nil && sent+failed >= w.Batch {
			return 0 // a full batch: there may be more due at once
		}
		return w.Interval
	})
}

// RunOnce claims one batch of due messages and tries to deliver each: a message
// sent is marked sent; one that fails gets its error and a retry time by Backoff.
// A message is never dropped: if ctx is cancelled or the worker's lease runs
// short, the remaining messages are left to their lease and claimed again later.
func (w *Worker) RunOnce(ctx context.Context) (sent, failed int, err error) {
	batch, err := w.store.ClaimDueMail(ctx, w.Batch, w.Lease)
	if err != nil {
		return 0, 0, fmt.Errorf("claim due mail: %w", err)
	}
	// The monotonic clock, not Now: the lease runs in real time.
	claimed := time.Now()
	for _, q := range batch {
		if err := ctx.Err(); err != nil {
			return sent, failed, err
		}
		if time.Since(claimed) > w.Lease/2 {
			w.logger.Warn("mail worker: lease running short, leaving the rest of the batch for later", "left", len(batch)-sent-failed)
			return sent, failed, nil
		}
		sendErr := w.sender.Send(ctx, q.Message)
		if sendErr != nil && ctx.Err() != nil {
			// Interrupted: not the message's fault, so no failure is recorded.
			return sent, failed, ctx.Err()
		}
		// The outcome is recorded even if ctx is cancelled meanwhile: a message sent
		// but not marked would be sent again.
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if sendErr == nil {
			err = w.store.MarkMailSent(mctx, q.ID)
			w.logger.Info("mail sent", "outbox_id", q.ID)
		} else {
			attempts := q.Attempts + 1
			next := w.Now().Add(Backoff(attempts))
			err = w.store.MarkMailFailed(mctx, q.ID, attempts, next, errorText(sendErr))
			w.logger.Warn("mail not sent, will retry", "outbox_id", q.ID, "attempts", attempts, "retry_at", next, "err", sendErr)
		}
		cancel()
		if err != nil {
			return sent, failed, fmt.Errorf("record delivery of mail %d: %w", q.ID, err)
		}
		if sendErr == nil {
			sent++
		} else {
			failed++
		}
	}
	return sent, failed, nil
}

// errorText makes err storable: valid UTF-8 without NUL (PostgreSQL refuses
// both), and not longer than maxErrorText bytes.
func errorText(err error) string {
	s := strings.ToValidUTF8(err.Error(), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) > maxErrorText {
		cut := maxErrorText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
