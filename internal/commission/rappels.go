package commission

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/unml/cadre/internal/background"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
)

// Rappel is a label in force ending within RappelHorizon months: a candidate
// for an expiry reminder.
type Rappel struct {
	LabelID      int64
	StructureID  int64
	StructureNom string
	Fin          time.Time
	// Envoyes lists the kinds of reminder already sent for this label.
	Envoyes []string
}

// RappelStore is the part of the store the expiry reminders use.
type RappelStore interface {
	// PendingLabelRappels returns the labels in force (not withdrawn) ending
	// after today and at most months months later, with the reminders sent.
	PendingLabelRappels(ctx context.Context, today time.Time, months int) ([]Rappel, error)
	// RecordLabelRappel records reminder kind for r's label and, in the same
	// transaction, queues message(d) for each director of the ML and référent
	// of its région. When another server recorded it first, it queues nothing
	// and returns 0. It returns the number of emails queued. actor is nil: the
	// system sends reminders.
	RecordLabelRappel(ctx context.Context, actor *domain.Actor, r Rappel, kind string, message func(Destinataire) mail.Message) (int, error)
}

// Worker sends the expiry reminders of labels, 6 and 3 months before their
// end, by email through the outbox. Several workers can run side by side: the
// store's record of each reminder decides which one sends it.
type Worker struct {
	// Interval is the pause between two looks at the labels.
	Interval time.Duration
	// Now is the clock; its calendar day in Location is "today".
	Now      func() time.Time
	Location *time.Location

	store   RappelStore
	baseURL string
	logger  *slog.Logger
}

// NewWorker returns a worker that looks every hour for reminders due in
// Paris's today. Links in the emails start with baseURL.
func NewWorker(store RappelStore, baseURL *url.URL, logger *slog.Logger) *Worker {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		loc = time.Local
	}
	w := &Worker{Interval: time.Hour, Now: time.Now, Location: loc, store: store, logger: logger}
	if baseURL != nil {
		w.baseURL = strings.TrimRight(baseURL.String(), "/")
	}
	return w
}

// Run sends due reminders at once, then every Interval until ctx is done.
// Errors are logged: a reminder not sent now is sent at the next round.
func (w *Worker) Run(ctx context.Context) {
	w.logger.Info("label reminders worker started", "interval", w.Interval)
	defer w.logger.Info("label reminders worker stopped")
	background.Every(ctx, func(ctx context.Context) time.Duration {
		sent, err := w.RunOnce(ctx, w.Now().In(w.Location))
		if err != nil && ctx.Err() == nil {
			w.logger.Error("label reminders", "err", err)
		} else if sent > 0 {
			w.logger.Info("label reminders queued", "emails", sent)
		}
		return w.Interval
	})
}

// RunOnce sends the reminders due on today's calendar day and returns how
// many emails it queued.
func (w *Worker) RunOnce(ctx context.Context, today time.Time) (sent int, err error) {
	t := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	pending, err := w.store.PendingLabelRappels(ctx, t, RappelHorizon)
	if err != nil {
		return 0, fmt.Errorf("label reminders: %w", err)
	}
	for _, r := range pending {
		kind := RappelDue(r.Fin, t)
		if kind == "" || slices.Contains(r.Envoyes, kind) {
			continue
		}
		n, err := w.store.RecordLabelRappel(ctx, nil, r, kind, func(d Destinataire) mail.Message { return w.message(r, kind, d) })
		if err != nil {
			return sent, fmt.Errorf("label reminder %s of label %d: %w", kind, r.LabelID, err)
		}
		sent += n
	}
	return sent, nil
}

// message is the French reminder email.
func (w *Worker) message(r Rappel, kind string, d Destinataire) mail.Message {
	months := "six"
	if kind == RappelM3 {
		months = "trois"
	}
	var b strings.Builder
	b.WriteString(hello(d))
	fmt.Fprintf(&b, "Le label de la Mission Locale « %s » expire le %s, dans moins de %s mois. ", r.StructureNom, domain.FrenchDate(r.Fin), months)
	b.WriteString("Pour le renouveler, la Mission Locale engage une nouvelle auto-évaluation lors de la prochaine campagne.\n\n")
	fmt.Fprintf(&b, "Le registre national des labels : %s/registre\n\n", w.baseURL)
	b.WriteString("Ce rappel est envoyé six mois puis trois mois avant l'expiration du label à la direction de la Mission Locale et au·à la référent·e de sa région.\n\n— Cadre")
	return mail.Message{To: d.Email, Subject: fmt.Sprintf("Rappel : le label de « %s » expire le %s", r.StructureNom, domain.FrenchDate(r.Fin)), Body: b.String()}
}
