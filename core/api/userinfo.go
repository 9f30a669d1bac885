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
// names only matter until the user has them. Calls that arrive together with
// a new token (the console's first page makes several) wait for the one
// question in flight rather than each asking.
type userInfoCache struct {
	next UserInfoSource
	log  *slog.Logger
	now  func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*userInfoAnswer
}

// userInfoAnswer is the provider's answer about one token, once done is closed.
type userInfoAnswer struct {
	done   chan struct{}
	claims core.Claims
	until  time.Time
}

func newUserInfoCache(next UserInfoSource, log *slog.Logger) *userInfoCache {
	return &userInfoCache{next: next, log: log, now: time.Now, entries: make(map[[sha256.Size]byte]*userInfoAnswer)}
}

// fill completes claims that name nobody with the provider's userinfo.
func (c *userInfoCache) fill(ctx context.Context, claims core.Claims, accessToken string) core.Claims {
	if c == nil || accessToken == "" || claims.FullName != "" || claims.ShortName != "" {
		return claims
	}
	a := c.answer(ctx, claims.Sub, accessToken)
	if a == nil {
		return claims // ctx ended while another call asked
	}
	claims.FullName, claims.ShortName = a.claims.FullName, a.claims.ShortName
	if claims.Language == "" {
		claims.Language = a.claims.Language
	}
	if claims.TimeZone == "" {
		claims.TimeZone = a.claims.TimeZone
	}
	return claims
}

// answer returns the cached answer about the token, asking the provider when
// there is none or it expired, or waiting for the question another call asks.
func (c *userInfoCache) answer(ctx context.Context, sub, accessToken string) *userInfoAnswer {
	key := sha256.Sum256([]byte(sub + "\x00" + accessToken))
	c.mu.Lock()
	a, ok := c.entries[key]
	if ok {
		select {
		case <-a.done:
			ok = c.now().Before(a.until)
		default: // in flight
		}
	}
	if ok {
		c.mu.Unlock()
		select {
		case <-a.done:
			return a
		case <-ctx.Done():
			return nil
		}
	}
	if len(c.entries) >= tokenCacheSize {
		clear(c.entries)
	}
	a = &userInfoAnswer{done: make(chan struct{})}
	c.entries[key] = a
	c.mu.Unlock()
	info, err := c.next.UserInfo(ctx, sub, accessToken)
	if err != nil && c.log != nil {
		c.log.WarnContext(ctx, "no names from the identity provider's userinfo", "error", err)
	}
	a.claims, a.until = info, c.now().Add(tokenCacheTTL)
	close(a.done)
	return a
}
