package valkey_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
)

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := valkey.NewRateLimiter(testenv.Valkey(t))
	limit := core.AttemptLimit{Max: 3, Window: time.Minute}
	for i := range 3 {
		if err := r.Allow(ctx, "ip:127.0.0.1", limit); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	err := r.Allow(ctx, "ip:127.0.0.1", limit)
	var e *core.Error
	if core.Code(err) != core.ELIMITED || !asError(err, &e) || e.RetryAfter <= 0 || e.RetryAfter > time.Minute {
		t.Fatalf("fourth event: %v", err)
	}
	if err := r.Allow(ctx, "ip:127.0.0.2", limit); err != nil {
		t.Errorf("another key is limited too: %v", err)
	}
}

func TestPINAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := valkey.NewPINAttempts(testenv.Valkey(t), core.AttemptLimit{Max: 2, Window: time.Minute}, core.AttemptLimit{Max: 5, Window: time.Minute})
	const number = core.PhoneNumber("+33123456789")
	for range 2 {
		if err := a.Check(ctx, "+33600000001", number); err != nil {
			t.Fatal(err)
		}
		if err := a.Fail(ctx, "+33600000001", number); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Check(ctx, "+33600000001", number); core.Code(err) != core.ELIMITED {
		t.Fatalf("caller after 2 failures: %v", err)
	}
	// Three more callers fail once each: the number reaches 5 failures.
	for _, caller := range []string{"+33600000002", "+33600000003", ""} {
		if err := a.Fail(ctx, caller, number); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Check(ctx, "+33600000009", number); core.Code(err) != core.ELIMITED {
		t.Errorf("a fresh caller on a number with 5 failures: %v", err)
	}
	if err := a.Check(ctx, "+33600000009", "+33987654321"); err != nil {
		t.Errorf("another number: %v", err)
	}
}

func TestDeduplicator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := valkey.NewDeduplicator(testenv.Valkey(t))
	first, err := d.FirstSeen(ctx, "EV_1", time.Minute)
	if err != nil || !first {
		t.Fatalf("first = %v, %v", first, err)
	}
	again, err := d.FirstSeen(ctx, "EV_1", time.Minute)
	if err != nil || again {
		t.Errorf("redelivery = %v, %v", again, err)
	}
	if err := d.Forget(ctx, "EV_1"); err != nil {
		t.Fatal(err)
	}
	if first, err := d.FirstSeen(ctx, "EV_1", time.Minute); err != nil || !first {
		t.Errorf("after Forget = %v, %v, want new", first, err)
	}
}

func TestPresence(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := valkey.NewPresence(testenv.Valkey(t))
	check := func(want core.RoomState) {
		t.Helper()
		got, err := p.RoomPresence(ctx, "room-1")
		if err != nil || got != want {
			t.Errorf("RoomPresence = %+v %v, want %+v", got, err, want)
		}
	}
	check(core.RoomState{})
	p.RoomStarted(ctx, "room-1")
	check(core.RoomState{Live: true})
	p.ParticipantJoined(ctx, "room-1", "alice")
	p.ParticipantJoined(ctx, "room-1", "bob")
	p.ParticipantJoined(ctx, "room-1", "bob") // redelivered
	check(core.RoomState{Live: true, Web: 2})
	p.ParticipantLeft(ctx, "room-1", "alice")
	check(core.RoomState{Live: true, Web: 1})
	p.Reconcile(ctx, "room-1", []string{"carol", "dave", "erin"})
	check(core.RoomState{Live: true, Web: 3})
	p.Reconcile(ctx, "room-1", []string{})
	check(core.RoomState{Live: true})
	p.RoomFinished(ctx, "room-1")
	check(core.RoomState{Ends: 1})
	p.ParticipantJoined(ctx, "room-1", "late") // a join proves the room live
	check(core.RoomState{Live: true, Web: 1, Ends: 1})
	p.Reconcile(ctx, "room-1", nil) // LiveKit no longer has it: a lost room_finished
	check(core.RoomState{Ends: 2})
}
