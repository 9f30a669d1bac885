package livekit

import (
	"context"
	"fmt"
	"maps"

	"github.com/livekit/protocol/livekit"

	"github.com/meetline/meetline/core"
)

// Client implements core.LiveRooms.
var _ core.LiveRooms = (*Client)(nil)

// wrap names the failed operation; LiveKit's not-found (a room nobody is
// in, a participant who left) becomes core.ENOTFOUND, the only kind callers
// tell apart.
func wrap(op string, err error) error {
	if isNotFound(err) {
		return core.Errorf(core.ENOTFOUND, "livekit: %s: %v", op, err)
	}
	return fmt.Errorf("livekit: %s: %w", op, err)
}

// ListRooms returns the names of the live rooms.
func (c *Client) ListRooms(ctx context.Context) ([]string, error) {
	res, err := c.Rooms.ListRooms(ctx, &livekit.ListRoomsRequest{})
	if err != nil {
		return nil, wrap("list rooms", err)
	}
	names := make([]string, len(res.Rooms))
	for i, r := range res.Rooms {
		names[i] = r.Name
	}
	return names, nil
}

// ListParticipants returns who is in room.
func (c *Client) ListParticipants(ctx context.Context, room string) ([]core.LiveParticipant, error) {
	res, err := c.Rooms.ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: room})
	if err != nil {
		return nil, wrap("list participants", err)
	}
	out := make([]core.LiveParticipant, len(res.Participants))
	for i, p := range res.Participants {
		out[i] = participant(p)
	}
	return out, nil
}

func participant(p *livekit.ParticipantInfo) core.LiveParticipant {
	lp := core.LiveParticipant{Identity: p.Identity, Name: p.Name, Metadata: p.Metadata,
		Attributes: maps.Clone(p.Attributes), SIP: p.Kind == livekit.ParticipantInfo_SIP,
		Service: p.Kind != livekit.ParticipantInfo_STANDARD && p.Kind != livekit.ParticipantInfo_SIP,
		CallID:  p.Attributes[AttrCallID], Authenticated: p.Attributes[core.AttrAuthenticated] == "true",
		LobbyEntry: p.Attributes[core.AttrLobbyEntry]}
	// A web participant's token says its role (Token); sipgate says a phone
	// caller's (AttrRole). Anything else is no role.
	key := AttrWebRole
	if lp.SIP {
		key = AttrRole
	}
	if r := core.Role(p.Attributes[key]); r.Valid() {
		lp.Role = r
	}
	for _, t := range p.Tracks {
		kind := "data"
		switch t.Type {
		case livekit.TrackType_AUDIO:
			kind = "audio"
		case livekit.TrackType_VIDEO:
			kind = "video"
		}
		lp.Tracks = append(lp.Tracks, core.LiveTrack{SID: t.Sid, Kind: kind, Muted: t.Muted})
	}
	return lp
}

// UpdateRoomMetadata replaces room's metadata.
func (c *Client) UpdateRoomMetadata(ctx context.Context, room, metadata string) error {
	if _, err := c.Rooms.UpdateRoomMetadata(ctx, &livekit.UpdateRoomMetadataRequest{Room: room, Metadata: metadata}); err != nil {
		return wrap("update room metadata", err)
	}
	return nil
}

// SendData sends data to every participant of room over LiveKit's reliable
// data channel.
func (c *Client) SendData(ctx context.Context, room string, data []byte) error {
	kind := livekit.DataPacket_RELIABLE
	if _, err := c.Rooms.SendData(ctx, &livekit.SendDataRequest{Room: room, Data: data, Kind: kind}); err != nil {
		return wrap("send data", err)
	}
	return nil
}

// MuteTrack mutes or unmutes one track of a participant.
func (c *Client) MuteTrack(ctx context.Context, room, identity, trackSID string, muted bool) error {
	_, err := c.Rooms.MutePublishedTrack(ctx, &livekit.MuteRoomTrackRequest{Room: room, Identity: identity,
		TrackSid: trackSID, Muted: muted})
	if err != nil {
		return wrap("mute track", err)
	}
	return nil
}

// RemoveParticipant disconnects a participant from room.
func (c *Client) RemoveParticipant(ctx context.Context, room, identity string) error {
	if _, err := c.Rooms.RemoveParticipant(ctx, &livekit.RoomParticipantIdentity{Room: room, Identity: identity}); err != nil {
		return wrap("remove participant", err)
	}
	return nil
}

// DeleteRoom ends room's meeting: LiveKit disconnects everyone in it.
func (c *Client) DeleteRoom(ctx context.Context, room string) error {
	if _, err := c.Rooms.DeleteRoom(ctx, &livekit.DeleteRoomRequest{Room: room}); err != nil {
		return wrap("delete room", err)
	}
	return nil
}

// UpdateParticipant changes a participant's name, metadata or attributes.
func (c *Client) UpdateParticipant(ctx context.Context, room, identity string, u core.ParticipantUpdate) error {
	req := &livekit.UpdateParticipantRequest{Room: room, Identity: identity, Attributes: u.Attributes}
	if u.Name != nil {
		req.Name = *u.Name
	}
	if u.Metadata != nil {
		req.Metadata = *u.Metadata
	}
	if _, err := c.Rooms.UpdateParticipant(ctx, req); err != nil {
		return wrap("update participant", err)
	}
	return nil
}
