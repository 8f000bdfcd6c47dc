// Package mail sends Cadre's email through the outbox: messages are written to
// PostgreSQL in the same transaction as the change they announce, then delivered.
package mail

// Message is one plain-text email.
type Message struct {
	To      string
	Subject string
	Body    string
}
