package standin

import (
	"context"
	"fmt"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/rpc"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// opusSilence is one 20 ms Opus frame of silence (RFC 6716 §3.1: TOC 0xf8 =
// CELT-only fullband 20 ms mono, one frame; 0xff 0xfe = the encoder's
// standard silence payload), the frame WebRTC stacks send for muted audio.
var opusSilence = []byte{0xf8, 0xff, 0xfe}

// dtxInterval is how often a silent Opus sender with discontinuous
// transmission sends a frame (RFC 7587 §3.1.3: at least every 400 ms), as
// WebRTC stacks do for a muted microphone. It keeps a room of a hundred
// silent phone participants from costing the server 5,000 packets a second.
const dtxInterval = 400 * time.Millisecond

// token signs the participant LiveKit chose: its identity, name, metadata
// and attributes, kind SIP (so clients show it as a phone participant), in
// the room the dispatch rule named. livekit-server returns no token of its
// own (LiveKit Cloud may; then that one is used).
func (s *Server) token(res *rpc.EvaluateSIPDispatchRulesResponse, attrs map[string]string) (string, error) {
	if res.Token != "" {
		return res.Token, nil
	}
	grant := &auth.VideoGrant{RoomJoin: true, Room: res.RoomName}
	grant.SetCanPublish(true)
	grant.SetCanSubscribe(true)
	grant.SetCanPublishData(true)
	return auth.NewAccessToken(s.lk.APIKey, s.lk.APISecret).
		SetIdentity(res.ParticipantIdentity).
		SetName(res.ParticipantName).
		SetMetadata(res.ParticipantMetadata).
		SetAttributes(attrs).
		SetKind(livekit.ParticipantInfo_SIP).
		SetValidFor(time.Hour).
		SetVideoGrant(grant).
		ToJWT()
}

// join connects the participant to the room and publishes its audio track.
// onLeave runs when the room disconnects it (removed, room deleted) but not
// after room.Disconnect.
func (s *Server) join(res *rpc.EvaluateSIPDispatchRulesResponse, attrs map[string]string, onLeave func()) (*lksdk.Room, *lksdk.LocalTrack, error) {
	tok, err := s.token(res, attrs)
	if err != nil {
		return nil, nil, fmt.Errorf("standin: token: %w", err)
	}
	url := s.lk.URL
	if res.WsUrl != "" {
		url = res.WsUrl
	}
	cb := lksdk.NewRoomCallback()
	cb.OnDisconnectedWithReason = func(r lksdk.DisconnectionReason) {
		if r != lksdk.LeaveRequested {
			onLeave()
		}
	}
	room, err := lksdk.ConnectToRoomWithToken(url, tok, cb, lksdk.WithAutoSubscribe(false))
	if err != nil {
		return nil, nil, fmt.Errorf("standin: join room %s: %w", res.RoomName, err)
	}
	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err == nil {
		_, err = room.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: "phone", Source: livekit.TrackSource_MICROPHONE})
	}
	if err != nil {
		room.Disconnect()
		return nil, nil, fmt.Errorf("standin: publish audio: %w", err)
	}
	return room, track, nil
}

// silence writes Opus silence on track until ctx ends, one frame per
// dtxInterval, the RTP clock advancing by the whole interval: the stand-in
// cannot turn the caller's G.711 into Opus (no pure-Go encoder), so the room
// hears a live but silent phone participant.
func silence(ctx context.Context, track *lksdk.LocalTrack) {
	t := time.NewTicker(dtxInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := track.WriteSample(media.Sample{Data: opusSilence, Duration: dtxInterval}, nil); err != nil {
				return
			}
		}
	}
}
