package api_test

import (
	"context"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// joined is someone in a LiveKit room with a token the core gave them, as
// the console joins: the Go SDK over WebRTC.
type joined struct {
	room  *lksdk.Room
	token string
	url   string
	// gone closes when LiveKit disconnects them (not when they leave).
	gone chan struct{}
}

func join(t *testing.T, conn *meetlinev1.LiveKitConnection) *joined {
	t.Helper()
	if conn == nil {
		t.Fatal("no LiveKit connection to join with")
	}
	j := &joined{token: conn.Token, url: conn.Url, gone: make(chan struct{})}
	cb := lksdk.NewRoomCallback()
	cb.OnDisconnectedWithReason = func(r lksdk.DisconnectionReason) {
		if r != lksdk.LeaveRequested {
			close(j.gone)
		}
	}
	r, err := lksdk.ConnectToRoomWithToken(conn.Url, conn.Token, cb, lksdk.WithAutoSubscribe(false))
	if err != nil {
		t.Fatalf("cannot join: %v", err)
	}
	j.room = r
	t.Cleanup(r.Disconnect)
	return j
}

// identities lists who is in room, as LiveKit sees it.
func (s *stack) identities(t *testing.T, room string) []string {
	t.Helper()
	ps, err := s.lk.ListParticipants(context.Background(), room)
	if core.Code(err) == core.ENOTFOUND {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.Identity)
	}
	return ids
}

func waitGone(t *testing.T, who string, j *joined) {
	t.Helper()
	select {
	case <-j.gone:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s is still in the meeting", who)
	}
}

func stillThere(t *testing.T, who string, j *joined) {
	t.Helper()
	select {
	case <-j.gone:
		t.Fatalf("%s was removed", who)
	default:
	}
}

func roomOf(t *testing.T, c *clients, room string) *meetlinev1.Room {
	t.Helper()
	res, err := c.rooms.GetRoom(context.Background(), &meetlinev1.GetRoomRequest{Room: room})
	if err != nil {
		t.Fatal(err)
	}
	return res.Room
}

func setLevel(t *testing.T, c *clients, room string, l meetlinev1.AccessLevel) {
	t.Helper()
	if _, err := c.rooms.UpdateRoom(context.Background(), &meetlinev1.UpdateRoomRequest{Id: room, AccessLevel: &l}); err != nil {
		t.Fatal(err)
	}
}

// TestRevocationReachesLiveKit: each change that takes someone's right to be
// in a meeting away disconnects them from the real livekit-server, and only
// them (docs/security.md says who is affected by what).
func TestRevocationReachesLiveKit(t *testing.T) {
	t.Parallel()
	s := newStackWithLiveKit(t)
	cs, ids := s.principalClients(t)
	ctx := context.Background()

	t.Run("RemoveAccess", func(t *testing.T) {
		f := s.newFixture(t, cs, ids, "")
		m := join(t, roomOf(t, cs[member], f.room.Id).Livekit)
		a := join(t, roomOf(t, cs[admin], f.room.Id).Livekit)
		if _, err := cs[owner].accesses.RemoveAccess(ctx, &meetlinev1.RemoveAccessRequest{Id: f.memberAccess}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, "the removed member", m)
		stillThere(t, "the administrator", a)
	})

	t.Run("UpdateAccess lowers a role", func(t *testing.T) {
		f := s.newFixture(t, cs, ids, "")
		a := join(t, roomOf(t, cs[admin], f.room.Id).Livekit)
		m := join(t, roomOf(t, cs[member], f.room.Id).Livekit)
		if _, err := cs[owner].accesses.UpdateAccess(ctx, &meetlinev1.UpdateAccessRequest{Id: f.adminAccess, Role: meetlinev1.Role_ROLE_MEMBER}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, "the demoted administrator", a)
		stillThere(t, "the member", m)
		// They come back as a member: no room_admin in the new token.
		again := roomOf(t, cs[admin], f.room.Id)
		if again.Role != meetlinev1.Role_ROLE_MEMBER || again.Livekit == nil {
			t.Fatalf("the demoted administrator gets %v", again)
		}
	})

	t.Run("tightening the access level", func(t *testing.T) {
		f := s.newFixture(t, cs, ids, "")
		setLevel(t, cs[owner], f.room.Id, meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC)
		anon := join(t, roomOf(t, cs[anonymous], f.room.Id).Livekit)
		signedIn := join(t, roomOf(t, cs[stranger], f.room.Id).Livekit)
		m := join(t, roomOf(t, cs[member], f.room.Id).Livekit)

		setLevel(t, cs[owner], f.room.Id, meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED)
		waitGone(t, "the anonymous guest after public → trusted", anon)
		stillThere(t, "the signed-in stranger after public → trusted", signedIn)

		setLevel(t, cs[owner], f.room.Id, meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED)
		waitGone(t, "the signed-in stranger after trusted → restricted", signedIn)
		stillThere(t, "the member", m)

		// The anonymous guest's token is still valid for LIVEKIT_TOKEN_TTL:
		// joining again with it is undone by the join webhook.
		back := join(t, &meetlinev1.LiveKitConnection{Url: anon.url, Token: anon.token})
		waitGone(t, "the anonymous guest back with their old token", back)
	})

	t.Run("a lobby denial", func(t *testing.T) {
		f := s.newFixture(t, cs, ids, "")
		guest := s.clients("")
		req, err := guest.lobby.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest"})
		if err != nil {
			t.Fatal(err)
		}
		decide := func(allow bool) {
			t.Helper()
			if _, err := cs[owner].lobby.Decide(ctx, &meetlinev1.DecideRequest{RoomId: f.room.Id,
				ParticipantId: req.Participant.Id, Allow: allow}); err != nil {
				t.Fatal(err)
			}
		}
		decide(true)
		admitted, err := guest.lobby.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest", Ticket: req.Ticket})
		if err != nil {
			t.Fatal(err)
		}
		g := join(t, admitted.Livekit)
		other := join(t, roomOf(t, cs[member], f.room.Id).Livekit)
		// Admitted by a host: a tighter level does not remove them.
		setLevel(t, cs[owner], f.room.Id, meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED)
		stillThere(t, "the admitted guest after tightening", g)
		// Their refresh works while the admission stands.
		if _, err := guest.rooms.RefreshToken(ctx, &meetlinev1.RefreshTokenRequest{Room: f.room.Id, Ticket: req.Ticket}); err != nil {
			t.Fatalf("RefreshToken of an admitted guest: %v", err)
		}
		decide(false)
		waitGone(t, "the denied guest", g)
		stillThere(t, "the member", other)
		_, err = guest.rooms.RefreshToken(ctx, &meetlinev1.RefreshTokenRequest{Room: f.room.Id, Ticket: req.Ticket})
		if connect.CodeOf(err) != connect.CodePermissionDenied {
			t.Fatalf("RefreshToken after the denial: %v, want permission_denied", err)
		}
	})

	t.Run("DeleteRoom", func(t *testing.T) {
		f := s.newFixture(t, cs, ids, "")
		o := join(t, roomOf(t, cs[owner], f.room.Id).Livekit)
		m := join(t, roomOf(t, cs[member], f.room.Id).Livekit)
		if _, err := cs[owner].rooms.DeleteRoom(ctx, &meetlinev1.DeleteRoomRequest{Id: f.room.Id}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, "the owner", o)
		waitGone(t, "the member", m)
		// The member's token still works at LiveKit (it recreates the room);
		// the join webhook ends that meeting at once.
		back := join(t, &meetlinev1.LiveKitConnection{Url: m.url, Token: m.token})
		waitGone(t, "the member back in the deleted room", back)
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		eventually(t, wait, "nobody in the deleted room's meeting", func() bool { return len(s.identities(t, f.room.Id)) == 0 })
	})
}

// TestRefreshToken: a fresh token for whoever may still enter, and a clear
// error for everyone else.
func TestRefreshToken(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "")
	ctx := context.Background()
	other := s.newFixture(t, cs, ids, "")
	foreign, err := s.clients("").lobby.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: other.room.Id, Username: "Guest"})
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := s.clients("").lobby.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		as   string
		req  *meetlinev1.RefreshTokenRequest
		want connect.Code
	}{
		{"member", member, &meetlinev1.RefreshTokenRequest{Room: f.room.Id}, 0},
		{"owner by slug", owner, &meetlinev1.RefreshTokenRequest{Room: f.room.Slug}, 0},
		{"no room", member, &meetlinev1.RefreshTokenRequest{}, connect.CodeInvalidArgument},
		{"unknown room", member, &meetlinev1.RefreshTokenRequest{Room: "no-such-room-xyz"}, connect.CodeNotFound},
		{"stranger", stranger, &meetlinev1.RefreshTokenRequest{Room: f.room.Id}, connect.CodePermissionDenied},
		{"anonymous", anonymous, &meetlinev1.RefreshTokenRequest{Room: f.room.Id}, connect.CodePermissionDenied},
		{"forged ticket", anonymous, &meetlinev1.RefreshTokenRequest{Room: f.room.Id, Ticket: "Zm9v.bar"}, connect.CodeInvalidArgument},
		{"another room's ticket", anonymous, &meetlinev1.RefreshTokenRequest{Room: f.room.Id, Ticket: foreign.Ticket}, connect.CodeInvalidArgument},
		{"still waiting", anonymous, &meetlinev1.RefreshTokenRequest{Room: f.room.Id, Ticket: waiting.Ticket}, connect.CodePermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := cs[tc.as].rooms.RefreshToken(ctx, tc.req)
			if connect.CodeOf(err) != tc.want && !(tc.want == 0 && err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want != 0 {
				var ce *connect.Error
				if !errors.As(err, &ce) {
					t.Fatalf("not a Connect error: %v", err)
				}
				return
			}
			left := time.Until(res.ExpireTime.AsTime())
			if res.Livekit.GetToken() == "" || left <= 0 || left > 11*time.Minute {
				t.Fatalf("token %q expires in %v, want a token for the default 10 minutes", res.Livekit.GetToken(), left)
			}
		})
	}
	// Lowering the room to trusted lets the stranger refresh; the anonymous still cannot.
	setLevel(t, cs[owner], f.room.Id, meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED)
	if _, err := cs[stranger].rooms.RefreshToken(ctx, &meetlinev1.RefreshTokenRequest{Room: f.room.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = cs[anonymous].rooms.RefreshToken(ctx, &meetlinev1.RefreshTokenRequest{Room: f.room.Id})
	if connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("anonymous in a trusted room: %v", err)
	}
}

// FuzzRefreshToken sends arbitrary rooms and tickets, anonymously: the
// answer is a token or a client error, never Internal.
func FuzzRefreshToken(f *testing.F) {
	s := newStack(f)
	cs, ids := s.principalClients(f)
	fx := s.newFixture(f, cs, ids, "")
	req, err := s.clients("").lobby.RequestEntry(context.Background(), &meetlinev1.RequestEntryRequest{Room: fx.room.Id, Username: "Guest"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fx.room.Id, req.Ticket)
	f.Add(fx.room.Slug, "")
	f.Add("", "x.y")
	f.Add("00000000-0000-0000-0000-000000000000", req.Ticket+"x")
	f.Fuzz(func(t *testing.T, room, ticket string) {
		if !utf8.ValidString(room) || !utf8.ValidString(ticket) {
			t.Skip("protobuf strings are UTF-8: the client refuses to send these")
		}
		_, err := cs[anonymous].rooms.RefreshToken(context.Background(), &meetlinev1.RefreshTokenRequest{Room: room, Ticket: ticket})
		switch connect.CodeOf(err) {
		case connect.CodeInvalidArgument, connect.CodeNotFound, connect.CodePermissionDenied, connect.CodeResourceExhausted:
		default:
			t.Fatalf("RefreshToken(%q, %q): %v", room, ticket, err)
		}
	})
}
