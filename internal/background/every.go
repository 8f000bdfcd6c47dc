// Package background runs the periodic work of a server (mail delivery, closing
// reminders, cleanup) with one loop. Several servers may run the same work side
// by side: each piece of work is safe to repeat.
package background

import (
	"context"
	"time"
)

// Every runs fn at once, then again after the pause fn returns, until ctx ends.
// A pause of 0 runs fn again at once (more work is waiting).
func Every(ctx context.Context, fn func(context.Context) time.Duration) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		timer.Reset(fn(ctx))
	}
}
