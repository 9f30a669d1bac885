package api

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/oidc"
)

// counting counts the calls that reach the real verifier behind the cache.
type counting struct {
	TokenVerifier
	calls int
}

func (c *counting) Verify(ctx context.Context, token string) (core.Claims, error) {
	c.calls++
	return c.TokenVerifier.Verify(ctx, token)
}

func TestCachedVerifier(t *testing.T) {
	ctx := context.Background()
	key, err := oidc.LoadOrCreateKey(filepath.Join(t.TempDir(), "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	issuer := oidc.NewDevIssuer("http://issuer.test", "meetline", key)
	real, err := oidc.NewVerifier(ctx, "http://issuer.test", "meetline", oidc.WithKeySet(issuer.KeySet()))
	if err != nil {
		t.Fatal(err)
	}
	next := &counting{TokenVerifier: real}
	v := newCachedVerifier(next)
	now := time.Now()
	v.now = func() time.Time { return now }
	short, _ := issuer.Sign(oidc.DevClaims{Sub: "alice"}, 30*time.Second)
	long, _ := issuer.Sign(oidc.DevClaims{Sub: "bob"}, time.Hour)

	for range 3 {
		if c, err := v.Verify(ctx, short); err != nil || c.Sub != "alice" {
			t.Fatalf("Verify = %v, %v", c, err)
		}
	}
	if next.calls != 1 {
		t.Errorf("verified %d times, want once", next.calls)
	}
	for range 2 {
		if _, err := v.Verify(ctx, short+"x"); core.Code(err) != core.EUNAUTHORIZED {
			t.Fatalf("tampered token: %v", err)
		}
	}
	if next.calls != 3 {
		t.Errorf("failures must not be cached: %d calls", next.calls)
	}
	now = now.Add(31 * time.Second) // past the token's expiry, within the cache's minute
	v.Verify(ctx, short)
	if next.calls != 4 {
		t.Errorf("an expired token was served from the cache")
	}
	v.Verify(ctx, long)
	now = now.Add(tokenCacheTTL + time.Second)
	v.Verify(ctx, long)
	if next.calls != 6 {
		t.Errorf("entries must not outlive the cache's TTL: %d calls", next.calls)
	}
}
