package sipgate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// spokenWithin reports whether sipgate spoke to u (more than a few packets of prompt) within d.
func (u *uac) spokenWithin(d time.Duration) bool {
	before := u.spoken.Load()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if u.spoken.Load() > before+25 { // half a second of prompt
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestHostActsOnBridgedCaller: the first caller into an empty room hears so, a second caller does not; the
// room's owner mutes a caller through the API: LiveKit mutes its track and the caller hears "The host muted
// you" in its own RTP stream, without a gap; "*6" is then refused, as the room forbids self-unmute; the
// owner removes the caller: the caller hears goodbye, then sipgate's BYE names the removal, and the caller
// has left LiveKit's room.
func TestHostActsOnBridgedCaller(t *testing.T) {
	b := startBridge(t, bridgeCalls(), nil)
	room := b.createRoom(t, core.AccessPublic, "7320", []byte(`{"phone_callers_first":true,"allow_self_unmute":false}`))
	first := b.dialBridged(t, "7320")
	b.gw.bridged(t, 1)
	if !first.spokenWithin(5 * time.Second) {
		t.Error("the first caller did not hear that they are first")
	}
	eventually(t, "the first caller's audio track", func() bool {
		ps := b.sipParticipants(t, room.ID)
		return len(ps) == 1 && len(ps[0].Tracks) == 1
	})
	second := b.dialBridged(t, "7320")
	b.gw.bridged(t, 2)
	if second.spokenWithin(3 * time.Second) {
		t.Error("the second caller heard something once bridged: they are not first")
	}

	id := first.sess.InviteRequest.CallID().Value()
	identity := ""
	for _, p := range b.sipParticipants(t, room.ID) {
		if p.Attributes["meet.call_id"] == id {
			identity = p.Identity
		}
	}
	if identity == "" {
		t.Fatal("the first caller is not in LiveKit's room")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	host := meetlinev1connect.NewParticipantServiceClient(testenv.Client(b.srv.Token(t, "owner")), b.url)
	start := time.Now()
	if _, err := host.MuteParticipant(ctx, &meetlinev1.MuteParticipantRequest{RoomId: room.ID, Identity: identity, Muted: true}); err != nil {
		t.Fatalf("MuteParticipant: %v", err)
	}
	if !first.spokenWithin(5 * time.Second) {
		t.Fatal("the caller did not hear that the host muted them")
	}
	t.Logf("host's mute → prompt heard: %v", time.Since(start))
	muted := func() bool {
		for _, p := range b.sipParticipants(t, room.ID) {
			if p.Identity == identity {
				return len(p.Tracks) == 1 && p.Tracks[0].Muted
			}
		}
		return false
	}
	if !muted() {
		t.Fatal("the host's mute did not reach LiveKit")
	}
	time.Sleep(3 * time.Second) // the prompt ends
	first.keys("*6")
	eventually(t, "the refusal spoken", func() bool {
		return b.gw.metric(t, `sipgate_keypad_commands_total{command="toggle_mute"}`) == "1"
	})
	if !first.spokenWithin(5 * time.Second) {
		t.Error("the caller did not hear why *6 changed nothing")
	}
	if !muted() {
		t.Error("*6 unmuted a caller the host muted in a room without self-unmute")
	}

	start = time.Now()
	if _, err := host.RemoveParticipant(ctx, &meetlinev1.RemoveParticipantRequest{RoomId: room.ID, Identity: identity}); err != nil {
		t.Fatalf("RemoveParticipant: %v", err)
	}
	spoken := first.spoken.Load()
	first.waitBye(15 * time.Second)
	t.Logf("host's removal → BYE: %v, after %d packets of goodbye", time.Since(start), first.spoken.Load()-spoken)
	if n := first.spoken.Load() - spoken; n < 50 {
		t.Errorf("%d packets spoken before the BYE, want the goodbye (over a second)", n)
	}
	if r := first.byeReason.Load(); r == nil || !strings.Contains(*r, `text="removed"`) {
		t.Errorf("BYE Reason = %v, want one naming the removal", r)
	}
	if g := first.gaps.Load(); g != 0 {
		t.Errorf("%d discontinuities in the caller's RTP stream", g)
	}
	eventually(t, "the removed caller gone from LiveKit", func() bool { return len(b.sipParticipants(t, room.ID)) == 1 })
	// The call is counted once its script has ended, a moment after the BYE left.
	eventually(t, "the call counted as removed", func() bool { return b.gw.metric(t, `sipgate_calls_total{outcome="removed"}`) == "1" })
	if code := second.bye(ctx); code != sip.StatusOK {
		t.Fatalf("BYE: %d", code)
	}
}
