package valkey_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
)

func TestOpenPingAndPrefix(t *testing.T) {
	t.Parallel()
	c := testenv.Valkey(t)
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	key := c.Key("answer")
	if !strings.HasPrefix(key, c.Prefix) || !strings.HasSuffix(key, "answer") {
		t.Errorf("Key = %q, prefix %q", key, c.Prefix)
	}
	if err := c.Do(ctx, c.B().Set().Key(key).Value("42").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	// DoCache works whether client-side caching is on (Valkey) or off (Redis fallback).
	got, err := c.DoCache(ctx, c.B().Get().Key(key).Cache(), 60e9).ToString()
	if err != nil || got != "42" {
		t.Errorf("GET = %q, %v", got, err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	_, err := valkey.Open(context.Background(), "127.0.0.1:1", "x:")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("Open(unreachable) = %v, want an error naming the address", err)
	}
}

func asError(err error, target **core.Error) bool { return errors.As(err, target) }
