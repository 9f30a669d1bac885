package standin_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	"github.com/pion/rtp"

	"github.com/meetline/meetline/core/livekit"
)

// TestCallJoinsRoom is the whole boundary: digest, dispatch by the real
// livekit-server, the participant LiveKit named in a room that did not
// exist before the call (the Callee rule creates it on join), RTP echoed,
// BYE → the participant leaves.
func TestCallJoinsRoom(t *testing.T) {
	t.Parallel()
	e := setup(t)
	u := newUAC(t, e)
	room := e.prefix + "room"
	headers := map[string]string{livekit.HeaderRoomID: "room-42", livekit.HeaderRole: "member", livekit.HeaderCallID: "call-7"}
	dlg, err := u.call(t, e, room, e.routing.AuthPassword, headers)
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	var p *lkproto.ParticipantInfo
	eventually(t, "the participant in the room", func() bool {
		ps := e.participants(t, room)
		if len(ps) == 1 {
			p = ps[0]
		}
		return p != nil
	})
	digits := strings.TrimPrefix(e.caller, "+")
	if p.Kind != lkproto.ParticipantInfo_SIP || p.Name != "Phone "+digits[len(digits)-4:] || strings.Contains(p.Identity, digits) {
		t.Errorf("participant kind %v, name %q, identity %q", p.Kind, p.Name, p.Identity)
	}
	for h, attr := range livekit.SIPHeadersToAttributes() {
		if p.Attributes[attr] != headers[h] {
			t.Errorf("attribute %s = %q, want header %s = %q", attr, p.Attributes[attr], h, headers[h])
		}
	}
	eventually(t, "the audio track", func() bool {
		ps := e.participants(t, room)
		return len(ps) == 1 && len(ps[0].Tracks) == 1 && ps[0].Tracks[0].Type == lkproto.TrackType_AUDIO
	})

	sent, echoed := echoRTP(t, u, answerAddr(t, dlg), 50)
	if echoed != sent {
		t.Errorf("echoed %d of %d RTP packets", echoed, sent)
	}
	calls := e.srv.Calls()
	if len(calls) != 1 || calls[0].PacketsIn != uint64(sent) || calls[0].PacketsOut != uint64(sent) || calls[0].Room != room {
		t.Errorf("Calls() = %+v", calls)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := dlg.Bye(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	eventually(t, "the participant to leave", func() bool { return len(e.participants(t, room)) == 0 })
	eventually(t, "the call to end", func() bool { c := e.srv.Calls(); return len(c) == 1 && c[0].Ended })
}

// echoRTP sends n PCMU packets to addr and counts those that come back.
func echoRTP(t *testing.T, u *uac, raddr *net.UDPAddr, n int) (sent, echoed int) {
	t.Helper()
	done := make(chan int)
	go func() {
		buf := make([]byte, 1500)
		got := 0
		for got < n {
			u.rtp.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, _, err := u.rtp.ReadFromUDP(buf); err != nil {
				break
			}
			got++
		}
		done <- got
	}()
	payload := make([]byte, 160)
	for i := range n {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i), Timestamp: uint32(160 * i), SSRC: 42}, Payload: payload}
		b, _ := p.Marshal()
		if _, err := u.rtp.WriteToUDP(b, raddr); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return n, <-done
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, err := newUAC(t, e).call(t, e, e.prefix+"room", "wrong", nil)
	if got := status(err); got != 401 && got != 403 {
		t.Errorf("call with a wrong password: %v, want 401 or 403", err)
	}
	if len(e.srv.Calls()) != 0 {
		t.Error("a refused call is listed")
	}
}

// TestUnknownSource calls from an address no trunk allows: LiveKit finds no
// trunk and the stand-in answers 404, as LiveKit's SIP service does.
func TestUnknownSource(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.callIP = "127.254.254.254"
	_, err := newUAC(t, e).call(t, e, e.prefix+"room", e.routing.AuthPassword, nil)
	if got := status(err); got != 404 {
		t.Errorf("call from an unknown address: %v, want 404", err)
	}
}

// TestRemovedParticipantHangsUp removes the participant from the room: the
// stand-in sends BYE, as LiveKit's SIP service does.
func TestRemovedParticipantHangsUp(t *testing.T) {
	t.Parallel()
	e := setup(t)
	u := newUAC(t, e)
	room := e.prefix + "room"
	if _, err := u.call(t, e, room, e.routing.AuthPassword, nil); err != nil {
		t.Fatalf("call: %v", err)
	}
	var identity string
	eventually(t, "the participant", func() bool {
		ps := e.participants(t, room)
		if len(ps) == 1 {
			identity = ps[0].Identity
		}
		return identity != ""
	})
	if _, err := e.rooms.RemoveParticipant(context.Background(), &lkproto.RoomParticipantIdentity{Room: room, Identity: identity}); err != nil {
		t.Fatalf("RemoveParticipant: %v", err)
	}
	select {
	case <-u.byes:
	case <-time.After(10 * time.Second):
		t.Fatal("no BYE after the participant was removed")
	}
}
