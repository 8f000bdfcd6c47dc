package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/mail"
)

// outboxColumns are read into mail.Queued by name.
const outboxColumns = `id, recipient AS "to", subject, body, created_at, attempts, next_attempt_at, sent_at, last_error`

// EnqueueMail writes m to the outbox within tx, for the store methods whose
// change an email announces: the message exists if and only if the change is
// committed. A message without recipient or subject is refused with EINVALID.
func EnqueueMail(ctx context.Context, tx pgx.Tx, m mail.Message) error {
	return insertMail(ctx, tx, m)
}

// EnqueueMail writes m to the outbox on its own, as actor. EINVALID as the
// function above.
func (s *Store) EnqueueMail(ctx context.Context, actor *domain.Actor, m mail.Message) error {
	return s.inTx(ctx, actor, "EnqueueMail", func(tx *jtx) error {
		// The body is not journalled: it may carry a sign-in link.
		tx.journal(journal.Entry{Action: journal.ActMailQueued, ObjectType: "mail", ObjectID: m.To, Label: m.To,
			After: journal.JSON(map[string]string{"to": m.To, "subject": m.Subject})})
		return insertMail(ctx, tx, m)
	})
}

func insertMail(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, m mail.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if _, err := db.Exec(ctx, "INSERT INTO outbox (recipient, subject, body) VALUES ($1, $2, $3)", m.To, m.Subject, m.Body); err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	return nil
}

// ClaimDueMail returns up to limit unsent messages whose time has come, oldest
// first, and in the same statement pushes their next attempt forward by lease:
// until then no other caller gets them, and if the caller dies they come back by
// themselves. Rows another transaction is claiming are skipped, not waited for.
func (s *Store) ClaimDueMail(ctx context.Context, limit int, lease time.Duration) (_ []mail.Queued, err error) {
	defer wrap(&err, "ClaimDueMail")
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("claim due mail: limit %d and lease %s must be positive", limit, lease)
	}
	rows, _ := s.pool.Query(ctx, `
		WITH due AS (
			SELECT id FROM outbox
			WHERE sent_at IS NULL AND next_attempt_at <= now()
			ORDER BY next_attempt_at, id
			LIMIT $1
			FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE outbox o SET next_attempt_at = now() + $2 * interval '1 microsecond'
			FROM due WHERE o.id = due.id
			RETURNING o.*
		)
		SELECT `+outboxColumns+` FROM claimed ORDER BY created_at, id`,
		limit, lease.Microseconds())
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[mail.Queued])
	if err != nil {
		return nil, err
	}
	return list, nil
}

// MarkMailSent records that message id was delivered; it is never claimed again.
// ENOTFOUND if there is no such message.
func (s *Store) MarkMailSent(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "MarkMailSent(%d)", id)
	tag, err := s.pool.Exec(ctx, "UPDATE outbox SET sent_at = coalesce(sent_at, now()) WHERE id = $1", id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return domain.Errorf(domain.ENOTFOUND, "Message introuvable.")
	}
	return nil
}

// MarkMailFailed records a failed delivery of message id: its count of failed
// attempts, when to try again and why it failed. ENOTFOUND if there is no such
// unsent message (one sent meanwhile stays sent).
func (s *Store) MarkMailFailed(ctx context.Context, id int64, attempts int, next time.Time, errText string) (err error) {
	defer wrap(&err, "MarkMailFailed(%d)", id)
	tag, err := s.pool.Exec(ctx, `
		UPDATE outbox SET attempts = $2, next_attempt_at = $3, last_error = $4
		WHERE id = $1 AND sent_at IS NULL`, id, attempts, next, errText)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return domain.Errorf(domain.ENOTFOUND, "Message introuvable.")
	}
	return nil
}

// ListOutbox returns the limit most recent messages, sent or not, newest first.
func (s *Store) ListOutbox(ctx context.Context, limit int) (_ []mail.Queued, err error) {
	defer wrap(&err, "ListOutbox")
	if limit <= 0 {
		return nil, fmt.Errorf("list outbox: limit %d must be positive", limit)
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+outboxColumns+` FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[mail.Queued])
	if err != nil {
		return nil, err
	}
	return list, nil
}

// OutboxMessage returns one message of the outbox; ENOTFOUND if there is none.
func (s *Store) OutboxMessage(ctx context.Context, id int64) (_ mail.Queued, err error) {
	defer wrap(&err, "OutboxMessage(%d)", id)
	rows, _ := s.pool.Query(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id)
	q, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[mail.Queued])
	if errors.Is(err, pgx.ErrNoRows) {
		return mail.Queued{}, domain.Errorf(domain.ENOTFOUND, "Message introuvable.")
	} else if err != nil {
		return mail.Queued{}, err
	}
	return q, nil
}

// LatestMailTo returns the newest message queued for an address; ENOTFOUND when
// there is none.
func (s *Store) LatestMailTo(ctx context.Context, to string) (_ mail.Queued, err error) {
	defer wrap(&err, "LatestMailTo")
	rows, _ := s.pool.Query(ctx, "SELECT "+outboxColumns+" FROM outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1", to)
	q, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[mail.Queued])
	if errors.Is(err, pgx.ErrNoRows) {
		return q, domain.Errorf(domain.ENOTFOUND, "Aucun message pour %s.", to)
	} else if err != nil {
		return q, err
	}
	return q, nil
}
