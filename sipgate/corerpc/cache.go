package corerpc

import (
	"sync"
	"time"

	"github.com/meetline/meetline/sipgate"
)

// LookupNumber answers are cached this long, per number, NotFound included: a burst of calls to one
// number (or a scanner dialling unknown ones) costs the core one RPC per number per TTL.
const (
	lookupCacheTTL  = 30 * time.Second
	lookupCacheSize = 10_000
)

// lookupCache is a bounded TTL cache of LookupNumber answers. When full, expired entries are dropped;
// if none is, the whole cache is: simpler than LRU and harmless for a 30 s cache.
type lookupCache struct {
	ttl  time.Duration
	size int

	mu      sync.Mutex
	entries map[string]lookupEntry
}

type lookupEntry struct {
	trunk   sipgate.Trunk
	err     error
	expires time.Time
}

func newLookupCache(ttl time.Duration, size int) *lookupCache {
	return &lookupCache{ttl: ttl, size: size, entries: make(map[string]lookupEntry)}
}

func (c *lookupCache) get(number string, now time.Time) (sipgate.Trunk, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[number]
	if !ok || now.After(e.expires) {
		return sipgate.Trunk{}, nil, false
	}
	return e.trunk, e.err, true
}

func (c *lookupCache) put(number string, t sipgate.Trunk, err error, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.size {
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.size {
			clear(c.entries)
		}
	}
	c.entries[number] = lookupEntry{trunk: t, err: err, expires: now.Add(c.ttl)}
}
