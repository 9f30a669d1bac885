package api_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// callerID is the number every test caller dials from; the lobby may show
// "42" of it and nothing more.
const callerID = "+33612345642"

type joinStream = connect.ServerStreamForClient[meetlinev1.JoinRoomResponse]

// joinRoom opens a JoinRoom stream as sipgate would; cancelling ctx is the
// caller hanging up.
func (s *stack) joinRoom(t *testing.T, ctx context.Context, room, callID string) *joinStream {
	t.Helper()
	st, err := s.clients(sipgateToken).telephony.JoinRoom(ctx, &meetlinev1.JoinRoomRequest{RoomId: room, CallerId: callerID, CallId: callID})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// nextStatus receives the stream's next message and checks its status.
func nextStatus(t *testing.T, st *joinStream, want meetlinev1.CallStatus) *meetlinev1.JoinRoomResponse {
	t.Helper()
	if !st.Receive() {
		t.Fatalf("stream ended, want %v: %v", want, st.Err())
	}
	if m := st.Msg(); m.Status != want {
		t.Fatalf("status = %v, want %v", m, want)
	}
	return st.Msg()
}

// wantEnd checks that the stream ends cleanly after a final status.
func wantEnd(t *testing.T, st *joinStream) {
	t.Helper()
	if st.Receive() {
		t.Fatalf("the stream goes on after a final status: %v", st.Msg())
	}
	if err := st.Err(); err != nil {
		t.Fatalf("stream error after a final status: %v", err)
	}
}

// wantAdmitted checks an ADMITTED message: the room's LiveKit name, a guest's role.
func wantAdmitted(t *testing.T, m *meetlinev1.JoinRoomResponse, room string) {
	t.Helper()
	if m.LivekitRoom != room || m.Role != meetlinev1.Role_ROLE_UNSPECIFIED {
		t.Errorf("admitted = %v, want LiveKit room %s and no role", m, room)
	}
}

// liveKitEvent posts ev to the core's webhook, signed as LiveKit signs it.
func (s *stack) liveKitEvent(t *testing.T, ev *lkproto.WebhookEvent) {
	t.Helper()
	ev.Id = testenv.Name("EV_")
	b := event(t, ev)
	key, secret := testenv.Getenv(t, "LIVEKIT_API_KEY"), testenv.Getenv(t, "LIVEKIT_API_SECRET")
	if status, body := postWebhook(t, s.url, sign(t, key, secret, b), b); status != 200 || body != "processed" {
		t.Fatalf("webhook %s = %d %s", ev.Event, status, body)
	}
}

func webJoined(room string) *lkproto.WebhookEvent {
	return &lkproto.WebhookEvent{Event: "participant_joined", Room: &lkproto.Room{Name: room},
		Participant: &lkproto.ParticipantInfo{Identity: "host-" + room, Kind: lkproto.ParticipantInfo_STANDARD}}
}

// newRoom creates a room as the owner behind cs.
func newRoom(t *testing.T, cs *clients, level meetlinev1.AccessLevel, configuration map[string]any) string {
	t.Helper()
	cfg, err := structpb.NewStruct(configuration)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.rooms.CreateRoom(context.Background(), &meetlinev1.CreateRoomRequest{
		Name: testenv.Name("Phone room "), AccessLevel: level, Configuration: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return res.Room.Id
}

// TestJoinRoomPublic: a public room admits a caller at once when someone is
// there on the web or the room lets callers in first; otherwise the caller
// waits for the host, and phone participants do not count as one.
func TestJoinRoomPublic(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	owner := s.clients(s.token(t, t.Name()+"-owner"))
	tests := []struct {
		name          string
		configuration map[string]any
		before        func(t *testing.T, room string)
		want          meetlinev1.CallStatus
	}{
		{"someone on the web", nil, func(t *testing.T, room string) { s.liveKitEvent(t, webJoined(room)) },
			meetlinev1.CallStatus_CALL_STATUS_ADMITTED},
		{"phone callers first", map[string]any{"phone_callers_first": true}, nil,
			meetlinev1.CallStatus_CALL_STATUS_ADMITTED},
		{"phone callers first, someone on the web", map[string]any{"phone_callers_first": true},
			func(t *testing.T, room string) { s.liveKitEvent(t, webJoined(room)) }, meetlinev1.CallStatus_CALL_STATUS_ADMITTED},
		{"nobody", map[string]any{"phone_callers_first": false}, nil,
			meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST},
		{"only another caller", nil, func(t *testing.T, room string) {
			s.liveKitEvent(t, &lkproto.WebhookEvent{Event: "participant_joined", Room: &lkproto.Room{Name: room},
				Participant: &lkproto.ParticipantInfo{Identity: "sip_other", Kind: lkproto.ParticipantInfo_SIP}})
		}, meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			room := newRoom(t, owner, meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC, tt.configuration)
			if tt.before != nil {
				tt.before(t, room)
			}
			st := s.joinRoom(t, ctx, room, uuid.NewString())
			m := nextStatus(t, st, tt.want)
			if m.ParticipantId != "" {
				t.Errorf("a public room made a lobby entry: %v", m)
			}
			if tt.want == meetlinev1.CallStatus_CALL_STATUS_ADMITTED {
				wantAdmitted(t, m, room)
				// Nobody is in LiveKit's room but the one on the web.
				if first := tt.before == nil; m.First != first {
					t.Errorf("first = %v, want %v", m.First, first)
				}
				wantEnd(t, st)
			}
		})
	}
}

// TestJoinRoomWaitsForHost: a caller waiting for the host goes in as soon
// as something lets them: someone joining on the web (LiveKit's signed
// webhook), or an update of the room that lets callers in first.
func TestJoinRoomWaitsForHost(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	owner := s.clients(s.token(t, t.Name()+"-owner"))
	tests := []struct {
		name string
		open func(t *testing.T, room string)
	}{
		{"a web participant joins", func(t *testing.T, room string) {
			s.liveKitEvent(t, &lkproto.WebhookEvent{Event: "room_started", Room: &lkproto.Room{Name: room}})
			s.liveKitEvent(t, webJoined(room))
		}},
		{"the room lets callers in first", func(t *testing.T, room string) {
			cfg, _ := structpb.NewStruct(map[string]any{"phone_callers_first": true})
			if _, err := owner.rooms.UpdateRoom(context.Background(), &meetlinev1.UpdateRoomRequest{Id: room, Configuration: cfg}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			room := newRoom(t, owner, meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC, nil)
			st := s.joinRoom(t, ctx, room, uuid.NewString())
			nextStatus(t, st, meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST)
			start := time.Now()
			tt.open(t, room)
			wantAdmitted(t, nextStatus(t, st, meetlinev1.CallStatus_CALL_STATUS_ADMITTED), room)
			t.Logf("admitted %v after the change", time.Since(start))
			wantEnd(t, st)
		})
	}
}

// syncBuffer collects a server's log, written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestJoinRoomLobby: in trusted and restricted rooms a caller waits in the
// lobby next to web participants, as "Phone ••• 42", for as long as the
// stream is open (beyond the waiting TTL); the administrators' decision ends
// the stream. The full number is nowhere: not in the list, not in Valkey, not
// in the log.
func TestJoinRoomLobby(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	s := newStack(t, func(srv *api.Server) { srv.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	owner := s.clients(s.token(t, t.Name()+"-owner"))
	tests := []struct {
		level meetlinev1.AccessLevel
		allow bool
		want  meetlinev1.CallStatus
	}{
		{meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED, true, meetlinev1.CallStatus_CALL_STATUS_ADMITTED},
		{meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED, false, meetlinev1.CallStatus_CALL_STATUS_DENIED},
		{meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED, true, meetlinev1.CallStatus_CALL_STATUS_ADMITTED},
		{meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED, false, meetlinev1.CallStatus_CALL_STATUS_DENIED},
	}
	for _, tt := range tests {
		t.Run(tt.level.String()+"/"+tt.want.String(), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			room := newRoom(t, owner, tt.level, nil)
			guest := s.lobby("")
			web, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: room, Username: "On the web"})
			if err != nil {
				t.Fatal(err)
			}
			watch, err := guest.WatchEntry(ctx, &meetlinev1.WatchEntryRequest{Room: room, Ticket: web.Ticket})
			if err != nil {
				t.Fatal(err)
			}
			if !watch.Receive() { // the web participant waits too, kept alive by their stream
				t.Fatal(watch.Err())
			}
			st := s.joinRoom(t, ctx, room, uuid.NewString())
			id := nextStatus(t, st, meetlinev1.CallStatus_CALL_STATUS_WAITING_IN_LOBBY).ParticipantId
			if id == "" {
				t.Fatal("WAITING_IN_LOBBY without a participant id")
			}

			// Longer than the waiting TTL: the open stream keeps the entry alive.
			time.Sleep(lobbyTTLs.Waiting + 500*time.Millisecond)
			list, err := owner.lobby.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: room})
			if err != nil {
				t.Fatal(err)
			}
			var phone *meetlinev1.LobbyParticipant
			for _, p := range list.Participants {
				if p.Id == id {
					phone = p
				}
			}
			if len(list.Participants) != 2 || phone == nil || phone.Kind != meetlinev1.ParticipantKind_PARTICIPANT_KIND_PHONE || phone.Username != "Phone ••• 42" ||
				phone.Status != meetlinev1.EntryStatus_ENTRY_STATUS_WAITING || !strings.HasPrefix(phone.Color, "#") {
				t.Fatalf("ListWaiting = %v, want the caller as a waiting phone participant", list)
			}
			if strings.Contains(list.String(), callerID[3:]) {
				t.Errorf("the list shows the number: %v", list)
			}

			if _, err := owner.lobby.Decide(ctx, &meetlinev1.DecideRequest{RoomId: room, ParticipantId: id, Allow: tt.allow}); err != nil {
				t.Fatal(err)
			}
			m := nextStatus(t, st, tt.want)
			if m.ParticipantId != id {
				t.Errorf("decision for participant %q, want %q", m.ParticipantId, id)
			}
			if tt.allow {
				wantAdmitted(t, m, room)
			} else if m.LivekitRoom != "" {
				t.Errorf("a denied caller gets a LiveKit room: %v", m)
			}
			wantEnd(t, st)
			list, err = owner.lobby.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: room})
			if err != nil || len(list.Participants) != 1 || list.Participants[0].Id != web.Participant.Id {
				t.Errorf("after the decision ListWaiting = %v, %v; want the web participant only", list, err)
			}
		})
	}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), callerID[3:]) {
			t.Errorf("the log shows the number:\n%s", logs)
		}
		for key, value := range valkeyStrings(t, s.kv) {
			if strings.Contains(key+value, callerID[3:]) {
				t.Errorf("Valkey holds the number: %s = %s", key, value)
			}
		}
	})
}

// valkeyStrings returns the string values under the client's prefix, by key.
func valkeyStrings(t *testing.T, kv *valkey.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	var cursor uint64
	for {
		e, err := kv.Do(ctx, kv.B().Scan().Cursor(cursor).Match(kv.Prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range e.Elements {
			out[k], _ = kv.Do(ctx, kv.B().Get().Key(k).Build()).ToString() // not a string: the key alone
		}
		if cursor = e.Cursor; cursor == 0 {
			return out
		}
	}
}

// TestJoinRoomSameCall: a stream sipgate opens again for the same call
// (same Call-ID) finds the caller's entry instead of making a second one.
func TestJoinRoomSameCall(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	owner := s.clients(s.token(t, t.Name()+"-owner"))
	room := newRoom(t, owner, meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED, nil)
	callID := uuid.NewString()
	first := s.joinRoom(t, ctx, room, callID)
	id := nextStatus(t, first, meetlinev1.CallStatus_CALL_STATUS_WAITING_IN_LOBBY).ParticipantId
	again := s.joinRoom(t, ctx, room, callID)
	if got := nextStatus(t, again, meetlinev1.CallStatus_CALL_STATUS_WAITING_IN_LOBBY).ParticipantId; got != id {
		t.Errorf("the same call has participant %s, then %s", id, got)
	}
	list, err := owner.lobby.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: room})
	if err != nil || len(list.Participants) != 1 {
		t.Fatalf("ListWaiting = %v, %v; want one entry", list, err)
	}
	if _, err := owner.lobby.Decide(ctx, &meetlinev1.DecideRequest{RoomId: room, ParticipantId: id, Allow: true}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []*joinStream{first, again} {
		nextStatus(t, st, meetlinev1.CallStatus_CALL_STATUS_ADMITTED)
		wantEnd(t, st)
	}
}

// TestJoinRoomEnds: the end of the meeting (LiveKit's room_finished) or the
// room's deletion ends a caller's wait, whether for the host or in the lobby.
// A new meeting starting right after the end does not hide it, however the
// signals merge.
func TestJoinRoomEnds(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	owner := s.clients(s.token(t, t.Name()+"-owner"))
	finish := func(t *testing.T, room string) {
		s.liveKitEvent(t, &lkproto.WebhookEvent{Event: "room_finished", Room: &lkproto.Room{Name: room}})
	}
	tests := []struct {
		name    string
		level   meetlinev1.AccessLevel
		waiting meetlinev1.CallStatus
		end     func(t *testing.T, room string)
	}{
		{"meeting ends", meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC, meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST, finish},
		{"meeting ends", meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED, meetlinev1.CallStatus_CALL_STATUS_WAITING_IN_LOBBY, finish},
		{"meeting ends and another starts", meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC, meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST,
			func(t *testing.T, room string) {
				finish(t, room)
				s.liveKitEvent(t, &lkproto.WebhookEvent{Event: "room_started", Room: &lkproto.Room{Name: room}})
				s.liveKitEvent(t, webJoined(room))
			}},
		{"room deleted", meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC, meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST, nil},
		{"room deleted", meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED, meetlinev1.CallStatus_CALL_STATUS_WAITING_IN_LOBBY, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.level.String(), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			room := newRoom(t, owner, tt.level, nil)
			st := s.joinRoom(t, ctx, room, uuid.NewString())
			nextStatus(t, st, tt.waiting)
			if tt.end != nil {
				tt.end(t, room)
			} else if _, err := owner.rooms.DeleteRoom(ctx, &meetlinev1.DeleteRoomRequest{Id: room}); err != nil {
				t.Fatal(err)
			}
			if m := nextStatus(t, st, meetlinev1.CallStatus_CALL_STATUS_ROOM_ENDED); m.LivekitRoom != "" {
				t.Errorf("ROOM_ENDED with a LiveKit room: %v", m)
			}
			wantEnd(t, st)
		})
	}
}

// TestJoinRoomHangUp: a caller who hangs up while in the lobby leaves it at
// once, and the administrators' stream shows it. The waiting TTL is long
// here, so only the removal, not an expiry, can explain it.
func TestJoinRoomHangUp(t *testing.T) {
	t.Parallel()
	s := stackOf(testenv.Core(t, testenv.WithConfig(ruleSettings), testenv.WithConfig(func(c *app.Config) {
		c.LobbyTTLs = core.LobbyTTLs{Waiting: time.Minute, Accepted: time.Hour, Denied: time.Minute}
	})))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	owner := s.clients(s.token(t, t.Name()+"-owner"))
	room := newRoom(t, owner, meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED, nil)
	waiting, err := owner.lobby.WatchWaiting(ctx, &meetlinev1.WatchWaitingRequest{RoomId: room})
	if err != nil {
		t.Fatal(err)
	}
	if !waiting.Receive() || len(waiting.Msg().Participants) != 0 {
		t.Fatalf("first list: %v %v", waiting.Msg(), waiting.Err())
	}
	callCtx, hangUp := context.WithCancel(ctx)
	defer hangUp()
	st := s.joinRoom(t, callCtx, room, uuid.NewString())
	id := nextStatus(t, st, meetlinev1.CallStatus_CALL_STATUS_WAITING_IN_LOBBY).ParticipantId
	if !waiting.Receive() || len(waiting.Msg().Participants) != 1 || waiting.Msg().Participants[0].Id != id {
		t.Fatalf("after the call: %v %v", waiting.Msg(), waiting.Err())
	}
	hangUp()
	if !waiting.Receive() || len(waiting.Msg().Participants) != 0 {
		t.Fatalf("after the hang-up: %v %v", waiting.Msg(), waiting.Err())
	}
	if _, err := s.server.Lobby.FindEntry(ctx, room, id); core.Code(err) != core.ENOTFOUND {
		t.Errorf("entry after the hang-up: %v", err)
	}
	if body := scrape(t, s.admin); !strings.Contains(body, `meetline_phone_joins_total{outcome="abandoned"} 1`) {
		t.Errorf("abandoned call not counted:\n%s", body)
	}
}

// violatedField is the field a google.rpc.BadRequest detail of err names.
func violatedField(err error) string {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return ""
	}
	for _, d := range ce.Details() {
		if v, err := d.Value(); err == nil {
			if br, ok := v.(*errdetails.BadRequest); ok && len(br.FieldViolations) > 0 {
				return br.FieldViolations[0].Field
			}
		}
	}
	return ""
}

func TestJoinRoomErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	owner := s.clients(s.token(t, t.Name()+"-owner"))
	res, err := owner.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: testenv.Name("Slugged ")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, room string
		code       connect.Code
		field      string
	}{
		{"unknown room", uuid.NewString(), connect.CodeNotFound, ""},
		{"empty room id", "", connect.CodeInvalidArgument, "room_id"},
		{"not a room id", "not-a-room", connect.CodeInvalidArgument, "room_id"},
		{"a slug", res.Room.Slug, connect.CodeInvalidArgument, "room_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := s.joinRoom(t, ctx, tt.room, "errors")
			if st.Receive() {
				t.Fatalf("JoinRoom(%q) sent %v", tt.room, st.Msg())
			}
			if err := st.Err(); connect.CodeOf(err) != tt.code || violatedField(err) != tt.field {
				t.Errorf("JoinRoom(%q) = %v (field %q), want %v on %q", tt.room, err, violatedField(err), tt.code, tt.field)
			}
		})
	}
}

// TestJoinRoomEndToEnd runs a livekit-server of the test's own that posts its
// real webhooks to the core: a caller waiting for the host of a public room
// is admitted when an SDK client joins it, and a caller in the lobby of a
// restricted room is announced to the people in it with participantWaiting.
func TestJoinRoomEndToEnd(t *testing.T) {
	t.Parallel()
	s := newStackWithLiveKit(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	owner := s.clients(s.token(t, t.Name()+"-owner"))
	join := func(room string, cb *lksdk.RoomCallback) *lksdk.Room {
		t.Helper()
		got, err := owner.rooms.GetRoom(ctx, &meetlinev1.GetRoomRequest{Room: room})
		if err != nil {
			t.Fatal(err)
		}
		r, err := lksdk.ConnectToRoomWithToken(got.Room.Livekit.Url, got.Room.Livekit.Token, cb, lksdk.WithAutoSubscribe(false))
		if err != nil {
			t.Fatalf("SDK client cannot join: %v", err)
		}
		t.Cleanup(r.Disconnect)
		return r
	}

	public := newRoom(t, owner, meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC, nil)
	st := s.joinRoom(t, ctx, public, uuid.NewString())
	nextStatus(t, st, meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST)
	start := time.Now()
	join(public, lksdk.NewRoomCallback())
	wantAdmitted(t, nextStatus(t, st, meetlinev1.CallStatus_CALL_STATUS_ADMITTED), public)
	t.Logf("SDK join → ADMITTED: %v", time.Since(start))

	restricted := newRoom(t, owner, meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED, nil)
	data := make(chan string, 4)
	cb := lksdk.NewRoomCallback()
	cb.OnDataPacket = func(p lksdk.DataPacket, _ lksdk.DataReceiveParams) {
		if u, ok := p.(*lksdk.UserDataPacket); ok {
			data <- string(u.Payload)
		}
	}
	join(restricted, cb)
	eventually(t, ctx, "presence to count the owner", func() bool {
		p, err := s.server.Presence.RoomPresence(ctx, restricted)
		return err == nil && p.Live && p.Web == 1
	})
	st = s.joinRoom(t, ctx, restricted, uuid.NewString())
	nextStatus(t, st, meetlinev1.CallStatus_CALL_STATUS_WAITING_IN_LOBBY)
	select {
	case msg := <-data:
		if msg != `{"type":"participantWaiting"}` {
			t.Errorf("data message = %s", msg)
		}
	case <-ctx.Done():
		t.Fatal("the room never received participantWaiting")
	}
}

// TestJoinRoomFirstCaller: a caller admitted into a room where LiveKit has
// another caller (whom presence does not count) is not told they are
// first; into an empty room, they are.
func TestJoinRoomFirstCaller(t *testing.T) {
	t.Parallel()
	ln := testenv.Listen(t)
	lkcfg := testenv.LiveKitServer(t, "http://"+ln.Addr().String()+"/webhooks/livekit")
	s := stackOf(testenv.Core(t, testenv.WithConfig(ruleSettings), testenv.WithListener(ln), testenv.WithLiveKit(lkcfg)))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	owner := s.clients(s.token(t, t.Name()+"-owner"))
	room := newRoom(t, owner, meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC, map[string]any{"phone_callers_first": true})

	m := nextStatus(t, s.joinRoom(t, ctx, room, uuid.NewString()), meetlinev1.CallStatus_CALL_STATUS_ADMITTED)
	if !m.First {
		t.Errorf("the caller of an empty room is not first: %v", m)
	}
	joinPhone(t, lkcfg, room, uuid.NewString(), lksdk.NewRoomCallback())
	m = nextStatus(t, s.joinRoom(t, ctx, room, uuid.NewString()), meetlinev1.CallStatus_CALL_STATUS_ADMITTED)
	if m.First {
		t.Errorf("the second caller is first: %v", m)
	}
}
