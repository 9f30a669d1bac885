package api

import (
	"context"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// PhoneCommand carries out a bridged caller's keypad command on their
// LiveKit participant, which sipgate names by its call id (LiveKit's SIP
// service copied it into the meet.call_id attribute). Muting is
// server-side, on every audio track the caller publishes; the hand is the
// core.AttrHand attribute the console shows.
func (s *telephonyService) PhoneCommand(ctx context.Context, req *meetlinev1.PhoneCommandRequest) (*meetlinev1.PhoneCommandResponse, error) {
	switch {
	case req.CallId == "":
		return nil, core.Invalid("call_id", "must be sipgate's id of the call")
	case req.RoomId == "":
		return nil, core.Invalid("room_id", "must be a room id")
	case req.Command == meetlinev1.KeypadCommand_KEYPAD_COMMAND_UNSPECIFIED || meetlinev1.KeypadCommand_name[int32(req.Command)] == "":
		return nil, core.Invalid("command", "must be TOGGLE_MUTE, TOGGLE_HAND or STATUS")
	}
	room, err := s.Rooms.FindRoom(ctx, req.RoomId)
	if err != nil {
		return nil, err
	}
	ps, err := s.LiveKit.ListParticipants(ctx, room.ID)
	if err != nil {
		return nil, err
	}
	var p *core.LiveParticipant
	for i := range ps {
		if ps[i].SIP && ps[i].CallID == req.CallId {
			p = &ps[i]
		}
	}
	if p == nil {
		return nil, core.Errorf(core.ENOTFOUND, "this call is not in the meeting")
	}
	res := &meetlinev1.PhoneCommandResponse{Muted: p.AudioMuted(), HandRaised: p.HandRaised(), Participants: int32(len(ps))}
	switch req.Command {
	case meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_MUTE:
		if p.AudioMuted() && p.HostMuted() && !core.SelfUnmuteAllowed(room.Configuration) {
			res.UnmuteRefused = true
			return res, nil
		}
		if err := s.setPhoneMuted(ctx, room.ID, p, !p.AudioMuted()); err != nil {
			return nil, err
		}
		res.Muted = !res.Muted
	case meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_HAND:
		hand := "raised"
		if p.HandRaised() {
			hand = ""
		}
		if err := s.LiveKit.UpdateParticipant(ctx, room.ID, p.Identity,
			core.ParticipantUpdate{Attributes: map[string]string{core.AttrHand: hand}}); err != nil {
			return nil, err
		}
		res.HandRaised = !res.HandRaised
	}
	return res, nil
}

// setPhoneMuted mutes or unmutes every audio track of caller p; unmuting
// lifts a host's mute too.
func (s *telephonyService) setPhoneMuted(ctx context.Context, room string, p *core.LiveParticipant, muted bool) error {
	sids := p.AudioTracks()
	if len(sids) == 0 {
		return core.Errorf(core.EPRECONDITION, "the caller publishes no audio yet")
	}
	for _, sid := range sids {
		if err := s.LiveKit.MuteTrack(ctx, room, p.Identity, sid, muted); err != nil {
			return err
		}
	}
	if muted || !p.HostMuted() {
		return nil
	}
	return s.LiveKit.UpdateParticipant(ctx, room, p.Identity,
		core.ParticipantUpdate{Attributes: map[string]string{core.AttrHostMuted: ""}})
}
