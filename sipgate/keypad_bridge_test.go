package sipgate

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/meetline/meetline/core"
)

// TestKeypadCommandsInTheMeeting: a bridged caller's "*6" mutes its track in LiveKit and "*6" again
// unmutes it, "*9" raises its hand (the meet.hand attribute), "*0" only speaks; each answer is spoken to
// the caller. The delay from the last key's first packet to LiveKit's new state is logged.
func TestKeypadCommandsInTheMeeting(t *testing.T) {
	b := startBridge(t, bridgeCalls(), nil)
	room := b.createRoom(t, core.AccessPublic, "7319", []byte(`{"phone_callers_first":true}`))
	u := b.dialBridged(t, "7319")
	b.gw.bridged(t, 1)
	phone := func() *lkproto.ParticipantInfo {
		if ps := b.sipParticipants(t, room.ID); len(ps) == 1 {
			return ps[0]
		}
		return nil
	}
	muted := func() (bool, bool) {
		p := phone()
		if p == nil || len(p.Tracks) != 1 {
			return false, false
		}
		return p.Tracks[0].Muted, true
	}
	eventually(t, "the caller's audio track", func() bool { _, ok := muted(); return ok })

	press := func(keys string, what string, done func() bool) {
		t.Helper()
		spoken := u.spoken.Load()
		u.keys(keys[:1])
		start := time.Now()
		u.keys(keys[1:])
		eventually(t, what, done)
		t.Logf("%s → %s: %v after the command key", keys, what, time.Since(start))
		eventually(t, "the spoken answer", func() bool { return u.spoken.Load() > spoken+10 })
	}
	press("*6", "muted in LiveKit", func() bool { m, ok := muted(); return ok && m })
	press("*9", "the hand raised", func() bool { p := phone(); return p != nil && p.Attributes[core.AttrHand] == "raised" })
	press("*6", "unmuted in LiveKit", func() bool { m, ok := muted(); return ok && !m })
	press("*0", "the menu", func() bool { return b.gw.metric(t, `sipgate_keypad_commands_total{command="status"}`) == "1" })
	for cmd, want := range map[string]string{"toggle_mute": "2", "toggle_hand": "1", "status": "1"} {
		if got := b.gw.metric(t, `sipgate_keypad_commands_total{command="`+cmd+`"}`); got != want {
			t.Errorf("keypad commands %s = %s, want %s", cmd, got, want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if code := u.bye(ctx); code != sip.StatusOK {
		t.Fatalf("BYE: %d", code)
	}
}

// BenchmarkKeypadMute measures a bridged caller's "*6" from the first RTP packet of its "6" to a host in
// the meeting (the Go SDK, as a browser) being told the caller's track is muted, or unmuted: the whole
// chain of sipgate's relay and DTMF receiver, the core's PhoneCommand, LiveKit's mute and LiveKit's
// signal to the host. It reports the mean (ms/press) and the p50 and p99 of the presses.
//
//	go test -run '^$' -bench KeypadMute -benchtime 40x ./sipgate/
func BenchmarkKeypadMute(b *testing.B) {
	s := startBridge(b, bridgeCalls(), nil)
	room := s.createRoom(b, core.AccessPublic, "7321", []byte(`{"phone_callers_first":true}`))
	states := make(chan bool, 16)
	cb := lksdk.NewRoomCallback()
	cb.ParticipantCallback.OnTrackMuted = func(_ lksdk.TrackPublication, p lksdk.Participant) {
		if p.Kind() == lksdk.ParticipantSIP {
			states <- true
		}
	}
	cb.ParticipantCallback.OnTrackUnmuted = func(_ lksdk.TrackPublication, p lksdk.Participant) {
		if p.Kind() == lksdk.ParticipantSIP {
			states <- false
		}
	}
	s.joinWebWith(b, room.ID, "host", cb)
	u := s.dialBridged(b, "7321")
	s.gw.bridged(b, 1)
	eventually(b, "the caller's audio track", func() bool {
		ps := s.sipParticipants(b, room.ID)
		return len(ps) == 1 && len(ps[0].Tracks) == 1
	})
	var took []time.Duration
	muted := false
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		u.keys("*")
		b.StartTimer()
		start := time.Now()
		u.keys("6")
		muted = !muted
		select {
		case got := <-states:
			if got != muted {
				b.Fatalf("the host saw muted %v, want %v", got, muted)
			}
		case <-time.After(10 * time.Second):
			b.Fatalf("the host never saw muted %v", muted)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(sum)/float64(len(took)), "ms/press")
	b.ReportMetric(ms(took[len(took)/2]), "p50-ms")
	b.ReportMetric(ms(took[(len(took)*99)/100]), "p99-ms")
}

// TestKeysReachTheRoomOnce: every key a bridged caller types, commands included, reaches the room once as
// LiveKit's SIP service tells it (a SipDTMF data packet, which a host in the meeting receives), and in order.
func TestKeysReachTheRoomOnce(t *testing.T) {
	b := startBridge(t, bridgeCalls(), nil)
	room := b.createRoom(t, core.AccessPublic, "7322", []byte(`{"phone_callers_first":true}`))
	var mu sync.Mutex
	var got []byte
	cb := lksdk.NewRoomCallback()
	cb.OnDataPacket = func(p lksdk.DataPacket, _ lksdk.DataReceiveParams) {
		if d, ok := p.(*lkproto.SipDTMF); ok {
			mu.Lock()
			got = append(got, d.Digit...)
			mu.Unlock()
		}
	}
	b.joinWebWith(t, room.ID, "host", cb)
	u := b.dialBridged(t, "7322")
	b.gw.bridged(t, 1)
	const typed = "4*1*6#09"
	u.keys(typed)
	keys := func() string { mu.Lock(); defer mu.Unlock(); return string(got) }
	eventually(t, "every key in the room", func() bool { return len(keys()) >= len(typed) })
	time.Sleep(time.Second) // a key told twice would come by now
	if keys() != typed {
		t.Errorf("the room was told %q, want %q", keys(), typed)
	}
	if got := b.gw.metric(t, `sipgate_keypad_commands_total{command="toggle_mute"}`); got != "1" {
		t.Errorf("toggle_mute commands = %s, want 1 (*6; *1 is none)", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if code := u.bye(ctx); code != sip.StatusOK {
		t.Fatalf("BYE: %d", code)
	}
}
