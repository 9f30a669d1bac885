package api_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/mock"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// meeting is a live room on a livekit-server of the test's own (which
// allows remote unmute, as deploy/ configures it): its owner is there on
// the web, and a phone caller joined as LiveKit's SIP service would, with
// the call id sipgate gave it, publishing its microphone.
type meeting struct {
	s      *stack
	cs     map[string]*clients
	room   string
	callID string
	phone  *lksdk.Room
	owner  *lksdk.Room
	// removed closes when LiveKit disconnects the phone participant.
	removed chan struct{}
}

func newMeeting(t *testing.T) *meeting {
	t.Helper()
	ln := testenv.Listen(t)
	lkcfg := testenv.LiveKitServer(t, "http://"+ln.Addr().String()+"/webhooks/livekit")
	s := stackOf(testenv.Core(t, testenv.WithConfig(ruleSettings), testenv.WithListener(ln), testenv.WithLiveKit(lkcfg)))
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	m := &meeting{s: s, cs: cs, room: f.room.Id, callID: uuid.NewString(), removed: make(chan struct{})}
	got, err := cs[owner].rooms.GetRoom(context.Background(), &meetlinev1.GetRoomRequest{Room: m.room})
	if err != nil {
		t.Fatal(err)
	}
	if m.owner, err = lksdk.ConnectToRoomWithToken(got.Room.Livekit.Url, got.Room.Livekit.Token, lksdk.NewRoomCallback(),
		lksdk.WithAutoSubscribe(false)); err != nil {
		t.Fatalf("the owner cannot join: %v", err)
	}
	t.Cleanup(m.owner.Disconnect)
	cb := lksdk.NewRoomCallback()
	cb.OnDisconnectedWithReason = func(r lksdk.DisconnectionReason) {
		if r != lksdk.LeaveRequested {
			close(m.removed)
		}
	}
	m.phone = joinPhone(t, lkcfg, m.room, m.callID, cb)
	return m
}

// joinPhone joins room as a SIP participant whose attributes are those
// LiveKit's SIP service copies from sipgate's headers, and publishes audio.
func joinPhone(t *testing.T, lkcfg livekit.Config, room, callID string, cb *lksdk.RoomCallback) *lksdk.Room {
	t.Helper()
	grant := &auth.VideoGrant{RoomJoin: true, Room: room}
	tok, err := auth.NewAccessToken(lkcfg.APIKey, lkcfg.APISecret).SetIdentity("sip_" + callID).SetName("Phone ••• 42").
		SetKind(lkproto.ParticipantInfo_SIP).SetVideoGrant(grant).SetValidFor(time.Hour).
		SetAttributes(map[string]string{livekit.AttrCallID: callID, livekit.AttrRoomID: room}).ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	r, err := lksdk.ConnectToRoomWithToken(lkcfg.URL, tok, cb, lksdk.WithAutoSubscribe(false))
	if err != nil {
		t.Fatalf("the phone participant cannot join: %v", err)
	}
	t.Cleanup(r.Disconnect)
	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: "phone",
		Source: lkproto.TrackSource_MICROPHONE}); err != nil {
		t.Fatalf("the phone participant cannot publish: %v", err)
	}
	// LiveKit lists a track once its media flows: send Opus silence (RFC
	// 6716 §3.1: one CELT frame of 20 ms) as a muted phone would.
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for ctx.Err() == nil {
			<-tick.C
			if track.WriteSample(media.Sample{Data: []byte{0xf8, 0xff, 0xfe}, Duration: 20 * time.Millisecond}, nil) != nil {
				return
			}
		}
	}()
	lk := livekit.New(lkcfg)
	wait, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	eventually(t, wait, "the phone's track to be published", func() bool {
		ps, err := lk.ListParticipants(ctx, room)
		return err == nil && slices.ContainsFunc(ps, func(p core.LiveParticipant) bool {
			return p.Identity == "sip_"+callID && len(p.AudioTracks()) == 1
		})
	})
	return r
}

func (m *meeting) identity() string { return "sip_" + m.callID }

// participant returns who as ListParticipants shows them to the owner.
func (m *meeting) participant(t *testing.T, identity string) *meetlinev1.LiveParticipant {
	t.Helper()
	res, err := m.cs[owner].participants.ListParticipants(context.Background(), &meetlinev1.ListParticipantsRequest{RoomId: m.room})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Participants {
		if p.Identity == identity {
			return p
		}
	}
	t.Fatalf("%s is not listed in %v", identity, res.Participants)
	return nil
}

func (m *meeting) command(t *testing.T, cmd meetlinev1.KeypadCommand) *meetlinev1.PhoneCommandResponse {
	t.Helper()
	res, err := m.cs[sipgate].telephony.PhoneCommand(context.Background(), &meetlinev1.PhoneCommandRequest{
		CallId: m.callID, RoomId: m.room, Command: cmd})
	if err != nil {
		t.Fatalf("PhoneCommand(%v): %v", cmd, err)
	}
	return res
}

// audioMuted reads the phone's microphone state from LiveKit itself.
func (m *meeting) audioMuted(t *testing.T) bool {
	t.Helper()
	ps, err := m.s.core.LiveKit.ListParticipants(context.Background(), m.room)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Identity == m.identity() {
			return p.AudioMuted()
		}
	}
	t.Fatal("the phone participant left")
	return false
}

// TestPhoneCommands: "*6" mutes and unmutes the caller's track in LiveKit,
// "*9" raises and lowers their hand, "*0" changes nothing; each answers the
// state and the number of people in the meeting.
func TestPhoneCommands(t *testing.T) {
	t.Parallel()
	m := newMeeting(t)
	const (
		mute   = meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_MUTE
		hand   = meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_HAND
		status = meetlinev1.KeypadCommand_KEYPAD_COMMAND_STATUS
	)
	steps := []struct {
		cmd        meetlinev1.KeypadCommand
		muted      bool
		handRaised bool
	}{
		{status, false, false},
		{mute, true, false},
		{hand, true, true},
		{status, true, true},
		{mute, false, true},
		{hand, false, false},
	}
	for _, st := range steps {
		res := m.command(t, st.cmd)
		if res.Muted != st.muted || res.HandRaised != st.handRaised || res.UnmuteRefused || res.Participants != 2 {
			t.Fatalf("PhoneCommand(%v) = %v, want muted %v, hand %v, 2 participants", st.cmd, res, st.muted, st.handRaised)
		}
		if got := m.audioMuted(t); got != st.muted {
			t.Fatalf("after %v LiveKit says muted = %v", st.cmd, got)
		}
		if p := m.participant(t, m.identity()); !p.Phone || p.Muted != st.muted || p.HandRaised != st.handRaised {
			t.Fatalf("after %v the list shows %v", st.cmd, p)
		}
	}
}

// TestPhoneCommandErrors: what sipgate can get wrong, and a call that is
// not (or no longer) in the room.
func TestPhoneCommandErrors(t *testing.T) {
	t.Parallel()
	m := newMeeting(t)
	ctx := context.Background()
	tests := []struct {
		name string
		req  *meetlinev1.PhoneCommandRequest
		code connect.Code
	}{
		{"no call id", &meetlinev1.PhoneCommandRequest{RoomId: m.room, Command: 1}, connect.CodeInvalidArgument},
		{"no room", &meetlinev1.PhoneCommandRequest{CallId: m.callID, Command: 1}, connect.CodeInvalidArgument},
		{"no command", &meetlinev1.PhoneCommandRequest{CallId: m.callID, RoomId: m.room}, connect.CodeInvalidArgument},
		{"unknown command", &meetlinev1.PhoneCommandRequest{CallId: m.callID, RoomId: m.room, Command: 99}, connect.CodeInvalidArgument},
		{"unknown room", &meetlinev1.PhoneCommandRequest{CallId: m.callID, RoomId: uuid.NewString(), Command: 1}, connect.CodeNotFound},
		{"another call", &meetlinev1.PhoneCommandRequest{CallId: uuid.NewString(), RoomId: m.room, Command: 1}, connect.CodeNotFound},
	}
	for _, tt := range tests {
		if _, err := m.cs[sipgate].telephony.PhoneCommand(ctx, tt.req); connect.CodeOf(err) != tt.code {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.code)
		}
	}
	m.phone.Disconnect()
	eventually(t, ctx, "the caller to leave", func() bool {
		_, err := m.cs[sipgate].telephony.PhoneCommand(ctx, &meetlinev1.PhoneCommandRequest{CallId: m.callID, RoomId: m.room, Command: 3})
		return connect.CodeOf(err) == connect.CodeNotFound
	})
}

// TestHostMutesPhoneCaller: a host's mute holds the caller; "*6" lifts it
// while the room allows self-unmute (the default) and is refused once
// "allow_self_unmute" is false; the host's unmute lifts it.
func TestHostMutesPhoneCaller(t *testing.T) {
	t.Parallel()
	m := newMeeting(t)
	ctx := context.Background()
	hostMute := func(muted bool) *meetlinev1.LiveParticipant {
		t.Helper()
		res, err := m.cs[admin].participants.MuteParticipant(ctx, &meetlinev1.MuteParticipantRequest{
			RoomId: m.room, Identity: m.identity(), Muted: muted})
		if err != nil {
			t.Fatalf("MuteParticipant(%v): %v", muted, err)
		}
		return res.Participant
	}
	if p := hostMute(true); !p.Muted || !p.HostMuted || !m.audioMuted(t) {
		t.Fatalf("host mute: %v", p)
	}
	if res := m.command(t, meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_MUTE); res.Muted || res.UnmuteRefused || m.audioMuted(t) {
		t.Fatalf("*6 in a room allowing self-unmute: %v", res)
	}
	if p := m.participant(t, m.identity()); p.HostMuted {
		t.Fatalf("the caller's own unmute left the host's mark: %v", p)
	}

	cfg, _ := structpb.NewStruct(map[string]any{"allow_self_unmute": false})
	if _, err := m.cs[owner].rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: m.room, Configuration: cfg}); err != nil {
		t.Fatal(err)
	}
	hostMute(true)
	if res := m.command(t, meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_MUTE); !res.Muted || !res.UnmuteRefused || !m.audioMuted(t) {
		t.Fatalf("*6 after a host's mute in a room without self-unmute: %v", res)
	}
	if p := hostMute(false); p.Muted || p.HostMuted || m.audioMuted(t) {
		t.Fatalf("host unmute: %v", p)
	}
	// Muting oneself is always allowed, and unmuting what one muted.
	for _, want := range []bool{true, false} {
		if res := m.command(t, meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_MUTE); res.Muted != want || res.UnmuteRefused {
			t.Fatalf("*6 = %v, want muted %v", res, want)
		}
	}
}

// TestModerateParticipants: hosts rename and remove a phone caller; the
// role rules and every bad request.
func TestModerateParticipants(t *testing.T) {
	t.Parallel()
	m := newMeeting(t)
	ctx := context.Background()
	ownerID := m.owner.LocalParticipant.Identity()

	list, err := m.cs[admin].participants.ListParticipants(ctx, &meetlinev1.ListParticipantsRequest{RoomId: m.room})
	if err != nil || len(list.Participants) != 2 {
		t.Fatalf("ListParticipants = %v, %v", list, err)
	}
	if p := m.participant(t, ownerID); p.Phone || p.Role != meetlinev1.Role_ROLE_OWNER || !p.Muted {
		t.Errorf("the owner, on the web without a microphone, is listed as %v", p)
	}

	res, err := m.cs[admin].participants.RenameParticipant(ctx, &meetlinev1.RenameParticipantRequest{
		RoomId: m.room, Identity: m.identity(), Name: "  Reception desk "})
	if err != nil || res.Participant.Name != "Reception desk" {
		t.Fatalf("RenameParticipant = %v, %v", res, err)
	}
	if p := m.participant(t, m.identity()); p.Name != "Reception desk" {
		t.Errorf("after renaming, the list shows %v", p)
	}

	tests := []struct {
		name string
		as   string
		call func(c *clients) error
		code connect.Code
	}{
		{"a member lists", member, func(c *clients) error {
			_, err := c.participants.ListParticipants(ctx, &meetlinev1.ListParticipantsRequest{RoomId: m.room})
			return err
		}, connect.CodePermissionDenied},
		{"no room", owner, func(c *clients) error {
			_, err := c.participants.ListParticipants(ctx, &meetlinev1.ListParticipantsRequest{})
			return err
		}, connect.CodeInvalidArgument},
		{"unknown room", owner, func(c *clients) error {
			_, err := c.participants.ListParticipants(ctx, &meetlinev1.ListParticipantsRequest{RoomId: uuid.NewString()})
			return err
		}, connect.CodeNotFound},
		{"a member mutes", member, func(c *clients) error {
			_, err := c.participants.MuteParticipant(ctx, &meetlinev1.MuteParticipantRequest{RoomId: m.room, Identity: m.identity(), Muted: true})
			return err
		}, connect.CodePermissionDenied},
		{"an administrator renames the owner", admin, func(c *clients) error {
			_, err := c.participants.RenameParticipant(ctx, &meetlinev1.RenameParticipantRequest{RoomId: m.room, Identity: ownerID, Name: "Boss"})
			return err
		}, connect.CodePermissionDenied},
		{"an administrator removes the owner", admin, func(c *clients) error {
			_, err := c.participants.RemoveParticipant(ctx, &meetlinev1.RemoveParticipantRequest{RoomId: m.room, Identity: ownerID})
			return err
		}, connect.CodePermissionDenied},
		{"unmuting someone on the web", owner, func(c *clients) error {
			_, err := c.participants.MuteParticipant(ctx, &meetlinev1.MuteParticipantRequest{RoomId: m.room, Identity: ownerID})
			return err
		}, connect.CodeFailedPrecondition},
		{"muting someone without audio", owner, func(c *clients) error {
			_, err := c.participants.MuteParticipant(ctx, &meetlinev1.MuteParticipantRequest{RoomId: m.room, Identity: ownerID, Muted: true})
			return err
		}, connect.CodeFailedPrecondition},
		{"muting a track nobody publishes", owner, func(c *clients) error {
			_, err := c.participants.MuteParticipant(ctx, &meetlinev1.MuteParticipantRequest{RoomId: m.room, Identity: m.identity(),
				Muted: true, TrackSid: "TR_none"})
			return err
		}, connect.CodeNotFound},
		{"no identity", owner, func(c *clients) error {
			_, err := c.participants.RemoveParticipant(ctx, &meetlinev1.RemoveParticipantRequest{RoomId: m.room})
			return err
		}, connect.CodeInvalidArgument},
		{"someone not there", owner, func(c *clients) error {
			_, err := c.participants.RemoveParticipant(ctx, &meetlinev1.RemoveParticipantRequest{RoomId: m.room, Identity: "nobody"})
			return err
		}, connect.CodeNotFound},
		{"an empty name", owner, func(c *clients) error {
			_, err := c.participants.RenameParticipant(ctx, &meetlinev1.RenameParticipantRequest{RoomId: m.room, Identity: m.identity(), Name: " "})
			return err
		}, connect.CodeInvalidArgument},
		{"a name with a newline", owner, func(c *clients) error {
			_, err := c.participants.RenameParticipant(ctx, &meetlinev1.RenameParticipantRequest{RoomId: m.room, Identity: m.identity(), Name: "a\nb"})
			return err
		}, connect.CodeInvalidArgument},
	}
	for _, tt := range tests {
		if err := tt.call(m.cs[tt.as]); connect.CodeOf(err) != tt.code {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.code)
		}
	}

	if _, err := m.cs[admin].participants.RemoveParticipant(ctx, &meetlinev1.RemoveParticipantRequest{
		RoomId: m.room, Identity: m.identity()}); err != nil {
		t.Fatalf("RemoveParticipant: %v", err)
	}
	select {
	case <-m.removed:
	case <-time.After(10 * time.Second):
		t.Fatal("the removed caller was not disconnected")
	}
	if _, err := m.cs[sipgate].telephony.PhoneCommand(ctx, &meetlinev1.PhoneCommandRequest{CallId: m.callID, RoomId: m.room,
		Command: meetlinev1.KeypadCommand_KEYPAD_COMMAND_STATUS}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("PhoneCommand of a removed caller: %v, want NotFound", err)
	}
}

// TestParticipantRules: where LiveKit answers what the real server does not
// produce on demand (core/mock): a caller without audio yet, a mute that
// fails (the host's mark is then not set: UpdateParticipant is not called).
func TestParticipantRules(t *testing.T) {
	t.Parallel()
	callID := uuid.NewString()
	phone := core.LiveParticipant{Identity: "sip_1", SIP: true, CallID: callID}
	lk := &mock.LiveRooms{
		ListParticipantsFn: func(context.Context, string) ([]core.LiveParticipant, error) {
			return []core.LiveParticipant{phone}, nil
		},
		MuteTrackFn: func(context.Context, string, string, string, bool) error {
			return errors.New("livekit: mute track: connection refused")
		},
	}
	s := newStack(t, withLiveRooms(lk))
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	command := func() error {
		_, err := cs[sipgate].telephony.PhoneCommand(ctx, &meetlinev1.PhoneCommandRequest{CallId: callID, RoomId: f.room.Id,
			Command: meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_MUTE})
		return err
	}
	hostMute := func() error {
		_, err := cs[owner].participants.MuteParticipant(ctx, &meetlinev1.MuteParticipantRequest{RoomId: f.room.Id,
			Identity: phone.Identity, Muted: true})
		return err
	}
	if err := command(); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Errorf("*6 of a caller without audio: %v, want FailedPrecondition", err)
	}
	if err := hostMute(); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Errorf("host mute of a caller without audio: %v, want FailedPrecondition", err)
	}
	phone.Tracks = []core.LiveTrack{{SID: "TR_a", Kind: "audio"}}
	if err := command(); connect.CodeOf(err) != connect.CodeInternal {
		t.Errorf("*6 when LiveKit fails: %v, want Internal", err)
	}
	if err := hostMute(); connect.CodeOf(err) != connect.CodeInternal {
		t.Errorf("host mute when LiveKit fails: %v, want Internal", err)
	}
}
