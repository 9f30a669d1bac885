package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

func (s *stack) lobby(token string, opts ...connect.ClientOption) meetlinev1connect.LobbyServiceClient {
	return meetlinev1connect.NewLobbyServiceClient(as(token), s.url, opts...)
}

// TestLobbyFlow: a guest asks to enter a restricted room over Connect JSON,
// waits (refreshing), is listed, and an administrator admits them; a second
// guest is denied.
func TestLobbyFlow(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	guest := s.lobby("", connect.WithProtoJSON())

	first, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Slug, Username: "Guest One"})
	if err != nil {
		t.Fatal(err)
	}
	p := first.Participant
	if p.Status != meetlinev1.EntryStatus_ENTRY_STATUS_WAITING || p.Id == "" || p.Username != "Guest One" ||
		!strings.HasPrefix(p.Color, "#") || p.Kind != meetlinev1.ParticipantKind_PARTICIPANT_KIND_WEB || first.Livekit != nil || first.Ticket == "" {
		t.Fatalf("RequestEntry = %v", first)
	}
	again, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest One", Ticket: first.Ticket})
	if err != nil || again.Participant.Id != p.Id || again.Participant.Color != p.Color {
		t.Fatalf("refresh = %v, %v", again, err)
	}

	admin := s.lobby(s.token(t, t.Name()+"-"+"administrator"))
	list, err := admin.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: f.room.Id})
	if err != nil || len(list.Participants) != 1 || list.Participants[0].Id != p.Id {
		t.Fatalf("ListWaiting = %v, %v", list, err)
	}
	if _, err := admin.Decide(ctx, &meetlinev1.DecideRequest{RoomId: f.room.Id, ParticipantId: p.Id, Allow: true}); err != nil {
		t.Fatal(err)
	}
	in, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest One", Ticket: first.Ticket})
	if err != nil || in.Participant.Status != meetlinev1.EntryStatus_ENTRY_STATUS_ACCEPTED || in.Livekit == nil || in.Livekit.Token == "" {
		t.Fatalf("after admission = %v, %v", in, err)
	}

	second, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest Two"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Decide(ctx, &meetlinev1.DecideRequest{RoomId: f.room.Id, ParticipantId: second.Participant.Id, Allow: false}); err != nil {
		t.Fatal(err)
	}
	out, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest Two", Ticket: second.Ticket})
	if err != nil || out.Participant.Status != meetlinev1.EntryStatus_ENTRY_STATUS_DENIED || out.Livekit != nil {
		t.Fatalf("after denial = %v, %v", out, err)
	}
	if list, _ := admin.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: f.room.Id}); len(list.Participants) != 0 {
		t.Errorf("decided people still listed: %v", list)
	}
}

// TestLobbyWaitingExpires: a guest who stops refreshing leaves the list.
func TestLobbyWaitingExpires(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	if _, err := s.lobby("").RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Gone"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(lobbyTTLs.Waiting + 200*time.Millisecond)
	list, err := s.lobby(s.token(t, t.Name()+"-owner")).ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: f.room.Id})
	if err != nil || len(list.Participants) != 0 {
		t.Errorf("ListWaiting = %v, %v", list, err)
	}
}

// TestLobbyBypass: who may enter at once is accepted without an entry, and
// opening a room lets a waiting person in on their next call.
func TestLobbyBypass(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")

	memberLobby := s.lobby(s.token(t, t.Name()+"-member"))
	res, err := memberLobby.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Member"})
	if err != nil || res.Participant.Status != meetlinev1.EntryStatus_ENTRY_STATUS_ACCEPTED || res.Livekit == nil {
		t.Fatalf("member = %v, %v", res, err)
	}
	ownerLobby := s.lobby(s.token(t, t.Name()+"-owner"))
	if list, _ := ownerLobby.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: f.room.Id}); len(list.Participants) != 0 {
		t.Errorf("a bypass left an entry: %v", list)
	}

	stranger := s.lobby(s.token(t, t.Name()+"-stranger"))
	wait, err := stranger.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Stranger"})
	if err != nil || wait.Participant.Status != meetlinev1.EntryStatus_ENTRY_STATUS_WAITING {
		t.Fatalf("stranger in a restricted room = %v, %v", wait, err)
	}
	trusted := meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED
	if _, err := cs[owner].rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: f.room.Id, AccessLevel: &trusted}); err != nil {
		t.Fatal(err)
	}
	in, err := stranger.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Stranger", Ticket: wait.Ticket})
	if err != nil || in.Participant.Status != meetlinev1.EntryStatus_ENTRY_STATUS_ACCEPTED || in.Livekit == nil {
		t.Fatalf("after the room opened = %v, %v", in, err)
	}
	anon, err := s.lobby("").RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Anon"})
	if err != nil || anon.Participant.Status != meetlinev1.EntryStatus_ENTRY_STATUS_WAITING {
		t.Errorf("anonymous in a trusted room = %v, %v", anon, err)
	}
}

// TestWatchEntry: the guest's stream reports waiting, then accepted with a
// LiveKit connection as soon as an administrator admits them, with no polling.
func TestWatchEntry(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	guest := s.lobby("")
	req, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Watcher"})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := guest.WatchEntry(ctx, &meetlinev1.WatchEntryRequest{Room: f.room.Id, Ticket: req.Ticket})
	if err != nil {
		t.Fatal(err)
	}
	if !stream.Receive() || stream.Msg().Participant.Status != meetlinev1.EntryStatus_ENTRY_STATUS_WAITING {
		t.Fatalf("first message: %v %v", stream.Msg(), stream.Err())
	}
	// Longer than the waiting TTL: the open stream itself keeps the entry alive.
	time.Sleep(lobbyTTLs.Waiting + 500*time.Millisecond)
	admin := s.lobby(s.token(t, t.Name()+"-administrator"))
	start := time.Now()
	if _, err := admin.Decide(ctx, &meetlinev1.DecideRequest{RoomId: f.room.Id, ParticipantId: req.Participant.Id, Allow: true}); err != nil {
		t.Fatalf("Decide after the TTL: %v (the stream did not keep the entry alive)", err)
	}
	if !stream.Receive() {
		t.Fatalf("no decision: %v", stream.Err())
	}
	if m := stream.Msg(); m.Participant.Status != meetlinev1.EntryStatus_ENTRY_STATUS_ACCEPTED || m.Livekit == nil {
		t.Fatalf("decision = %v", m)
	}
	t.Logf("Decide → WatchEntry: %v", time.Since(start))
	if stream.Receive() {
		t.Errorf("the stream goes on after the decision: %v", stream.Msg())
	}
}

// TestWatchWaiting: the administrators' stream shows arrivals and decisions.
func TestWatchWaiting(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	admin := s.lobby(s.token(t, t.Name()+"-administrator"))
	stream, err := admin.WatchWaiting(ctx, &meetlinev1.WatchWaitingRequest{RoomId: f.room.Id})
	if err != nil {
		t.Fatal(err)
	}
	if !stream.Receive() || len(stream.Msg().Participants) != 0 {
		t.Fatalf("first list: %v %v", stream.Msg(), stream.Err())
	}
	req, err := s.lobby("").RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Arriving"})
	if err != nil {
		t.Fatal(err)
	}
	if !stream.Receive() || len(stream.Msg().Participants) != 1 || stream.Msg().Participants[0].Username != "Arriving" {
		t.Fatalf("after arrival: %v %v", stream.Msg(), stream.Err())
	}
	if _, err := admin.Decide(ctx, &meetlinev1.DecideRequest{RoomId: f.room.Id, ParticipantId: req.Participant.Id, Allow: true}); err != nil {
		t.Fatal(err)
	}
	if !stream.Receive() || len(stream.Msg().Participants) != 0 {
		t.Fatalf("after admission: %v %v", stream.Msg(), stream.Err())
	}
}

func TestLobbyErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	other := s.newFixture(t, cs, ids, "+33123456789")
	public, err := cs[owner].rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: "Open " + t.Name(), AccessLevel: meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC})
	if err != nil {
		t.Fatal(err)
	}
	guest := s.lobby("")
	mine, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest"})
	if err != nil {
		t.Fatal(err)
	}
	tampered := mine.Ticket[:len(mine.Ticket)-2] + "xx"
	ownerLobby := s.lobby(s.token(t, t.Name()+"-owner"))
	memberLobby := s.lobby(s.token(t, t.Name()+"-member"))
	tests := []struct {
		name string
		call func() error
		want connect.Code
	}{
		{"empty username", func() error {
			_, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: " "})
			return err
		}, connect.CodeInvalidArgument},
		{"username too long", func() error {
			_, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: strings.Repeat("é", 101)})
			return err
		}, connect.CodeInvalidArgument},
		{"control characters", func() error {
			_, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "bell\a"})
			return err
		}, connect.CodeInvalidArgument},
		{"unknown room", func() error {
			_, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: "no-such-room", Username: "Guest"})
			return err
		}, connect.CodeNotFound},
		{"ticket of another room", func() error {
			_, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: other.room.Id, Username: "Guest", Ticket: mine.Ticket})
			return err
		}, connect.CodeInvalidArgument},
		{"tampered ticket", func() error {
			_, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest", Ticket: tampered})
			return err
		}, connect.CodeInvalidArgument},
		{"garbage ticket", func() error {
			_, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest", Ticket: "%%%"})
			return err
		}, connect.CodeInvalidArgument},
		{"watch with another room's ticket", func() error {
			st, err := guest.WatchEntry(ctx, &meetlinev1.WatchEntryRequest{Room: other.room.Id, Ticket: mine.Ticket})
			if err != nil {
				return err
			}
			st.Receive()
			return st.Err()
		}, connect.CodeInvalidArgument},
		{"public room has no lobby", func() error {
			_, err := ownerLobby.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: public.Room.Id})
			return err
		}, connect.CodeFailedPrecondition},
		{"decide in a public room", func() error {
			_, err := ownerLobby.Decide(ctx, &meetlinev1.DecideRequest{RoomId: public.Room.Id, ParticipantId: mine.Participant.Id, Allow: true})
			return err
		}, connect.CodeFailedPrecondition},
		{"unknown participant", func() error {
			_, err := ownerLobby.Decide(ctx, &meetlinev1.DecideRequest{RoomId: f.room.Id, ParticipantId: "nobody", Allow: true})
			return err
		}, connect.CodeNotFound},
		{"participant of another room", func() error {
			_, err := ownerLobby.Decide(ctx, &meetlinev1.DecideRequest{RoomId: other.room.Id, ParticipantId: mine.Participant.Id, Allow: true})
			return err
		}, connect.CodeNotFound},
		{"member may not list", func() error {
			_, err := memberLobby.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: f.room.Id})
			return err
		}, connect.CodePermissionDenied},
		{"anonymous may not decide", func() error {
			_, err := guest.Decide(ctx, &meetlinev1.DecideRequest{RoomId: f.room.Id, ParticipantId: mine.Participant.Id, Allow: true})
			return err
		}, connect.CodeUnauthenticated},
		{"member may not watch the list", func() error {
			st, err := memberLobby.WatchWaiting(ctx, &meetlinev1.WatchWaitingRequest{RoomId: f.room.Id})
			if err != nil {
				return err
			}
			st.Receive()
			return st.Err()
		}, connect.CodePermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); connect.CodeOf(err) != tt.want {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestLobbyRateLimit: RequestEntry is limited per participant.
func TestLobbyRateLimit(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	guest := s.lobby("")
	first, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Busy"})
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for range 151 { // the first request, without a ticket, counted under the address
		if _, last = guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Busy", Ticket: first.Ticket}); last != nil {
			break
		}
	}
	if connect.CodeOf(last) != connect.CodeResourceExhausted || retryDelay(last) <= 0 {
		t.Fatalf("151st request with the ticket: %v", last)
	}
	if _, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Other"}); err != nil {
		t.Errorf("another participant is limited too: %v", err)
	}
}

// replica serves a second core on the same Postgres database and Valkey
// prefix as s, as another replica: its own connections, hub and metrics.
func (s *stack) replica(t *testing.T) *stack {
	t.Helper()
	return stackOf(testenv.Core(t, testenv.WithConfig(ruleSettings), testenv.WithConfig(func(c *app.Config) {
		c.DatabaseURL, c.ValkeyPrefix = s.core.Config.DatabaseURL, s.core.Config.ValkeyPrefix
	})))
}

// TestLobbyAcrossReplicas: the guest watches through one core, the
// administrator decides through another; the decision reaches the guest.
func TestLobbyAcrossReplicas(t *testing.T) {
	t.Parallel()
	a := newStack(t)
	b := a.replica(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, ids := a.principalClients(t)
	f := a.newFixture(t, cs, ids, "+33123456789")
	guest := a.lobby("")
	req, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Across"})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := guest.WatchEntry(ctx, &meetlinev1.WatchEntryRequest{Room: f.room.Id, Ticket: req.Ticket})
	if err != nil || !entries.Receive() {
		t.Fatalf("WatchEntry on replica A: %v %v", err, entries.Err())
	}
	adminB := b.lobby(b.token(t, t.Name()+"-administrator"))
	waiting, err := adminB.WatchWaiting(ctx, &meetlinev1.WatchWaitingRequest{RoomId: f.room.Id})
	if err != nil || !waiting.Receive() || len(waiting.Msg().Participants) != 1 {
		t.Fatalf("WatchWaiting on replica B: %v %v %v", err, waiting.Msg(), waiting.Err())
	}
	if _, err := adminB.Decide(ctx, &meetlinev1.DecideRequest{RoomId: f.room.Id, ParticipantId: req.Participant.Id, Allow: true}); err != nil {
		t.Fatal(err)
	}
	if !entries.Receive() || entries.Msg().Participant.Status != meetlinev1.EntryStatus_ENTRY_STATUS_ACCEPTED {
		t.Fatalf("replica A did not hear replica B's decision: %v %v", entries.Msg(), entries.Err())
	}
	if !waiting.Receive() || len(waiting.Msg().Participants) != 0 {
		t.Fatalf("replica B's list after the decision: %v %v", waiting.Msg(), waiting.Err())
	}
}
