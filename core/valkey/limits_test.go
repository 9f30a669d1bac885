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
	a := valkey.NewPINAttempts(testenv.Valkey(t), core.PINPolicy{
		Source: core.AttemptLimit{Max: 3, Window: time.Minute}, Number: core.AttemptLimit{Max: 6, Window: time.Minute},
		Attack: 2, TarpitStep: 50 * time.Millisecond, TarpitMax: 150 * time.Millisecond,
	})
	const number = core.PhoneNumber("+33123456789")
	trusted := core.PINSource{CallerID: "+33600000001", Trusted: true, CallID: "a@x"}
	check := func(src core.PINSource) (time.Duration, error) { return a.Check(ctx, src, number) }
	fail := func(src core.PINSource) time.Duration {
		t.Helper()
		d, err := a.Fail(ctx, src, number)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// The first failure of the number is no attack; from the second, each
	// failure costs its source a tarpit that doubles, up to the maximum.
	if d := fail(trusted); d != 0 {
		t.Fatalf("tarpit %v before the number is under attack", d)
	}
	for _, want := range []time.Duration{100, 150} {
		if d := fail(trusted); d != want*time.Millisecond {
			t.Fatalf("tarpit %v, want %vms", d, want)
		}
	}
	var e *core.Error
	if _, err := check(trusted); core.Code(err) != core.ELIMITED || !asError(err, &e) || e.RetryAfter <= 0 || e.RetryAfter > time.Minute {
		t.Fatalf("source after 3 failures: %v", err)
	}
	tarpitted := core.PINSource{CallID: "b@x"}
	fail(tarpitted)
	if _, err := check(tarpitted); core.Code(err) != core.ELIMITED {
		t.Fatalf("source in its tarpit: %v", err)
	}
	time.Sleep(60 * time.Millisecond)
	if w, err := check(tarpitted); w != 0 || err != nil {
		t.Fatalf("source after its tarpit: %v, %v", w, err)
	}

	// Two more failures spend the number's budget (6): attempts are paced to
	// one per 10 s, and never refused to a source without failures.
	fail(core.PINSource{CallID: "c@x"})
	fail(core.PINSource{CallerID: "+33600000009", CallID: "d@x"})
	if w, err := check(core.PINSource{CallID: "e@x"}); w != 0 || err != nil {
		t.Fatalf("first attempt past the budget: %v, %v; want looked at", w, err)
	}
	w, err := check(core.PINSource{CallerID: "+33600000002", CallID: "f@x"}) // a forged caller id is no exception
	if err != nil || w <= 0 || w > 10*time.Second {
		t.Fatalf("second attempt past the budget: %v, %v; want paced within 10 s", w, err)
	}
	if w, err := check(core.PINSource{CallerID: "+33600000003", Trusted: true, CallID: "g@x"}); w != 0 || err != nil {
		t.Errorf("trusted caller without failures: %v, %v; want looked at", w, err)
	}
	if w, err := check(core.PINSource{CallerID: "+33600000009", Trusted: true, CallID: "h@x"}); w != 0 || err != nil {
		t.Errorf("trusted caller whose forged id failed before: %v, %v; want looked at", w, err)
	}
	if w, err := a.Check(ctx, core.PINSource{CallID: "i@x"}, "+33987654321"); w != 0 || err != nil {
		t.Errorf("another number: %v, %v", w, err)
	}
}

// TestPINAttemptsKeys checks the names a failure writes, which operators
// look up (docs/operations.md): the number's counter and the source's, under
// the client's prefix, the source hashed.
func TestPINAttemptsKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testenv.Valkey(t)
	a := valkey.NewPINAttempts(c, core.PINPolicy{
		Source: core.AttemptLimit{Max: 3, Window: time.Minute}, Number: core.AttemptLimit{Max: 6, Window: time.Minute},
		Attack: 1, TarpitStep: time.Minute, TarpitMax: time.Minute,
	})
	for _, src := range []core.PINSource{{CallID: "a@x"}, {}} {
		if _, err := a.Fail(ctx, src, "+33123456789"); err != nil {
			t.Fatal(err)
		}
		n := c.Prefix + "pin:{+33123456789}:"
		s := n + "src:" + src.Key()
		for key, want := range map[string]string{n + "fails": "", s + ":fails": "1", s + ":tarpit": "1"} {
			got, err := c.Do(ctx, c.B().Get().Key(key).Build()).ToString()
			if err != nil || (want != "" && got != want) {
				t.Errorf("source %q: %s = %q, %v; want %q", src.Key(), key, got, err, want)
			}
		}
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
