package api

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/meetline/meetline/core"
)

// Bounds of the verified-token cache: a client reuses its token for every
// call, and checking its ECDSA signature again costs ~0.1 ms of CPU each time.
const (
	tokenCacheSize = 10000
	tokenCacheTTL  = time.Minute
)

// cachedVerifier remembers the claims of tokens it verified, keyed by the
// token's hash, until the token expires or a minute passes. A token never
// changes, so neither do its claims: caching them is exact.
type cachedVerifier struct {
	next TokenVerifier
	now  func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedClaims
}

type cachedClaims struct {
	claims core.Claims
	until  time.Time
}

func newCachedVerifier(next TokenVerifier) *cachedVerifier {
	return &cachedVerifier{next: next, now: time.Now, entries: make(map[[sha256.Size]byte]cachedClaims)}
}

func (v *cachedVerifier) Verify(ctx context.Context, token string) (core.Claims, error) {
	key := sha256.Sum256([]byte(token))
	now := v.now()
	v.mu.Lock()
	e, ok := v.entries[key]
	v.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.claims, nil
	}
	claims, err := v.next.Verify(ctx, token)
	if err != nil {
		return claims, err
	}
	until := now.Add(tokenCacheTTL)
	if !claims.Expiry.IsZero() && claims.Expiry.Before(until) {
		until = claims.Expiry
	}
	v.mu.Lock()
	if len(v.entries) >= tokenCacheSize {
		clear(v.entries) // rare, and cheaper than tracking recency on every hit
	}
	v.entries[key] = cachedClaims{claims, until}
	v.mu.Unlock()
	return claims, nil
}
