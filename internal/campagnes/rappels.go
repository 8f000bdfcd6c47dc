package campagnes

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	// Campaign days are French days: the zone must be known even on a server
	// image without tzdata.
	_ "time/tzdata"

	"github.com/unml/cadre/internal/background"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
)

// The kinds of closing reminder, as stored in campagne_rappels.
const (
	RappelJ30 = "J-30"
	RappelJ7  = "J-7"
)

// RappelHorizon is how many days before the closing the first reminder is due.
const RappelHorizon = 30

// RappelDue returns the reminder due when joursRestants days remain before the
// closing: J-7 from 7 days to the closing day itself, J-30 from 30 days to 8,
// none otherwise. A reminder missed (servers down) is thus still sent while its
// window lasts, and when both are late only J-7 goes.
func RappelDue(joursRestants int) string {
	switch {
	case joursRestants < 0 || joursRestants > RappelHorizon:
		return ""
	case joursRestants <= 7:
		return RappelJ7
	}
	return RappelJ30
}

// Rappel is an ML of an open campaign whose auto-évaluation is still en cours and
// whose closing is near: a candidate for a reminder.
type Rappel struct {
	CampagneID       int64
	CampagneNom      string
	Cloture          time.Time
	StructureID      int64
	StructureNom     string
	AutoevaluationID int64
	// JoursRestants is the number of days from today to the closing day.
	JoursRestants int
	// Envoyes lists the kinds of reminder already sent to this ML for this campaign.
	Envoyes []string
}

// Directeur is a director of an ML, who receives its reminders.
type Directeur struct {
	Email, Nom string
}

// RappelStore is the part of the store the reminders use.
type RappelStore interface {
	// PendingRappels returns the MLs whose auto-évaluation is en cours in an open
	// campaign closing between today and today + within days, with the reminders
	// already sent.
	PendingRappels(ctx context.Context, today time.Time, within int) ([]Rappel, error)
	// RecordRappel records reminder kind for r's ML and campaign and, in the same
	// transaction, queues message(d) for each director d of the ML. When another
	// server recorded it first, it queues nothing and returns 0. It returns the
	// number of emails queued. actor is nil: the system sends reminders.
	RecordRappel(ctx context.Context, actor *domain.Actor, r Rappel, kind string, message func(Directeur) mail.Message) (int, error)
}

// Worker sends the closing reminders of open campaigns, by email through the
// outbox, to the directors of the MLs that have not submitted. Several workers
// (one per application server) can run side by side: the store's record of each
// reminder decides which one sends it.
type Worker struct {
	// Interval is the pause between two looks at the campaigns.
	Interval time.Duration
	// Now is the clock; the day it gives in Location is "today".
	Now func() time.Time
	// Location is the zone of campaign days.
	Location *time.Location

	store   RappelStore
	baseURL string
	logger  *slog.Logger
}

// NewWorker returns a worker that looks every hour for reminders due in Paris's
// today. Links in the emails start with baseURL.
func NewWorker(store RappelStore, baseURL *url.URL, logger *slog.Logger) *Worker {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		loc = time.Local
	}
	return &Worker{
		Interval: time.Hour,
		Now:      time.Now,
		Location: loc,
		store:    store,
		baseURL:  strings.TrimRight(baseURL.String(), "/"),
		logger:   logger,
	}
}

// Run sends due reminders at once, then every Interval until ctx is done. Errors
// are logged: a reminder not sent now is sent at the next round.
func (w *Worker) Run(ctx context.Context) {
	w.logger.Info("campaign reminders worker started", "interval", w.Interval)
	defer w.logger.Info("campaign reminders worker stopped")
	background.Every(ctx, func(ctx context.Context) time.Duration {
		sent, err := w.RunOnce(ctx, w.Now().In(w.Location))
		if err != nil && ctx.Err() == nil {
			w.logger.Error("campaign reminders", "err", err)
		} else if sent > 0 {
			w.logger.Info("campaign reminders queued", "emails", sent)
		}
		return w.Interval
	})
}

// RunOnce sends the reminders due on today's calendar day (taken in today's own
// location) and returns how many emails it queued.
func (w *Worker) RunOnce(ctx context.Context, today time.Time) (sent int, err error) {
	pending, err := w.store.PendingRappels(ctx, Day(today), RappelHorizon)
	if err != nil {
		return 0, fmt.Errorf("campaign reminders: %w", err)
	}
	for _, r := range pending {
		kind := RappelDue(r.JoursRestants)
		if kind == "" || slices.Contains(r.Envoyes, kind) {
			continue
		}
		n, err := w.store.RecordRappel(ctx, nil, r, kind, func(d Directeur) mail.Message { return w.message(r, d) })
		if err != nil {
			return sent, fmt.Errorf("campaign reminder %s of campaign %d to ML %d: %w", kind, r.CampagneID, r.StructureID, err)
		}
		sent += n
	}
	return sent, nil
}

// message is the French reminder email to one director.
func (w *Worker) message(r Rappel, d Directeur) mail.Message {
	var delai string
	switch r.JoursRestants {
	case 0:
		delai = "aujourd'hui"
	case 1:
		delai = "demain"
	default:
		delai = "dans " + strconv.Itoa(r.JoursRestants) + " jours"
	}
	greeting := "Bonjour,"
	if d.Nom != "" {
		greeting = "Bonjour " + d.Nom + ","
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", greeting)
	fmt.Fprintf(&b, "L'auto-évaluation de la Mission Locale « %s » pour la campagne « %s » n'a pas encore été soumise. ", r.StructureNom, r.CampagneNom)
	fmt.Fprintf(&b, "La campagne se clôt le %s (%s).\n\n", domain.FrenchDate(r.Cloture), delai)
	fmt.Fprintf(&b, "Pour compléter et soumettre l'auto-évaluation :\n%s/autoevaluations/%d\n\n", w.baseURL, r.AutoevaluationID)
	b.WriteString("Ce rappel est envoyé 30 jours puis 7 jours avant la clôture aux directions des Missions Locales dont l'auto-évaluation n'est pas encore soumise.\n\n— Cadre")
	return mail.Message{
		To:      d.Email,
		Subject: fmt.Sprintf("Rappel : la campagne « %s » se clôt le %s", r.CampagneNom, domain.FrenchDate(r.Cloture)),
		Body:    b.String(),
	}
}
