package api

import (
	"context"
	"slices"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// participantService implements meetline.v1.ParticipantService: a room's
// administrators manage the people in its live meeting through LiveKit.
type participantService struct {
	*Server
}

func (s *participantService) ListParticipants(ctx context.Context, req *meetlinev1.ListParticipantsRequest) (*meetlinev1.ListParticipantsResponse, error) {
	if err := s.requireAdmin(ctx, req.RoomId); err != nil {
		return nil, err
	}
	ps, err := s.LiveKit.ListParticipants(ctx, req.RoomId)
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.ListParticipantsResponse{Participants: make([]*meetlinev1.LiveParticipant, len(ps))}
	for i := range ps {
		res.Participants[i] = liveParticipantToProto(&ps[i])
	}
	return res, nil
}

// MuteParticipant mutes the chosen track, or every audio track. A phone
// caller a host mutes is marked host-muted, which SelfUnmuteAllowed weighs
// when they press "*6"; a host unmuting them lifts the mark.
func (s *participantService) MuteParticipant(ctx context.Context, req *meetlinev1.MuteParticipantRequest) (*meetlinev1.MuteParticipantResponse, error) {
	p, err := s.moderated(ctx, req.RoomId, req.Identity)
	if err != nil {
		return nil, err
	}
	if !req.Muted && !core.CanHostUnmute(p) {
		return nil, core.Errorf(core.EPRECONDITION, "people on the web unmute themselves")
	}
	sids := p.AudioTracks()
	if req.TrackSid != "" {
		if !slices.ContainsFunc(p.Tracks, func(t core.LiveTrack) bool { return t.SID == req.TrackSid }) {
			return nil, core.Errorf(core.ENOTFOUND, "the participant publishes no track %s", req.TrackSid)
		}
		sids = []string{req.TrackSid}
	}
	if len(sids) == 0 {
		return nil, core.Errorf(core.EPRECONDITION, "the participant publishes no audio")
	}
	for _, sid := range sids {
		if err := s.LiveKit.MuteTrack(ctx, req.RoomId, p.Identity, sid, req.Muted); err != nil {
			return nil, err
		}
	}
	if p.SIP {
		mark := ""
		if req.Muted {
			mark = "true"
		}
		if err := s.LiveKit.UpdateParticipant(ctx, req.RoomId, p.Identity,
			core.ParticipantUpdate{Attributes: map[string]string{core.AttrHostMuted: mark}}); err != nil {
			return nil, err
		}
		s.tellMuted(ctx, req.RoomId, p, req.Muted)
	}
	p, err = s.liveParticipant(ctx, req.RoomId, req.Identity)
	if err != nil {
		return nil, err
	}
	return &meetlinev1.MuteParticipantResponse{Participant: liveParticipantToProto(p)}, nil
}

// RemoveParticipant disconnects a participant. A phone caller whose
// sipgate watches the call (WatchCall) hears "The host removed you" first:
// sipgate hangs up after it, which takes them out of LiveKit, and the core
// removes them itself if they are still there PhoneRemovalGrace later.
func (s *participantService) RemoveParticipant(ctx context.Context, req *meetlinev1.RemoveParticipantRequest) (*meetlinev1.RemoveParticipantResponse, error) {
	p, err := s.moderated(ctx, req.RoomId, req.Identity)
	if err != nil {
		return nil, err
	}
	if s.tellCaller(ctx, p, core.HostAction{Kind: core.HostRemoved}) {
		s.removeLater(req.RoomId, p.Identity)
		return &meetlinev1.RemoveParticipantResponse{}, nil
	}
	if err := s.LiveKit.RemoveParticipant(ctx, req.RoomId, p.Identity); err != nil {
		return nil, err
	}
	return &meetlinev1.RemoveParticipantResponse{}, nil
}

// tellMuted tells a phone caller that a host muted or unmuted them, and
// whether they may unmute themselves.
func (s *participantService) tellMuted(ctx context.Context, roomID string, p *core.LiveParticipant, muted bool) {
	a := core.HostAction{Kind: core.HostUnmuted}
	if muted {
		a.Kind, a.SelfUnmute = core.HostMuted, true
		if room, err := s.Rooms.FindRoom(ctx, roomID); err == nil {
			a.SelfUnmute = core.SelfUnmuteAllowed(room.Configuration)
		}
	}
	s.tellCaller(ctx, p, a)
}

func (s *participantService) RenameParticipant(ctx context.Context, req *meetlinev1.RenameParticipantRequest) (*meetlinev1.RenameParticipantResponse, error) {
	name, err := core.ValidParticipantName(req.Name)
	if err != nil {
		return nil, err
	}
	p, err := s.moderated(ctx, req.RoomId, req.Identity)
	if err != nil {
		return nil, err
	}
	if err := s.LiveKit.UpdateParticipant(ctx, req.RoomId, p.Identity, core.ParticipantUpdate{Name: &name}); err != nil {
		return nil, err
	}
	if p, err = s.liveParticipant(ctx, req.RoomId, req.Identity); err != nil {
		return nil, err
	}
	return &meetlinev1.RenameParticipantResponse{Participant: liveParticipantToProto(p)}, nil
}

// requireAdmin fails unless the caller administers room.
func (s *Server) requireAdmin(ctx context.Context, room string) error {
	if room == "" {
		return core.Invalid("room_id", "must be a room id")
	}
	_, err := s.requireRole(ctx, room, core.RoleAdministrator)
	return err
}

// moderated returns the participant identity of room once the caller is
// allowed to act on them (core.CanModerate).
func (s *Server) moderated(ctx context.Context, room, identity string) (*core.LiveParticipant, error) {
	if identity == "" {
		return nil, core.Invalid("identity", "must be a participant's identity")
	}
	if room == "" {
		return nil, core.Invalid("room_id", "must be a room id")
	}
	role, err := s.requireRole(ctx, room, core.RoleAdministrator)
	if err != nil {
		return nil, err
	}
	p, err := s.liveParticipant(ctx, room, identity)
	if err != nil {
		return nil, err
	}
	if !core.CanModerate(role, p.Role) {
		return nil, core.Errorf(core.EFORBIDDEN, "only an owner acts on an owner")
	}
	return p, nil
}

// liveParticipant finds identity among the people in room's meeting.
func (s *Server) liveParticipant(ctx context.Context, room, identity string) (*core.LiveParticipant, error) {
	ps, err := s.LiveKit.ListParticipants(ctx, room)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if ps[i].Identity == identity {
			return &ps[i], nil
		}
	}
	return nil, core.Errorf(core.ENOTFOUND, "this participant is not in the meeting")
}

func liveParticipantToProto(p *core.LiveParticipant) *meetlinev1.LiveParticipant {
	lp := &meetlinev1.LiveParticipant{Identity: p.Identity, Name: p.Name, Phone: p.SIP, Role: roles[p.Role],
		Muted: p.AudioMuted(), HandRaised: p.HandRaised(), HostMuted: p.HostMuted()}
	for _, t := range p.Tracks {
		lp.Tracks = append(lp.Tracks, &meetlinev1.LiveTrack{Sid: t.SID, Kind: t.Kind, Muted: t.Muted})
	}
	return lp
}
