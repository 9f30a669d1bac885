package valkey_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
)

// TestRoomCallbacks: a reserved id reads as not found (and stays reserved)
// until its room is recorded; the room is then read once, and the id is never used again; ids expire.
func TestRoomCallbacks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cb := valkey.NewRoomCallbacks(testenv.Valkey(t))
	const id = "0123456789abcdefghijklmn"
	if err := cb.Reserve(ctx, id, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := cb.Take(ctx, id); core.Code(err) != core.ENOTFOUND {
		t.Fatalf("Take while reserved: %v, want ENOTFOUND", err)
	}
	if err := cb.Reserve(ctx, id, time.Minute); core.Code(err) != core.ECONFLICT {
		t.Fatalf("Reserve twice: %v, want ECONFLICT", err)
	}
	if err := cb.Fulfil(ctx, id, "room-1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if room, err := cb.Take(ctx, id); err != nil || room != "room-1" {
		t.Fatalf("Take = %q, %v", room, err)
	}
	if _, err := cb.Take(ctx, id); core.Code(err) != core.ENOTFOUND {
		t.Fatalf("Take twice: %v, want ENOTFOUND", err)
	}
	if err := cb.Reserve(ctx, id, time.Minute); core.Code(err) != core.ECONFLICT {
		t.Fatalf("Reserve once read: %v, want ECONFLICT", err)
	}
	const brief = "abcdefghijklmn0123456789"
	if err := cb.Reserve(ctx, brief, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := cb.Fulfil(ctx, brief, "room-2", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := cb.Take(ctx, brief); core.Code(err) != core.ENOTFOUND {
		t.Fatalf("Take after the TTL: %v, want ENOTFOUND", err)
	}
}
