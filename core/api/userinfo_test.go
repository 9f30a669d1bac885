package api

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
)

// countingUserInfo answers after a pause, counting the questions.
type countingUserInfo struct{ calls atomic.Int32 }

func (u *countingUserInfo) UserInfo(ctx context.Context, sub, accessToken string) (core.Claims, error) {
	u.calls.Add(1)
	time.Sleep(20 * time.Millisecond)
	return core.Claims{Sub: sub, FullName: "Olga Provider"}, nil
}

// TestUserInfoAskedOnce: the console's first calls with a new token arrive together; the provider is
// asked once, and every call gets the names. A later token is asked about again.
func TestUserInfoAskedOnce(t *testing.T) {
	src := &countingUserInfo{}
	c := newUserInfoCache(src, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := c.fill(context.Background(), core.Claims{Sub: "olga"}, "token-1"); got.FullName != "Olga Provider" {
				t.Errorf("names %+v", got)
			}
		})
	}
	wg.Wait()
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("userinfo asked %d times for one token, want 1", n)
	}
	c.fill(context.Background(), core.Claims{Sub: "olga"}, "token-2")
	c.now = func() time.Time { return time.Now().Add(2 * tokenCacheTTL) }
	c.fill(context.Background(), core.Claims{Sub: "olga"}, "token-1")
	if n := src.calls.Load(); n != 3 {
		t.Errorf("userinfo asked %d times, want 3 (a new token, then an expired answer)", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := c.fill(ctx, core.Claims{Sub: "olga", FullName: "Given"}, "token-3"); got.FullName != "Given" || src.calls.Load() != 3 {
		t.Errorf("claims that name someone: %+v after %d questions", got, src.calls.Load())
	}
}
