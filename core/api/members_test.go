package api_test

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestMembersByEmail: owners add members by e-mail address, a known user at
// once, an unknown address as a pending role that the first user signing in
// with it receives, after which they enter the restricted room without
// waiting in the lobby. An invitation can grant the role in the same step.
func TestMembersByEmail(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	add := func(p, email string, role meetlinev1.Role) (*meetlinev1.AddAccessResponse, error) {
		return cs[p].accesses.AddAccess(ctx, &meetlinev1.AddAccessRequest{RoomId: f.room.Id, Email: email, Role: role})
	}
	mem := meetlinev1.Role_ROLE_MEMBER

	// A known user, whatever the case of the address.
	got, err := add(owner, strings.ToUpper(t.Name()+"-extra@example.org"), mem)
	if err != nil || got.Access.GetUserId() != ids["extra"] || got.Pending != nil {
		t.Fatalf("AddAccess of a known address = %v, %v", got, err)
	}
	// An unknown one waits.
	newcomer := t.Name() + "-newcomer"
	got, err = add(owner, newcomer+"@example.org", mem)
	if err != nil || got.Access != nil || got.Pending.GetEmail() != newcomer+"@example.org" {
		t.Fatalf("AddAccess of an unknown address = %v, %v", got, err)
	}
	list, err := cs[admin].accesses.ListAccesses(ctx, &meetlinev1.ListAccessesRequest{RoomId: f.room.Id})
	if err != nil || len(list.Pending) != 1 || list.Pending[0].Role != mem {
		t.Fatalf("ListAccesses = %v, %v; want the pending role", list, err)
	}

	tests := []struct {
		name string
		err  error
		want connect.Code
	}{
		{"neither user nor address", func() error {
			_, err := cs[owner].accesses.AddAccess(ctx, &meetlinev1.AddAccessRequest{RoomId: f.room.Id, Role: mem})
			return err
		}(), connect.CodeInvalidArgument},
		{"both user and address", func() error {
			_, err := cs[owner].accesses.AddAccess(ctx, &meetlinev1.AddAccessRequest{RoomId: f.room.Id, UserId: ids[stranger], Email: "a@example.org", Role: mem})
			return err
		}(), connect.CodeInvalidArgument},
		{"not an address", func() error { _, err := add(owner, "Someone <a@example.org>", mem); return err }(), connect.CodeInvalidArgument},
		{"pending twice", func() error { _, err := add(owner, strings.ToUpper(newcomer)+"@example.org", mem); return err }(), connect.CodeAlreadyExists},
		{"known user twice", func() error { _, err := add(owner, t.Name()+"-extra@example.org", mem); return err }(), connect.CodeAlreadyExists},
		{"administrator grants owner", func() error {
			_, err := add(admin, "boss@example.org", meetlinev1.Role_ROLE_OWNER)
			return err
		}(), connect.CodePermissionDenied},
		{"member adds", func() error { _, err := add(member, "friend@example.org", mem); return err }(), connect.CodePermissionDenied},
		{"stranger adds", func() error { _, err := add(stranger, "friend@example.org", mem); return err }(), connect.CodePermissionDenied},
		{"invitation grants owner as administrator", func() error {
			_, err := s.invitations(s.token(t, t.Name()+"-"+admin)).Invite(ctx, &meetlinev1.InviteRequest{RoomId: f.room.Id,
				Emails: []string{"boss@example.org"}, GrantRole: meetlinev1.Role_ROLE_OWNER})
			return err
		}(), connect.CodePermissionDenied},
	}
	for _, tt := range tests {
		if connect.CodeOf(tt.err) != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}

	// The newcomer signs in: the role is theirs, and the lobby lets them in.
	nc := s.clients(s.token(t, newcomer))
	me, err := nc.users.GetMe(ctx, &meetlinev1.GetMeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	list, err = cs[owner].accesses.ListAccesses(ctx, &meetlinev1.ListAccessesRequest{RoomId: f.room.Id})
	if err != nil || len(list.Pending) != 0 || !hasAccess(list, me.User.Id, mem) {
		t.Fatalf("after the newcomer's sign-in: %v, %v", list, err)
	}
	entry, err := s.lobby(s.token(t, newcomer)).RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Newcomer"})
	if err != nil || entry.Livekit == nil {
		t.Errorf("the newcomer asks to enter the restricted room: %v, %v; want in at once", entry, err)
	}

	// An invitation grants the role in the same step, and leaves a role
	// someone already has alone.
	invited := t.Name() + "-invited"
	if _, err := s.invitations(s.token(t, t.Name()+"-"+owner)).Invite(ctx, &meetlinev1.InviteRequest{RoomId: f.room.Id,
		Emails: []string{invited + "@example.org", t.Name() + "-" + admin + "@example.org"}, GrantRole: mem}); err != nil {
		t.Fatal(err)
	}
	me, err = s.clients(s.token(t, invited)).users.GetMe(ctx, &meetlinev1.GetMeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	list, err = cs[owner].accesses.ListAccesses(ctx, &meetlinev1.ListAccessesRequest{RoomId: f.room.Id})
	if err != nil || !hasAccess(list, me.User.Id, mem) || !hasAccess(list, ids[admin], meetlinev1.Role_ROLE_ADMINISTRATOR) {
		t.Errorf("after an invitation granting membership: %v, %v", list, err)
	}
}

func hasAccess(list *meetlinev1.ListAccessesResponse, user string, role meetlinev1.Role) bool {
	for _, a := range list.Accesses {
		if a.UserId == user && a.Role == role {
			return true
		}
	}
	return false
}

// TestPendingAccesses: a role waiting for an address is changed and
// cancelled with the rules of a user's role (only owners touch "owner"), and
// a cancelled one gives nothing to whoever signs in with the address later.
func TestPendingAccesses(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	newcomer := t.Name() + "-newcomer"
	add, err := cs[owner].accesses.AddAccess(ctx, &meetlinev1.AddAccessRequest{RoomId: f.room.Id,
		Email: newcomer + "@example.org", Role: meetlinev1.Role_ROLE_OWNER})
	if err != nil {
		t.Fatal(err)
	}
	id := add.Pending.Id
	update := func(p string, role meetlinev1.Role) error {
		_, err := cs[p].accesses.UpdatePendingAccess(ctx, &meetlinev1.UpdatePendingAccessRequest{Id: id, Role: role})
		return err
	}
	remove := func(p, id string) error {
		_, err := cs[p].accesses.RemovePendingAccess(ctx, &meetlinev1.RemovePendingAccessRequest{Id: id})
		return err
	}
	steps := []struct {
		name string
		err  func() error
		want connect.Code
	}{
		{"administrator demotes a pending owner", func() error { return update(admin, meetlinev1.Role_ROLE_MEMBER) }, connect.CodePermissionDenied},
		{"administrator cancels a pending owner", func() error { return remove(admin, id) }, connect.CodePermissionDenied},
		{"owner demotes it", func() error { return update(owner, meetlinev1.Role_ROLE_ADMINISTRATOR) }, 0},
		{"administrator changes it", func() error { return update(admin, meetlinev1.Role_ROLE_MEMBER) }, 0},
		{"no role", func() error { return update(admin, meetlinev1.Role_ROLE_UNSPECIFIED) }, connect.CodeInvalidArgument},
		{"no id", func() error { return remove(admin, "") }, connect.CodeInvalidArgument},
		{"unknown id", func() error { return remove(admin, "0f0e0d0c-0000-4000-8000-000000000000") }, connect.CodeNotFound},
		{"member cancels", func() error { return remove(member, id) }, connect.CodePermissionDenied},
		{"stranger cancels", func() error { return remove(stranger, id) }, connect.CodeNotFound},
		{"administrator cancels", func() error { return remove(admin, id) }, 0},
		{"cancelled twice", func() error { return remove(admin, id) }, connect.CodeNotFound},
		{"change a cancelled one", func() error { return update(owner, meetlinev1.Role_ROLE_MEMBER) }, connect.CodeNotFound},
	}
	for _, st := range steps {
		if err := st.err(); connect.CodeOf(err) != st.want && !(st.want == 0 && err == nil) {
			t.Fatalf("%s: %v, want %v", st.name, err, st.want)
		}
	}
	list, err := cs[owner].accesses.ListAccesses(ctx, &meetlinev1.ListAccessesRequest{RoomId: f.room.Id})
	if err != nil || len(list.Pending) != 0 {
		t.Fatalf("ListAccesses after the cancel = %v, %v", list, err)
	}
	nc := s.clients(s.token(t, newcomer))
	room, err := nc.rooms.GetRoom(ctx, &meetlinev1.GetRoomRequest{Room: f.room.Slug})
	if err != nil || room.Room.Role != meetlinev1.Role_ROLE_UNSPECIFIED {
		t.Fatalf("the newcomer's room after a cancelled role = %v, %v", room, err)
	}
}

// TestFindUser: a room's administrators learn who has exactly an address,
// and their role; no partial match, no listing.
func TestFindUser(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	find := func(p, room, email string) (*meetlinev1.FindUserResponse, error) {
		return cs[p].accesses.FindUser(ctx, &meetlinev1.FindUserRequest{RoomId: room, Email: email})
	}
	got, err := find(admin, f.room.Id, strings.ToUpper(t.Name()+"-member@example.org"))
	if err != nil || got.UserId != ids[member] || got.Role != meetlinev1.Role_ROLE_MEMBER {
		t.Fatalf("FindUser(member) = %v, %v", got, err)
	}
	got, err = find(owner, f.room.Id, t.Name()+"-extra@example.org")
	if err != nil || got.UserId != ids["extra"] || got.Role != meetlinev1.Role_ROLE_UNSPECIFIED {
		t.Fatalf("FindUser(extra) = %v, %v", got, err)
	}
	for _, tt := range []struct {
		name, p, room, email string
		want                 connect.Code
	}{
		{"prefix", owner, f.room.Id, t.Name() + "-extra", connect.CodeInvalidArgument},
		{"wildcard", owner, f.room.Id, "%@example.org", connect.CodeNotFound},
		{"unknown", owner, f.room.Id, "nobody@example.org", connect.CodeNotFound},
		{"no room", owner, "", t.Name() + "-extra@example.org", connect.CodeInvalidArgument},
		{"member", member, f.room.Id, t.Name() + "-extra@example.org", connect.CodePermissionDenied},
		{"anonymous", anonymous, f.room.Id, t.Name() + "-extra@example.org", connect.CodeUnauthenticated},
	} {
		if _, err := find(tt.p, tt.room, tt.email); connect.CodeOf(err) != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
