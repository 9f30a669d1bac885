package postgres_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

// TestPINCollisions forces every draw to "0000000000": a trunk whose PIN is
// taken is tried the bounded number of times, then the next one, then the
// room is created without a PIN; the counters count each step.
func TestPINCollisions(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner := newUser(t, db, "owner")
	a := newTrunk(t, db, "a", 10, true)
	b := newTrunk(t, db, "b", 10, true)
	reg := prometheus.NewRegistry()
	s := postgres.NewRoomService(db, postgres.WithRandom(repeat(0)), postgres.WithMetrics(reg), postgres.WithLogger(testenv.Logger(t)))
	ctx := t.Context()

	first := newRoom(t, s, "first", owner.ID) // a: both empty, tie broken by name
	// b gets a room with another PIN, so that a and b both hold one.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO rooms (name, slug, trunk_id, pin) VALUES ('other', 'other', $1, '1111111111')`, b.ID); err != nil {
		t.Fatal(err)
	}
	second := newRoom(t, s, "second", owner.ID) // a first (tie): 5 collisions, then b
	third := newRoom(t, s, "third", owner.ID)   // a (1 room) then b (2 rooms): 10 collisions, no PIN

	for _, tc := range []struct {
		room       *core.Room
		trunk, pin string
	}{{first, a.ID, "0000000000"}, {second, b.ID, "0000000000"}, {third, "", ""}} {
		if tc.room.TrunkID != tc.trunk || tc.room.PIN != tc.pin {
			t.Errorf("room %s: trunk %q PIN %q, want %q %q", tc.room.Name, tc.room.TrunkID, tc.room.PIN, tc.trunk, tc.pin)
		}
	}
	if got := counters(t, reg, "meetline_pin_collisions_total"); got["a"] != 10 || got["b"] != 5 {
		t.Errorf("collisions = %v, want a:10 b:5", got)
	}
	if got := counters(t, reg, "meetline_pin_assignment_failures_total"); got[""] != 1 {
		t.Errorf("failures = %v, want 1", got)
	}

	// Two services may share a registry; the counters are shared too.
	s2 := postgres.NewRoomService(db, postgres.WithRandom(repeat(0)), postgres.WithMetrics(reg), postgres.WithPINRetries(2))
	newRoom(t, s2, "fourth", owner.ID)
	if got := counters(t, reg, "meetline_pin_collisions_total"); got["a"] != 12 || got["b"] != 7 {
		t.Errorf("collisions = %v, want a:12 b:7", got)
	}
}

// freeTail draws PINs among the last free ones of a nearly full 4-digit
// namespace, so that concurrent creators fight over the same few.
type freeTail struct{ from, n uint64 }

func (f freeTail) Read(p []byte) (int, error) {
	binary.LittleEndian.PutUint64(p, f.from+rand.Uint64N(f.n))
	return 8, nil
}

func TestCreateRoomRace(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner := newUser(t, db, "owner")
	trunk := newTrunk(t, db, "tiny", 4, true, "+33123456789")
	ctx := t.Context()
	// 9,990 of the 10,000 PINs are taken; 9990 to 9999 are free.
	_, err := db.Pool.Exec(ctx, `INSERT INTO rooms (name, slug, trunk_id, pin)
		SELECT 'seed ' || i, 'seed-' || i, $1, lpad(i::text, 4, '0') FROM generate_series(0, 9989) i`, trunk.ID)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s := postgres.NewRoomService(db, postgres.WithRandom(freeTail{9990, 10}), postgres.WithMetrics(reg))

	const n = 32
	rooms := make([]*core.Room, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rooms[i] = &core.Room{Name: fmt.Sprint("racer ", i), AccessLevel: core.AccessPublic}
			errs[i] = s.CreateRoom(ctx, rooms[i], owner.ID)
		})
	}
	wg.Wait()
	withPIN := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("CreateRoom %d: %v", i, err)
		}
		switch r := rooms[i]; {
		case r.PIN != "" && r.TrunkID == trunk.ID:
			withPIN++
		case r.PIN != "" || r.TrunkID != "":
			t.Errorf("room %d: trunk %q PIN %q", i, r.TrunkID, r.PIN)
		}
	}
	var duplicates, count, stored int64
	err = db.Pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM (SELECT pin FROM rooms WHERE trunk_id = $1 GROUP BY pin HAVING count(*) > 1) d),
			(SELECT count(*) FROM rooms WHERE trunk_id = $1),
			(SELECT sum(rooms) FROM trunk_room_counts WHERE trunk_id = $1)`, trunk.ID).Scan(&duplicates, &count, &stored)
	if err != nil {
		t.Fatal(err)
	}
	if duplicates != 0 || count != 9990+int64(withPIN) || stored != count || withPIN == 0 || withPIN > 10 {
		t.Fatalf("%d duplicate PINs, %d rooms with a PIN (%d new), room_count %d", duplicates, count, withPIN, stored)
	}
	failures := counters(t, reg, "meetline_pin_assignment_failures_total")[""]
	if int(failures) != n-withPIN {
		t.Errorf("%v failures counted, %d rooms without a PIN", failures, n-withPIN)
	}
	t.Logf("%d of %d racers got one of the 10 free PINs; %v collisions", withPIN, n, counters(t, reg, "meetline_pin_collisions_total"))
}

func TestFindRoomByPIN(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner := newUser(t, db, "owner")
	paris := newTrunk(t, db, "paris", 6, true, "+33123456789", "+33987654321")
	newTrunk(t, db, "zurich", 6, true, "+41441234567")
	off := newTrunk(t, db, "off", 6, false, "+31201234567")
	s := postgres.NewRoomService(db)
	ctx := t.Context()
	r := newRoom(t, s, "Phone me", owner.ID) // paris: least-loaded, first by name
	if r.TrunkID != paris.ID || len(r.PIN) != 6 {
		t.Fatalf("room = %+v", r)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO rooms (name, slug, trunk_id, pin) VALUES ('dark', 'dark', $1, '123456')`, off.ID); err != nil {
		t.Fatal(err)
	}

	for _, called := range []core.PhoneNumber{"+33123456789", "+33987654321"} {
		got, trunk, err := s.FindRoomByPIN(ctx, called, r.PIN)
		if err != nil || got.ID != r.ID || got.Name != r.Name || got.Slug != r.Slug || got.PIN != r.PIN ||
			got.AccessLevel != r.AccessLevel || string(got.Configuration) != "{}" || got.TrunkID != paris.ID ||
			!got.CreatedAt.Equal(r.CreatedAt) || !got.UpdatedAt.Equal(r.UpdatedAt) ||
			trunk.ID != paris.ID || trunk.Name != "paris" || trunk.Language != "en-us" || trunk.PINLength != 6 ||
			!trunk.Enabled || !trunk.CreatedAt.Equal(paris.CreatedAt) || !trunk.UpdatedAt.Equal(paris.UpdatedAt) {
			t.Fatalf("FindRoomByPIN(%s) = %+v, %+v, %v", called, got, trunk, err)
		}
	}
	for _, tc := range []struct {
		name   string
		called core.PhoneNumber
		pin    string
	}{
		{"another trunk's number", "+41441234567", r.PIN},
		{"disabled trunk", "+31201234567", "123456"},
		{"unknown number", "+4915112345678", r.PIN},
		{"wrong PIN", "+33123456789", "000000"},
		{"not a PIN", "+33123456789", "12ab"},
		{"no number", "", r.PIN},
	} {
		_, _, err := s.FindRoomByPIN(ctx, tc.called, tc.pin)
		if core.Code(err) != core.ENOTFOUND {
			t.Errorf("%s: %v, want ENOTFOUND", tc.name, err)
		}
	}
}

func TestRegeneratePIN(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner := newUser(t, db, "owner")
	paris := newTrunk(t, db, "paris", 10, true, "+33123456789")
	s := postgres.NewRoomService(db)
	ts := postgres.NewTrunkService(db)
	ctx := t.Context()
	r := newRoom(t, s, "Leaky", owner.ID)

	got, err := s.RegeneratePIN(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PIN == r.PIN || len(got.PIN) != 10 || got.TrunkID != paris.ID {
		t.Fatalf("regenerated %+v from PIN %s", got, r.PIN)
	}
	if _, _, err := s.FindRoomByPIN(ctx, "+33123456789", r.PIN); core.Code(err) != core.ENOTFOUND {
		t.Errorf("old PIN still resolves: %v", err)
	}
	if found, _, err := s.FindRoomByPIN(ctx, "+33123456789", got.PIN); err != nil || found.ID != r.ID {
		t.Errorf("new PIN: %+v, %v", found, err)
	}

	// A room without a PIN gets one when a trunk appears; the counts follow.
	s0 := postgres.NewRoomService(db)
	off := false
	if _, err := ts.UpdateTrunk(ctx, paris.ID, core.TrunkUpdate{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	bare := newRoom(t, s0, "Bare", owner.ID)
	if bare.PIN != "" {
		t.Fatalf("room created with PIN %q while no trunk is enabled", bare.PIN)
	}
	lyon := newTrunk(t, db, "lyon", 8, true, "+33412345678")
	got, err = s.RegeneratePIN(ctx, bare.Slug)
	if err != nil || got.TrunkID != lyon.ID || len(got.PIN) != 8 {
		t.Fatalf("regenerated bare room = %+v, %v", got, err)
	}
	// The room in the disabled trunk moves to an enabled one.
	got, err = s.RegeneratePIN(ctx, r.ID)
	if err != nil || got.TrunkID != lyon.ID {
		t.Fatalf("regenerated room of a disabled trunk = %+v, %v", got, err)
	}
	for id, want := range map[string]int64{paris.ID: 0, lyon.ID: 2} {
		if tr, err := ts.FindTrunkByID(ctx, id); err != nil || tr.RoomCount != want {
			t.Errorf("trunk %s: %+v, %v; want %d rooms", id, tr, err, want)
		}
	}
	_, err = s.RegeneratePIN(ctx, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, core.ENOTFOUND)
}
