package postgres_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

func TestCreateRoom(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner := newUser(t, db, "owner")
	trunk := newTrunk(t, db, "paris", 10, true, "+33123456789")
	s := postgres.NewRoomService(db, postgres.WithRandom(repeat(0)))
	ctx := t.Context()

	r := &core.Room{Name: "Réunion d'équipe", AccessLevel: core.AccessTrusted}
	if err := s.CreateRoom(ctx, r, owner.ID); err != nil {
		t.Fatal(err)
	}
	if r.ID == "" || !slugOf(r.Slug, "reunion-d-equipe") || r.TrunkID != trunk.ID || r.PIN != "0000000000" ||
		string(r.Configuration) != "{}" || r.CreatedAt.IsZero() {
		t.Fatalf("created %+v", r)
	}
	role, err := postgres.NewAccessService(db).FindRole(ctx, r.ID, owner.ID)
	if err != nil || role != core.RoleOwner {
		t.Fatalf("owner's role = %q, %v", role, err)
	}
	for _, key := range []string{r.ID, r.Slug} {
		got, err := s.FindRoom(ctx, key)
		if err != nil || got.ID != r.ID || got.PIN != r.PIN || got.TrunkID != trunk.ID || got.AccessLevel != core.AccessTrusted {
			t.Fatalf("FindRoom(%q) = %+v, %v", key, got, err)
		}
	}
	got, err := postgres.NewTrunkService(db).FindTrunkByID(ctx, trunk.ID)
	if err != nil || got.RoomCount != 1 {
		t.Fatalf("trunk after one room = %+v, %v", got, err)
	}

	// The same name again is another room, with another slug: a name says
	// nothing about which are taken.
	twin := &core.Room{Name: "réunion D'ÉQUIPE", AccessLevel: core.AccessPublic}
	if err := s.CreateRoom(ctx, twin, owner.ID); err != nil || twin.Slug == r.Slug || !slugOf(twin.Slug, "reunion-d-equipe") {
		t.Fatalf("same name twice: %+v, %v", twin, err)
	}
	err = s.CreateRoom(ctx, &core.Room{Name: "x", AccessLevel: core.AccessPublic}, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, core.ENOTFOUND)
	for _, tc := range []struct {
		room  core.Room
		field string
	}{
		{core.Room{Name: "", AccessLevel: core.AccessPublic}, "name"},
		{core.Room{Name: "!!!", AccessLevel: core.AccessPublic}, "name"},
		{core.Room{Name: "ok", AccessLevel: ""}, "access_level"},
		{core.Room{Name: "ok", AccessLevel: core.AccessPublic, Configuration: json.RawMessage(`[1]`)}, "configuration"},
		{core.Room{Name: "ok", AccessLevel: core.AccessPublic, Configuration: json.RawMessage(`{`)}, "configuration"},
	} {
		wantField(t, s.CreateRoom(ctx, &tc.room, owner.ID), tc.field)
	}
	_, err = s.FindRoom(ctx, "no-such-room")
	wantCode(t, err, core.ENOTFOUND)
	_, err = s.FindRoom(ctx, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, core.ENOTFOUND)
}

func TestCreateRoomWithoutTrunk(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner := newUser(t, db, "owner")
	newTrunk(t, db, "off", 10, false, "+33123456789")
	r := newRoom(t, postgres.NewRoomService(db), "No phone", owner.ID)
	if r.PIN != "" || r.TrunkID != "" || r.ID == "" {
		t.Fatalf("room with no enabled trunk = %+v", r)
	}
}

func TestRoomsSpreadOverTrunks(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner := newUser(t, db, "owner")
	for _, name := range []string{"a", "b", "c"} {
		newTrunk(t, db, name, 0, true)
	}
	s := postgres.NewRoomService(db)
	for i := range 7 {
		newRoom(t, s, fmt.Sprint("room ", i), owner.ID)
	}
	trunks, err := postgres.NewTrunkService(db).FindTrunks(t.Context(), core.TrunkFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// Least-loaded first, ties by name: a b c a b c a.
	for i, want := range []int64{3, 2, 2} {
		if trunks[i].RoomCount != want || trunks[i].PINLength != core.DefaultPINLength {
			t.Errorf("trunk %s: %d rooms, PIN length %d; want %d rooms", trunks[i].Name, trunks[i].RoomCount, trunks[i].PINLength, want)
		}
	}
}

func TestUpdateRoom(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner := newUser(t, db, "owner")
	s := postgres.NewRoomService(db)
	ctx := t.Context()
	r := newRoom(t, s, "Standup", owner.ID)
	newRoom(t, s, "Retro", owner.ID)

	name, level := "Daily Standup", core.AccessRestricted
	got, err := s.UpdateRoom(ctx, r.ID, core.RoomUpdate{Name: &name, AccessLevel: &level, Configuration: json.RawMessage(`{"mic": false}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !slugOf(got.Slug, "daily-standup") || got.AccessLevel != level || string(got.Configuration) != `{"mic": false}` || !got.UpdatedAt.After(r.UpdatedAt) {
		t.Fatalf("updated = %+v", got)
	}
	got, err = s.UpdateRoom(ctx, r.ID, core.RoomUpdate{})
	if err != nil || got.Name != name || string(got.Configuration) != `{"mic": false}` {
		t.Fatalf("empty update = %+v, %v", got, err)
	}
	// Renamed, it answers to every slug it had.
	for _, old := range []string{r.Slug, got.Slug} {
		if found, err := s.FindRoom(ctx, old); err != nil || found.ID != r.ID || found.Slug != got.Slug {
			t.Fatalf("FindRoom(%q) after the rename = %+v, %v", old, found, err)
		}
	}
	retro := "RETRO"
	if got, err = s.UpdateRoom(ctx, r.ID, core.RoomUpdate{Name: &retro}); err != nil || !slugOf(got.Slug, "retro") {
		t.Fatalf("renamed as another room: %+v, %v", got, err)
	}
	_, err = s.UpdateRoom(ctx, r.ID, core.RoomUpdate{Configuration: json.RawMessage(`"x"`)})
	wantField(t, err, "configuration")
	bad := core.AccessLevel("secret")
	_, err = s.UpdateRoom(ctx, r.ID, core.RoomUpdate{AccessLevel: &bad})
	wantField(t, err, "access_level")
	_, err = s.UpdateRoom(ctx, "00000000-0000-0000-0000-000000000000", core.RoomUpdate{Name: &name})
	wantCode(t, err, core.ENOTFOUND)
}

func TestDeleteRoom(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner := newUser(t, db, "owner")
	trunk := newTrunk(t, db, "paris", 10, true, "+33123456789")
	s := postgres.NewRoomService(db)
	ctx := t.Context()
	r := newRoom(t, s, "Gone soon", owner.ID)
	if err := s.DeleteRoom(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteRoom(ctx, r.ID), core.ENOTFOUND)
	wantCode(t, s.DeleteRoom(ctx, r.Slug), core.ENOTFOUND)
	for _, key := range []string{r.ID, r.Slug} {
		_, err := s.FindRoom(ctx, key)
		wantCode(t, err, core.ENOTFOUND)
	}
	if role, _ := postgres.NewAccessService(db).FindRole(ctx, r.ID, owner.ID); role != core.RoleNone {
		t.Errorf("access survived its room: %q", role)
	}
	got, err := postgres.NewTrunkService(db).FindTrunkByID(ctx, trunk.ID)
	if err != nil || got.RoomCount != 0 {
		t.Fatalf("trunk after delete = %+v, %v", got, err)
	}
	// Its slug stays taken: no room, of any writer, gets it again.
	other := newRoom(t, s, "Other", owner.ID)
	_, err = db.Pool.Exec(ctx, `UPDATE rooms SET slug = $1 WHERE id = $2`, r.Slug, other.ID)
	if err == nil {
		t.Fatal("a deleted room's slug was given again")
	}
	if n := countRows(t, db, `SELECT count(*) FROM room_slugs WHERE slug = $1`, r.Slug); n != 1 {
		t.Fatalf("the deleted room's slug is kept %d times", n)
	}
}

func TestFindRoomsByUser(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	alice, bob := newUser(t, db, "alice"), newUser(t, db, "bob")
	s := postgres.NewRoomService(db)
	ctx := t.Context()
	var want []string
	for i := range 25 {
		want = append([]string{newRoom(t, s, fmt.Sprint("alice ", i), alice.ID).ID}, want...) // newest first
	}
	newRoom(t, s, "bob's", bob.ID)

	var got []string
	token, pages := "", 0
	for {
		rooms, next, err := s.FindRoomsByUser(ctx, alice.ID, core.Page{Size: 10, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range rooms {
			got = append(got, r.ID)
		}
		if next == "" {
			break
		}
		token = next
	}
	if pages != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%d pages: %v\nwant %v", pages, got, want)
	}
	rooms, next, err := s.FindRoomsByUser(ctx, alice.ID, core.Page{})
	if err != nil || len(rooms) != postgres.DefaultPageSize || next == "" {
		t.Fatalf("default page: %d rooms, next %q, %v", len(rooms), next, err)
	}
	rooms, next, err = s.FindRoomsByUser(ctx, alice.ID, core.Page{Size: 1000})
	if err != nil || len(rooms) != 25 || next != "" {
		t.Fatalf("large page: %d rooms, next %q, %v", len(rooms), next, err)
	}
	for _, token := range []string{"garbage!", "Zm9v", "MTIzLm5vdC1hLXV1aWQ"} {
		_, _, err = s.FindRoomsByUser(ctx, alice.ID, core.Page{Token: token})
		wantField(t, err, "page_token")
	}
}

// slugOf reports whether slug is base with a random suffix (core.NewSlug).
func slugOf(slug, base string) bool {
	suffix, ok := strings.CutPrefix(slug, base+"-")
	return ok && len(suffix) == core.SlugSuffixLength
}

func countRows(t *testing.T, db *postgres.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
