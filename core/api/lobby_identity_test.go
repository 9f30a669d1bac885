package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/livekit/protocol/auth"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestLobbyIdentity: a signed-in stranger who types "Owner" waits under
// their account's name, and the administrators see that they are signed in
// and their e-mail; a guest's id is prefixed, so it is never a user's sub;
// a ticket opens for the account (or the anonymous guest) it was issued
// to, nobody else.
func TestLobbyIdentity(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	anon := s.lobby("")
	sub := t.Name() + "-stranger"
	stranger, other := s.lobby(s.token(t, sub)), s.lobby(s.token(t, t.Name()+"-member"))

	mine, err := stranger.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Owner"})
	if err != nil {
		t.Fatal(err)
	}
	if p := mine.Participant; p.Username == "Owner" || !strings.Contains(p.Username, "Given "+sub) || !p.SignedIn || p.Email != "" {
		t.Errorf("signed-in entry = %v, want the account's name, signed in, no e-mail to the person", p)
	}
	guest, err := anon.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Owner"})
	if err != nil {
		t.Fatal(err)
	}
	if p := guest.Participant; !strings.HasPrefix(p.Id, "guest-") || p.Username != "Owner" || p.SignedIn {
		t.Errorf("guest entry = %v, want a guest- id and the typed name", p)
	}

	admin := s.lobby(s.token(t, t.Name()+"-administrator"))
	list, err := admin.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: f.room.Id})
	if err != nil || len(list.Participants) != 2 {
		t.Fatalf("ListWaiting = %v, %v", list, err)
	}
	for _, p := range list.Participants {
		switch p.Id {
		case mine.Participant.Id:
			if !p.SignedIn || p.Email != sub+"@example.org" || p.Username != mine.Participant.Username {
				t.Errorf("administrator sees the signed-in stranger as %v", p)
			}
		case guest.Participant.Id:
			if p.SignedIn || p.Email != "" {
				t.Errorf("administrator sees the guest as %v", p)
			}
		}
	}

	for _, tt := range []struct {
		name   string
		call   func() error
		reject bool
	}{
		{"own ticket", func() error {
			_, err := stranger.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "x", Ticket: mine.Ticket})
			return err
		}, false},
		{"the user's ticket, anonymously", func() error {
			_, err := anon.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "x", Ticket: mine.Ticket})
			return err
		}, true},
		{"the user's ticket, by another user", func() error {
			_, err := other.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "x", Ticket: mine.Ticket})
			return err
		}, true},
		{"a guest's ticket, by a user", func() error {
			_, err := other.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "x", Ticket: guest.Ticket})
			return err
		}, true},
		{"watch with the user's ticket, anonymously", func() error {
			st, err := anon.WatchEntry(ctx, &meetlinev1.WatchEntryRequest{Room: f.room.Id, Ticket: mine.Ticket})
			if err != nil {
				return err
			}
			st.Receive()
			return st.Err()
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.reject && connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Errorf("err = %v, want invalid_argument", err)
			}
			if !tt.reject && err != nil {
				t.Errorf("err = %v, want none", err)
			}
		})
	}

	// Admitted, the stranger's LiveKit connection carries the account, not the typed name.
	if _, err := admin.Decide(ctx, &meetlinev1.DecideRequest{RoomId: f.room.Id, ParticipantId: mine.Participant.Id, Allow: true}); err != nil {
		t.Fatal(err)
	}
	in, err := stranger.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Owner", Ticket: mine.Ticket})
	if err != nil || in.Livekit == nil {
		t.Fatalf("after admission: %v, %v", in, err)
	}
	v, err := auth.ParseAPIToken(in.Livekit.Token)
	if err != nil {
		t.Fatal(err)
	}
	_, grants, err := v.Verify(testenv.Getenv(t, "LIVEKIT_API_SECRET"))
	if err != nil {
		t.Fatal(err)
	}
	if grants.Identity != sub || grants.Name != mine.Participant.Username {
		t.Errorf("LiveKit token: identity %q name %q, want %q and the account's name", grants.Identity, grants.Name, sub)
	}
}

// TestLobbyTicketExpires: a ticket stops opening after LobbySettings.TicketTTL
// (it lived as long as the accepted entry, 6 h, before); each RequestEntry
// hands out a fresh one, so a person who keeps asking keeps a valid one.
func TestLobbyTicketExpires(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) { srv.LobbySettings.TicketTTL = time.Second })
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	guest := s.lobby("")
	ask := func(ticket string) (*meetlinev1.RequestEntryResponse, error) {
		return guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest", Ticket: ticket})
	}
	first, err := ask("")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	fresh, err := ask(first.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	if _, err := ask(first.Ticket); connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "expired") {
		t.Errorf("a ticket past its TTL: %v, want invalid_argument: expired", err)
	}
	if res, err := ask(fresh.Ticket); err != nil || res.Participant.Id != first.Participant.Id {
		t.Errorf("the renewed ticket: %v, %v", res, err)
	}
}
