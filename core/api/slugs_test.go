package api_test

import (
	"cmp"
	"context"
	"testing"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestRoomHijackBySlug: a name never hands out a link that was someone
// else's. Two rooms may share a name, a rename keeps the old link leading to
// the room, a deletion keeps its links taken, and nothing tells a stranger
// which names exist.
func TestRoomHijackBySlug(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	cs, _ := s.principalClients(t)
	ctx := context.Background()
	create := func(who, name string) *meetlinev1.Room {
		t.Helper()
		res, err := cs[who].rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: name})
		if err != nil {
			t.Fatalf("CreateRoom(%q) as %s: %v", name, who, err)
		}
		return res.Room
	}
	find := func(who, slug string) (*meetlinev1.Room, error) {
		res, err := cs[who].rooms.GetRoom(ctx, &meetlinev1.GetRoomRequest{Room: slug})
		return res.GetRoom(), err
	}

	name := testenv.Name("Weekly sync ")
	mine := create(owner, name)
	// A stranger asking for the same name gets a room of their own, with
	// another link: no AlreadyExists, nothing learnt.
	theirs := create(stranger, name)
	if theirs.Slug == mine.Slug || theirs.Id == mine.Id {
		t.Fatalf("the same name twice gave %q and %q", mine.Slug, theirs.Slug)
	}

	// The owner renames the room: the old link still leads to it, and shows
	// the current slug (the console moves the address bar there).
	renamed := "Renamed " + name
	if _, err := cs[owner].rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: mine.Id, Name: &renamed}); err != nil {
		t.Fatal(err)
	}
	got, err := find(owner, mine.Slug)
	if err != nil || got.Id != mine.Id || got.Slug == mine.Slug || got.Name != renamed {
		t.Fatalf("the old link after a rename = %v, %v", got, err)
	}
	// A stranger creating the old name again does not get the old link.
	again := create(stranger, name)
	if again.Slug == mine.Slug {
		t.Fatalf("the renamed room's old slug was given to a stranger's room")
	}

	// Deleted, its links lead nowhere, for good.
	if _, err := cs[owner].rooms.DeleteRoom(ctx, &meetlinev1.DeleteRoomRequest{Id: mine.Id}); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{mine.Slug, got.Slug} {
		if _, err := find(stranger, slug); connect.CodeOf(err) != connect.CodeNotFound {
			t.Fatalf("a deleted room's link %q: %v", slug, err)
		}
	}
	for range 3 {
		if r := create(stranger, renamed); r.Slug == got.Slug {
			t.Fatal("a deleted room's slug was given again")
		}
	}
}

// TestRoomDefaultAccessLevel: CreateRoom without a level uses the user's
// choice, else the deployment's ROOM_DEFAULT_ACCESS_LEVEL (restricted unless
// set), never public unless chosen.
func TestRoomDefaultAccessLevel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		deployment core.AccessLevel // "": the default configuration
		want       meetlinev1.AccessLevel
	}{
		{"", meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED},
		{core.AccessTrusted, meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED},
		{core.AccessPublic, meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC},
	} {
		t.Run(cmp.Or(string(tc.deployment), "unset"), func(t *testing.T) {
			t.Parallel()
			s := stackOf(testenv.Core(t, testenv.WithConfig(func(c *app.Config) {
				if tc.deployment != "" {
					c.RoomDefaultAccessLevel = tc.deployment
				}
			})))
			c := s.clients(s.token(t, t.Name()))
			me, err := c.users.GetMe(ctx, &meetlinev1.GetMeRequest{})
			if err != nil || me.User.DefaultRoomAccessLevel != tc.want {
				t.Fatalf("GetMe = %v, %v; want the deployment's default %v", me, err, tc.want)
			}
			r, err := c.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: "No level"})
			if err != nil || r.Room.AccessLevel != tc.want {
				t.Fatalf("CreateRoom without a level = %v, %v; want %v", r, err, tc.want)
			}
			// The user's own choice wins over the deployment's.
			public := meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC
			if _, err := c.users.UpdateMe(ctx, &meetlinev1.UpdateMeRequest{DefaultRoomAccessLevel: &public}); err != nil {
				t.Fatal(err)
			}
			r, err = c.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: "Chosen level"})
			if err != nil || r.Room.AccessLevel != public {
				t.Fatalf("CreateRoom after choosing public = %v, %v", r, err)
			}
		})
	}
}
