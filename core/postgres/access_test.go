package postgres_test

import (
	"sync"
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

func TestAccesses(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner, bob, carol := newUser(t, db, "owner"), newUser(t, db, "bob"), newUser(t, db, "carol")
	room := newRoom(t, postgres.NewRoomService(db), "Team", owner.ID)
	s := postgres.NewAccessService(db)
	ctx := t.Context()

	member := &core.RoomAccess{RoomID: room.ID, UserID: bob.ID, Role: core.RoleMember}
	if err := s.CreateAccess(ctx, member); err != nil {
		t.Fatal(err)
	}
	if member.ID == "" || member.UserFullName != "User bob" {
		t.Fatalf("created %+v", member)
	}
	admin := &core.RoomAccess{RoomID: room.ID, UserID: carol.ID, Role: core.RoleAdministrator}
	if err := s.CreateAccess(ctx, admin); err != nil {
		t.Fatal(err)
	}
	dup := &core.RoomAccess{RoomID: room.ID, UserID: bob.ID, Role: core.RoleOwner}
	wantCode(t, s.CreateAccess(ctx, dup), core.ECONFLICT)
	missing := "00000000-0000-0000-0000-000000000000"
	wantCode(t, s.CreateAccess(ctx, &core.RoomAccess{RoomID: missing, UserID: bob.ID, Role: core.RoleMember}), core.ENOTFOUND)
	wantCode(t, s.CreateAccess(ctx, &core.RoomAccess{RoomID: room.ID, UserID: missing, Role: core.RoleMember}), core.ENOTFOUND)
	wantField(t, s.CreateAccess(ctx, &core.RoomAccess{RoomID: room.ID, UserID: bob.ID, Role: "boss"}), "role")

	all, err := s.FindAccesses(ctx, room.ID)
	if err != nil {
		t.Fatal(err)
	}
	var roles []core.Role
	for _, a := range all {
		roles = append(roles, a.Role)
	}
	if len(roles) != 3 || roles[0] != core.RoleOwner || roles[1] != core.RoleAdministrator || roles[2] != core.RoleMember {
		t.Fatalf("roles in order = %v", roles)
	}
	for _, tc := range []struct {
		room, user string
		want       core.Role
	}{
		{room.ID, bob.ID, core.RoleMember},
		{room.ID, missing, core.RoleNone},
		{"team", bob.ID, core.RoleNone},
	} {
		if got, err := s.FindRole(ctx, tc.room, tc.user); err != nil || got != tc.want {
			t.Errorf("FindRole(%s, %s) = %q, %v; want %q", tc.room, tc.user, got, err, tc.want)
		}
	}

	got, err := s.UpdateAccess(ctx, member.ID, core.RoleAdministrator)
	if err != nil || got.Role != core.RoleAdministrator || got.UserShortName != "" || got.UserID != bob.ID {
		t.Fatalf("UpdateAccess = %+v, %v", got, err)
	}
	if err := s.DeleteAccess(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindAccessByID(ctx, admin.ID)
	wantCode(t, err, core.ENOTFOUND)
	wantCode(t, s.DeleteAccess(ctx, admin.ID), core.ENOTFOUND)
	_, err = s.UpdateAccess(ctx, "nope", core.RoleMember)
	wantCode(t, err, core.ENOTFOUND)
}

func TestLastOwnerIsKept(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	owner, bob := newUser(t, db, "owner"), newUser(t, db, "bob")
	room := newRoom(t, postgres.NewRoomService(db), "Team", owner.ID)
	s := postgres.NewAccessService(db)
	ctx := t.Context()
	accesses, err := s.FindAccesses(ctx, room.ID)
	if err != nil || len(accesses) != 1 {
		t.Fatalf("accesses = %v, %v", accesses, err)
	}
	only := accesses[0]

	_, err = s.UpdateAccess(ctx, only.ID, core.RoleAdministrator)
	wantCode(t, err, core.EPRECONDITION)
	wantCode(t, s.DeleteAccess(ctx, only.ID), core.EPRECONDITION)
	if _, err := s.UpdateAccess(ctx, only.ID, core.RoleOwner); err != nil {
		t.Errorf("owner to owner: %v", err)
	}

	// With a second owner, the first may go.
	second := &core.RoomAccess{RoomID: room.ID, UserID: bob.ID, Role: core.RoleOwner}
	if err := s.CreateAccess(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccess(ctx, only.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteAccess(ctx, second.ID), core.EPRECONDITION)
}

// TestConcurrentDemotions demotes the two owners of a room at once, many
// times: exactly one demotion may win each time.
func TestConcurrentDemotions(t *testing.T) {
	t.Parallel()
	db := testenv.Postgres(t)
	rooms := postgres.NewRoomService(db)
	s := postgres.NewAccessService(db)
	a, b := newUser(t, db, "a"), newUser(t, db, "b")
	ctx := t.Context()
	for range 20 {
		room := newRoom(t, rooms, "Team", a.ID)
		second := &core.RoomAccess{RoomID: room.ID, UserID: b.ID, Role: core.RoleOwner}
		if err := s.CreateAccess(ctx, second); err != nil {
			t.Fatal(err)
		}
		accesses, err := s.FindAccesses(ctx, room.ID)
		if err != nil {
			t.Fatal(err)
		}
		var errs [2]error
		var wg sync.WaitGroup
		for i, acc := range accesses {
			wg.Go(func() {
				if i == 0 {
					_, errs[i] = s.UpdateAccess(ctx, acc.ID, core.RoleMember)
				} else {
					errs[i] = s.DeleteAccess(ctx, acc.ID)
				}
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("demotion: %v; removal: %v; want exactly one to succeed", errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil {
				wantCode(t, err, core.EPRECONDITION)
			}
		}
		var owners int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM room_accesses WHERE room_id = $1 AND role = 'owner'`, room.ID).Scan(&owners); err != nil || owners != 1 {
			t.Fatalf("%d owners left, %v", owners, err)
		}
		if err := rooms.DeleteRoom(ctx, room.ID); err != nil { // frees the slug for the next round
			t.Fatal(err)
		}
	}
}
