// Package mail sends Cadre's email through the outbox: messages are written to
// PostgreSQL in the same transaction as the change they announce, then delivered.
package mail

import (
	"context"
	"fmt"
	"io"
	netmail "net/mail"
	"strings"
	"sync"
	"time"

	"github.com/unml/cadre/internal/domain"
)

// Message is one plain-text email.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Validate refuses, with EINVALID, a message that could never be sent: no
// recipient, a recipient that is not one address, or no subject.
func (m Message) Validate() error {
	if strings.TrimSpace(m.To) == "" {
		return domain.Errorf(domain.EINVALID, "Le message n'a pas de destinataire.")
	}
	if a, err := netmail.ParseAddress(m.To); err != nil || a.Address != m.To {
		// A display name or a list would be kept as text and refused by the
		// SMTP server at every attempt: only a bare address is accepted.
		return domain.Errorf(domain.EINVALID, "L'adresse du destinataire n'est pas valide : %s.", m.To)
	}
	if strings.TrimSpace(m.Subject) == "" {
		return domain.Errorf(domain.EINVALID, "Le message n'a pas d'objet.")
	}
	return nil
}

// Queued is a message in the outbox, with its delivery bookkeeping.
type Queued struct {
	ID int64
	Message
	CreatedAt time.Time
	// Attempts counts the failed deliveries.
	Attempts int
	// NextAttemptAt is when the message is due: the next retry, or the end of the
	// lease of the worker sending it.
	NextAttemptAt time.Time
	SentAt        *time.Time
	// LastError is the error of the last failed delivery.
	LastError string
}

// Status returns the French label of the message's delivery state.
func (q Queued) Status() string {
	switch {
	case q.SentAt != nil:
		return "envoyé"
	case q.Attempts == 0:
		return "en attente"
	default:
		return "nouvel essai prévu"
	}
}

// Sender delivers one message. An error means the message was not accepted and
// may be retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ConsoleSender "delivers" email by printing it, for development without an SMTP
// server: the person running Cadre reads invitation and reset links on the
// server's console, where nobody else does.
type ConsoleSender struct {
	W io.Writer
	// mu keeps two messages from interleaving.
	mu sync.Mutex
}

// Send implements Sender.
func (c *ConsoleSender) Send(_ context.Context, m Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := fmt.Fprintf(c.W, "\n── Courriel pour %s : %s\n%s\n──\n", m.To, m.Subject, m.Body)
	return err
}
