package api

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"sync"
	"time"

	"github.com/meetline/meetline/core"
)

// UserInfoSource asks the identity provider about an access token's bearer
// (core/oidc.Verifier implements it).
type UserInfoSource interface {
	UserInfo(ctx context.Context, sub, accessToken string) (core.Claims, error)
}

// userInfoHeader carries the console's access token next to its identity
// token, for providers whose identity tokens name nobody.
const userInfoHeader = "X-Userinfo-Token"

// userInfoCache asks the provider once per access token (answer or failure)
// within tokenCacheTTL: the console sends the token with every call, and the
// names only matter until the user has them.
type userInfoCache struct {
	next UserInfoSource
	log  *slog.Logger
	now  func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedClaims
}

func newUserInfoCache(next UserInfoSource, log *slog.Logger) *userInfoCache {
	return &userInfoCache{next: next, log: log, now: time.Now, entries: make(map[[sha256.Size]byte]cachedClaims)}
}

// fill completes claims that name nobody with the provider's userinfo.
func (c *userInfoCache) fill(ctx context.Context, claims core.Claims, accessToken string) core.Claims {
	if c == nil || accessToken == "" || claims.FullName != "" || claims.ShortName != "" {
		return claims
	}
	key := sha256.Sum256([]byte(claims.Sub + "\x00" + accessToken))
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || !now.Before(e.until) {
		info, err := c.next.UserInfo(ctx, claims.Sub, accessToken)
		if err != nil && c.log != nil {
			c.log.WarnContext(ctx, "no names from the identity provider's userinfo", "error", err)
		}
		e = cachedClaims{info, now.Add(tokenCacheTTL)}
		c.mu.Lock()
		if len(c.entries) >= tokenCacheSize {
			clear(c.entries)
		}
		c.entries[key] = e
		c.mu.Unlock()
	}
	claims.FullName, claims.ShortName = e.claims.FullName, e.claims.ShortName
	if claims.Language == "" {
		claims.Language = e.claims.Language
	}
	if claims.TimeZone == "" {
		claims.TimeZone = e.claims.TimeZone
	}
	return claims
}
