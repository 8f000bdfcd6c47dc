package background

import (
	"context"
	"testing"
	"time"
)

func TestEveryRunsAtOnceThenAfterThePauseUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	runs := make(chan time.Time, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		n := 0
		Every(ctx, func(context.Context) time.Duration {
			runs <- time.Now()
			n++
			if n == 1 {
				return 0 // more work: again at once
			}
			return 50 * time.Millisecond
		})
	}()
	start := time.Now()
	first, second, third := <-runs, <-runs, <-runs
	if first.Sub(start) > 20*time.Millisecond || second.Sub(first) > 20*time.Millisecond {
		t.Errorf("the first two runs waited: %v, %v", first.Sub(start), second.Sub(first))
	}
	if third.Sub(second) < 50*time.Millisecond {
		t.Errorf("the third run came %v after the second, before its pause", third.Sub(second))
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Every did not return after cancellation")
	}
}
