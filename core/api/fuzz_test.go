package api_test

import (
	"net/http"
	"testing"

	lkproto "github.com/livekit/protocol/livekit"

	"github.com/meetline/meetline/core/testenv"
)

// FuzzLiveKitWebhook signs arbitrary bodies with the real key, so that the
// fuzzer gets past the signature into the parser and the event handling: the
// handler must answer 200 or 400, never panic or fail.
func FuzzLiveKitWebhook(f *testing.F) {
	s := newStack(f)
	key, secret := testenv.Getenv(f, "LIVEKIT_API_KEY"), testenv.Getenv(f, "LIVEKIT_API_SECRET")
	for _, ev := range []*lkproto.WebhookEvent{
		{Id: "EV_1", Event: "room_started", Room: &lkproto.Room{Name: "r"}},
		{Id: "EV_2", Event: "participant_joined", Room: &lkproto.Room{Name: "r"}, Participant: &lkproto.ParticipantInfo{Identity: "a"}},
		{Id: "EV_3", Event: "room_finished", Room: &lkproto.Room{Name: "connection-test-1"}},
		{Event: "egress_ended", EgressInfo: &lkproto.EgressInfo{RoomName: "r"}},
	} {
		f.Add(event(f, ev))
	}
	f.Add([]byte(`{"event":"room_started","room":{"name":"` + string(make([]byte, 300)) + `"}}`))
	f.Add([]byte(`{"event":12}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if status, msg := postWebhook(t, s.url, sign(t, key, secret, body), body); status != http.StatusOK && status != http.StatusBadRequest {
			t.Fatalf("status %d (%s) for %q", status, msg, body)
		}
	})
}
