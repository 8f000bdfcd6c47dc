package revue

import (
	"context"
	"sync"
	"time"
)

// NationalMaxAge is how old the national medians a région's review compares
// with may be. Every référent's heat map and pipeline needs them, they cost a
// pass over every ML's ratings of the campaign, and one more rating moves them
// by a hair: each server computes them at most once a minute per campaign.
const NationalMaxAge = time.Minute

// nationalCache keeps the national medians of each campaign (by section, as
// the heat map shows them), with when they were computed. Its size is the
// number of campaigns.
type nationalCache struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[int64]*nationalEntry
}

type nationalEntry struct {
	// mu is held while the medians are computed, so that the requests that
	// need them at that moment wait for one computation instead of each
	// running its own.
	mu   sync.Mutex
	at   time.Time
	list []Cell
}

func newNationalCache(now func() time.Time) *nationalCache {
	return &nationalCache{now: now, entries: map[int64]*nationalEntry{}}
}

// get returns campaign campagneID's medians computed less than
// NationalMaxAge ago, or computes them with compute. A failure is returned
// and not kept.
func (c *nationalCache) get(ctx context.Context, campagneID int64, compute func(context.Context) ([]Cell, error)) ([]Cell, error) {
	c.mu.Lock()
	e := c.entries[campagneID]
	if e == nil {
		e = &nationalEntry{}
		c.entries[campagneID] = e
	}
	c.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.list != nil && c.now().Sub(e.at) < NationalMaxAge {
		return e.list, nil
	}
	list, err := compute(ctx)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []Cell{}
	}
	e.list, e.at = list, c.now()
	return list, nil
}
