package server

import (
	"context"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/unml/cadre/internal/config"
)

// The idle timeout is Cadre's, not scs's: scs rewrote the session row on every
// request. A session records its use at most once a minute and ends after
// CADRE_SESSION_IDLE_TIMEOUT without one.
func TestIdleSessionsEndAndUseIsWrittenOnceAMinute(t *testing.T) {
	t.Parallel()
	cfg, _ := config.Load(func(string) string { return "" })
	s := &Server{cfg: cfg, sessions: scs.New()}
	reload := func(ctx context.Context) context.Context {
		token, _, err := s.sessions.Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ctx, err = s.sessions.Load(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		return ctx
	}
	ctx, err := s.sessions.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	s.sessions.Put(ctx, sessionUser, int64(7))
	now := time.Unix(1_800_000_000, 0)
	if s.idleExpired(ctx, now) || s.sessions.GetInt64(ctx, sessionSeen) != now.Unix() {
		t.Fatalf("a new session: expired, or its use not recorded (%d)", s.sessions.GetInt64(ctx, sessionSeen))
	}
	ctx = reload(ctx)
	if s.idleExpired(ctx, now.Add(59*time.Second)) || s.sessions.Status(ctx) != scs.Unmodified {
		t.Errorf("within a minute: expired or rewritten (status %v)", s.sessions.Status(ctx))
	}
	if s.idleExpired(ctx, now.Add(61*time.Second)) || s.sessions.Status(ctx) != scs.Modified {
		t.Errorf("after a minute the use must be recorded (status %v)", s.sessions.Status(ctx))
	}
	ctx = reload(ctx)
	if !s.idleExpired(ctx, now.Add(61*time.Second+cfg.SessionIdle+time.Second)) {
		t.Errorf("unused past the idle timeout (%s): still valid", cfg.SessionIdle)
	}
}
