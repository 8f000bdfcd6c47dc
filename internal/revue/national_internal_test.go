package revue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// The national averages are computed once per campaign while they are
// younger than NationalMaxAge, by one request for all those waiting; a
// failure is not kept.
func TestNationalCache(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	c := newNationalCache(func() time.Time { return now })
	var mu sync.Mutex
	calls := map[int64]int{}
	compute := func(id int64) func(context.Context) ([]Cell, error) {
		return func(context.Context) ([]Cell, error) {
			mu.Lock()
			defer mu.Unlock()
			calls[id]++
			return []Cell{{N: int(id), Mean: float64(calls[id])}}, nil
		}
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.get(t.Context(), 1, compute(1)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if calls[1] != 1 {
		t.Fatalf("20 requests at once computed campaign 1 %d times, want 1", calls[1])
	}
	if l, _ := c.get(t.Context(), 2, compute(2)); calls[2] != 1 || l[0].N != 2 {
		t.Errorf("campaign 2: %v after %d computations", l, calls[2])
	}

	now = now.Add(NationalMaxAge - time.Second)
	if l, _ := c.get(t.Context(), 1, compute(1)); calls[1] != 1 || l[0].Mean != 1 {
		t.Errorf("before NationalMaxAge: %v after %d computations, want the first", l, calls[1])
	}
	now = now.Add(time.Second)
	if l, _ := c.get(t.Context(), 1, compute(1)); calls[1] != 2 || l[0].Mean != 2 {
		t.Errorf("at NationalMaxAge: %v after %d computations, want a second", l, calls[1])
	}

	boom := errors.New("boom")
	now = now.Add(NationalMaxAge)
	if _, err := c.get(t.Context(), 1, func(context.Context) ([]Cell, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("a failed computation: %v", err)
	}
	if l, _ := c.get(t.Context(), 1, compute(1)); calls[1] != 3 || l[0].Mean != 3 {
		t.Errorf("after a failure: %v after %d computations, want a new one", l, calls[1])
	}
}
