package postgres

import (
	"context"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
)

// SessionStore keeps the web sessions in the sessions table. It runs no cleanup
// of its own (pgxstore's goroutine races with its own stop): DeleteExpiredSessions
// does, from the server's maintenance loop.
func (s *Store) SessionStore() scs.Store {
	return pgxstore.NewWithCleanupInterval(s.pool, 0)
}

// DeleteExpiredSessions deletes the sessions past their expiry and returns how
// many went. Several servers may run it at once.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (_ int64, err error) {
	defer wrap(&err, "DeleteExpiredSessions")
	tag, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE expiry < now()")
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) (err error) {
	defer wrap(&err, "Ping")
	return s.pool.Ping(ctx)
}
