package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// sign returns the Authorization LiveKit would send for body: a bare JWT
// whose sha256 claim is the body's hash, signed with the API key pair.
func sign(t testing.TB, key, secret string, body []byte) string {
	t.Helper()
	sum := sha256.Sum256(body)
	tok, err := auth.NewAccessToken(key, secret).SetValidFor(time.Minute).
		SetSha256(base64.StdEncoding.EncodeToString(sum[:])).ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func event(t testing.TB, ev *lkproto.WebhookEvent) []byte {
	t.Helper()
	b, err := protojson.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func postWebhook(t testing.TB, url, authorization string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/webhooks/livekit", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/webhook+json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

func TestLiveKitWebhookRejects(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	key, secret := testenv.Getenv(t, "LIVEKIT_API_KEY"), testenv.Getenv(t, "LIVEKIT_API_SECRET")
	good := event(t, &lkproto.WebhookEvent{Id: "EV_reject", Event: "room_started", Room: &lkproto.Room{Name: "r1"}})
	tests := []struct {
		name   string
		auth   string
		body   []byte
		status int
	}{
		{"unsigned", "", good, 401},
		{"signed by another key", sign(t, "otherkey", "another-secret-of-enough-length!!", good), good, 401},
		{"re-signed with another secret", sign(t, key, "another-secret-of-enough-length!!", good), good, 401},
		{"Bearer prefix", "Bearer " + sign(t, key, secret, good), good, 401},
		{"truncated body", sign(t, key, secret, good), good[:len(good)-5], 401},
		{"garbage token", "not-a-jwt", good, 401},
		{"signed garbage", sign(t, key, secret, []byte("{not json")), []byte("{not json"), 400},
		{"signed non-event", sign(t, key, secret, []byte(`{"hello":"world"}`)), []byte(`{"hello":"world"}`), 400},
		{"over 1 MiB", sign(t, key, secret, good), bytes.Repeat([]byte(" "), 1<<20+1), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := postWebhook(t, s.url, tt.auth, tt.body); status != tt.status {
				t.Errorf("status %d (%s), want %d", status, body, tt.status)
			}
		})
	}
	if p, _ := s.server.Presence.RoomPresence(context.Background(), "r1"); p.Live {
		t.Error("a rejected webhook changed presence")
	}
}

func TestLiveKitWebhookEvents(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) { srv.Webhooks.RoomFilter = regexp.MustCompile(`^[0-9a-f-]{36}$|^room-`) })
	ctx := context.Background()
	key, secret := testenv.Getenv(t, "LIVEKIT_API_KEY"), testenv.Getenv(t, "LIVEKIT_API_SECRET")
	n := 0
	send := func(ev *lkproto.WebhookEvent) (int, string) {
		n++
		if ev.Id == "" {
			ev.Id = fmt.Sprintf("EV_%s_%d", t.Name(), n)
		}
		b := event(t, ev)
		return postWebhook(t, s.url, sign(t, key, secret, b), b)
	}
	presence := func(room string) (bool, int) {
		p, err := s.server.Presence.RoomPresence(ctx, room)
		if err != nil {
			t.Fatal(err)
		}
		return p.Live, p.Web
	}
	room := &lkproto.Room{Name: "room-1"}
	if st, body := send(&lkproto.WebhookEvent{Event: "room_started", Room: room}); st != 200 || body != "processed" {
		t.Fatalf("room_started = %d %s", st, body)
	}
	join := &lkproto.WebhookEvent{Id: "EV_join_alice", Event: "participant_joined", Room: room,
		Participant: &lkproto.ParticipantInfo{Identity: "alice", Kind: lkproto.ParticipantInfo_STANDARD}}
	send(join)
	if st, body := send(join); st != 200 || body != "duplicate" {
		t.Errorf("redelivery = %d %s", st, body)
	}
	send(&lkproto.WebhookEvent{Event: "participant_joined", Room: room,
		Participant: &lkproto.ParticipantInfo{Identity: "sip_caller", Kind: lkproto.ParticipantInfo_SIP}})
	if live, web := presence("room-1"); !live || web != 1 {
		t.Errorf("presence = %v %d, want live with 1 web participant (callers do not count)", live, web)
	}
	if st, body := send(&lkproto.WebhookEvent{Event: "track_published", Room: room}); st != 200 || body != "processed" {
		t.Errorf("other event = %d %s", st, body)
	}
	for _, ignored := range []string{"connection-test-123", "not-ours"} {
		if st, body := send(&lkproto.WebhookEvent{Event: "room_started", Room: &lkproto.Room{Name: ignored}}); st != 200 || body != "ignored" {
			t.Errorf("room %s = %d %s", ignored, st, body)
		}
		if live, _ := presence(ignored); live {
			t.Errorf("ignored room %s is live", ignored)
		}
	}

	// room_finished clears the lobby and presence.
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	guest, err := s.lobby("").RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Waiting"})
	if err != nil {
		t.Fatal(err)
	}
	send(&lkproto.WebhookEvent{Event: "participant_left", Room: room, Participant: &lkproto.ParticipantInfo{Identity: "alice"}})
	if _, web := presence("room-1"); web != 0 {
		t.Errorf("after alice left: %d web participants", web)
	}
	send(&lkproto.WebhookEvent{Event: "room_finished", Room: &lkproto.Room{Name: f.room.Id}})
	if _, err := s.server.Lobby.FindEntry(ctx, f.room.Id, guest.Participant.Id); err == nil {
		t.Error("room_finished left the lobby entry")
	}
	if body := scrape(t, s.admin); !strings.Contains(body, `meetline_webhook_events_total{event="track_published",source="livekit",status="OK"} 1`) {
		t.Errorf("webhook metric missing:\n%s", body)
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestLiveKitEndToEnd runs a livekit-server of the test's own that posts
// its real, signed webhooks to the core under test. A Go SDK client joins a
// room (presence counts it), and when a guest asks to enter the room's lobby
// the client receives the participantWaiting data message.
func TestLiveKitEndToEnd(t *testing.T) {
	t.Parallel()
	s := newStackWithLiveKit(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")

	got, err := cs[owner].rooms.GetRoom(ctx, &meetlinev1.GetRoomRequest{Room: f.room.Id})
	if err != nil {
		t.Fatal(err)
	}
	data := make(chan string, 4)
	cb := lksdk.NewRoomCallback()
	cb.OnDataPacket = func(p lksdk.DataPacket, _ lksdk.DataReceiveParams) {
		if u, ok := p.(*lksdk.UserDataPacket); ok {
			data <- string(u.Payload)
		}
	}
	room, err := lksdk.ConnectToRoomWithToken(got.Room.Livekit.Url, got.Room.Livekit.Token, cb, lksdk.WithAutoSubscribe(false))
	if err != nil {
		t.Fatalf("SDK client cannot join: %v", err)
	}
	defer room.Disconnect()

	eventually(t, ctx, "presence to count the owner", func() bool {
		p, err := s.server.Presence.RoomPresence(ctx, f.room.Id)
		return err == nil && p.Live && p.Web == 1
	})
	if _, err := s.lobby("").RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Knocking"}); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-data:
		if msg != `{"type":"participantWaiting"}` {
			t.Errorf("data message = %s", msg)
		}
	case <-ctx.Done():
		t.Fatal("the client never received participantWaiting")
	}
	room.Disconnect()
	eventually(t, ctx, "presence to see the owner leave", func() bool {
		p, err := s.server.Presence.RoomPresence(ctx, f.room.Id)
		return err == nil && p.Web == 0
	})

	// A lost webhook is repaired by reconciliation with LiveKit's own list.
	if err := s.server.Presence.Reconcile(ctx, "ghost-room", []string{"nobody"}); err != nil {
		t.Fatal(err)
	}
	if err := s.server.ReconcilePresence(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.server.Presence.RoomPresence(ctx, "ghost-room"); p.Live {
		t.Error("reconciliation left a room live that LiveKit does not have")
	}
}

func eventually(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// failingPresence fails RoomFinished once, as Valkey would on a blip.
type failingPresence struct {
	core.Presence
	failed atomic.Bool
}

func (p *failingPresence) RoomFinished(ctx context.Context, room string) error {
	if p.failed.CompareAndSwap(false, true) {
		return errors.New("valkey unavailable")
	}
	return p.Presence.RoomFinished(ctx, room)
}

// TestLiveKitWebhookRetryAfterFailure fails room_finished once: the 500 makes
// LiveKit redeliver the same event id, which must then be applied, not
// dropped as a duplicate; once applied, a further redelivery is one.
func TestLiveKitWebhookRetryAfterFailure(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) { srv.Presence = &failingPresence{Presence: srv.Presence} })
	ctx := context.Background()
	key, secret := testenv.Getenv(t, "LIVEKIT_API_KEY"), testenv.Getenv(t, "LIVEKIT_API_SECRET")
	send := func(ev *lkproto.WebhookEvent) (int, string) {
		b := event(t, ev)
		return postWebhook(t, s.url, sign(t, key, secret, b), b)
	}
	room := &lkproto.Room{Name: "room-retry"}
	if st, body := send(&lkproto.WebhookEvent{Id: "EV_start_retry", Event: "room_started", Room: room}); st != 200 {
		t.Fatalf("room_started = %d %s", st, body)
	}
	finished := &lkproto.WebhookEvent{Id: "EV_finish_retry", Event: "room_finished", Room: room}
	for i, want := range []struct {
		status int
		body   string
	}{{500, "failed"}, {200, "processed"}, {200, "duplicate"}} {
		if st, body := send(finished); st != want.status || body != want.body {
			t.Errorf("delivery %d = %d %s, want %d %s", i+1, st, body, want.status, want.body)
		}
	}
	if p, _ := s.server.Presence.RoomPresence(ctx, room.Name); p.Live {
		t.Error("the room is still live after its room_finished was redelivered")
	}
}
