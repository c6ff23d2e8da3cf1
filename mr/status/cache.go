package status

import (
	"sync"
	"time"
)

// DefaultMaxAge is how old a snapshot from Cached may be, at most, for
// the status server: a page reloads every pageRefresh, and any number of
// requests within it cost one snapshot.
const DefaultMaxAge = time.Second

// Cached returns a source that calls source at most once per maxAge and
// otherwise returns its last snapshot, so that however many requests come,
// the coordinator builds at most one snapshot per maxAge. Callers must not
// change the snapshots it returns: they share them.
func Cached(source func() Snapshot, maxAge time.Duration) func() Snapshot {
	c := &cache{source: source, maxAge: maxAge, now: time.Now}
	return c.get
}

// cache is Cached's state.
type cache struct {
	source func() Snapshot
	maxAge time.Duration
	now    func() time.Time

	// mu guards last and at (when it was taken), and makes concurrent
	// callers wait for one snapshot rather than each take one.
	mu   sync.Mutex
	last Snapshot
	at   time.Time
}

func (c *cache) get() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); c.at.IsZero() || now.Sub(c.at) >= c.maxAge {
		c.last, c.at = c.source(), now
	}
	return c.last
}
