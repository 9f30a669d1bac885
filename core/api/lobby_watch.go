package api

import (
	"context"
	"slices"
	"time"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// WatchEntry streams the caller's own status. While the stream is open the
// person is waiting, so it refreshes the entry itself; it re-reads the entry
// on every change signal and on each refresh, and ends once a decision is sent.
func (s *lobbyService) WatchEntry(ctx context.Context, req *meetlinev1.WatchEntryRequest, stream *connect.ServerStream[meetlinev1.WatchEntryResponse]) error {
	room, err := s.findRoom(ctx, req.Room)
	if err != nil {
		return err
	}
	id, err := s.tickets().open(room.ID, subject(ctx), req.Ticket, time.Now())
	if err != nil {
		return err
	}
	if err := s.holdStream(ctx, id); err != nil {
		return err
	}
	signals, err := s.Lobby.WatchLobby(ctx, room.ID)
	if err != nil {
		return err
	}
	refresh := time.NewTicker(max(s.LobbySettings.TTLs.Waiting/3, 100*time.Millisecond))
	defer refresh.Stop()
	var last core.EntryStatus
	for {
		e, err := s.currentEntry(ctx, room, id)
		if err != nil {
			return err
		}
		if e.Status != last {
			res := &meetlinev1.WatchEntryResponse{Participant: entryToProto(e, false)}
			if e.Status == core.EntryAccepted {
				if res.Livekit, err = s.lobbyConnection(ctx, room, e); err != nil {
					return err
				}
			}
			if err := stream.Send(res); err != nil {
				return err
			}
			last = e.Status
		}
		if e.Status != core.EntryWaiting {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-signals:
		case <-refresh.C:
			if err := s.Lobby.RefreshEntry(ctx, room.ID, id); err != nil {
				return err
			}
		}
	}
}

// holdStream takes a WatchEntry slot for the ticket's participant, the
// signed-in user and the client address, for as long as ctx lasts.
func (s *lobbyService) holdStream(ctx context.Context, participant string) error {
	set := s.LobbySettings
	limits := []core.StreamLimit{{Key: "lobby:p:" + participant, Max: set.StreamsPerTicket}}
	if u := core.CallerFrom(ctx).User; u != nil {
		limits = append(limits, core.StreamLimit{Key: "lobby:u:" + u.ID, Max: set.StreamsPerUser})
	}
	if addr := s.clientKey(ctx); addr != "" {
		limits = append(limits, core.StreamLimit{Key: "lobby:a:" + addr, Max: set.StreamsPerAddress})
	}
	return s.Streams.Hold(ctx, limits...)
}

// currentEntry is the entry as it stands, with the bypass re-evaluated (the
// room may have opened) and room ends seen as an expired entry.
func (s *lobbyService) currentEntry(ctx context.Context, room *core.Room, id string) (*core.LobbyEntry, error) {
	room, err := s.Rooms.FindRoom(ctx, room.ID)
	if err != nil {
		return nil, err
	}
	e, err := s.Lobby.FindEntry(ctx, room.ID, id)
	if err != nil {
		return nil, err // expired, cleared with the meeting, or never requested
	}
	if e.Status == core.EntryWaiting {
		role, err := s.callerRole(ctx, room.ID)
		if err != nil {
			return nil, err
		}
		if core.CanEnter(room.AccessLevel, role, core.CallerFrom(ctx).Authenticated()) {
			e.Status = core.EntryAccepted
		}
	}
	return e, nil
}

// adminRoom checks that room has a lobby and the caller administers it.
func (s *lobbyService) adminRoom(ctx context.Context, id string) (*core.Room, error) {
	if id == "" {
		return nil, core.Invalid("room_id", "must be a room id")
	}
	if _, err := s.requireRole(ctx, id, core.RoleAdministrator); err != nil {
		return nil, err
	}
	room, err := s.Rooms.FindRoom(ctx, id)
	if err != nil {
		return nil, err
	}
	if room.AccessLevel == core.AccessPublic {
		return nil, core.Errorf(core.EPRECONDITION, "a public room has no lobby")
	}
	return room, nil
}

func (s *lobbyService) waiting(ctx context.Context, room string) ([]*meetlinev1.LobbyParticipant, error) {
	entries, err := s.Lobby.FindWaiting(ctx, room)
	if err != nil {
		return nil, err
	}
	out := make([]*meetlinev1.LobbyParticipant, len(entries))
	for i, e := range entries {
		out[i] = entryToProto(e, true) // for administrators only (adminRoom)
	}
	return out, nil
}

func (s *lobbyService) ListWaiting(ctx context.Context, req *meetlinev1.ListWaitingRequest) (*meetlinev1.ListWaitingResponse, error) {
	room, err := s.adminRoom(ctx, req.RoomId)
	if err != nil {
		return nil, err
	}
	list, err := s.waiting(ctx, room.ID)
	return &meetlinev1.ListWaitingResponse{Participants: list}, err
}

// WatchWaiting sends the list, then the list again after each change. Waiting
// entries also vanish by expiry, which publishes nothing: a periodic re-read
// at the waiting TTL catches those.
func (s *lobbyService) WatchWaiting(ctx context.Context, req *meetlinev1.WatchWaitingRequest, stream *connect.ServerStream[meetlinev1.WatchWaitingResponse]) error {
	room, err := s.adminRoom(ctx, req.RoomId)
	if err != nil {
		return err
	}
	signals, err := s.Lobby.WatchLobby(ctx, room.ID)
	if err != nil {
		return err
	}
	tick := time.NewTicker(max(s.LobbySettings.TTLs.Waiting, 100*time.Millisecond))
	defer tick.Stop()
	var last []string
	for first := true; ; first = false {
		list, err := s.waiting(ctx, room.ID)
		if err != nil {
			return err
		}
		ids := make([]string, len(list))
		for i, p := range list {
			ids[i] = p.Id
		}
		if first || !slices.Equal(ids, last) {
			if err := stream.Send(&meetlinev1.WatchWaitingResponse{Participants: list}); err != nil {
				return err
			}
			last = ids
		}
		select {
		case <-ctx.Done():
			return nil
		case <-signals:
		case <-tick.C:
		}
	}
}

func (s *lobbyService) Decide(ctx context.Context, req *meetlinev1.DecideRequest) (*meetlinev1.DecideResponse, error) {
	room, err := s.adminRoom(ctx, req.RoomId)
	if err != nil {
		return nil, err
	}
	if req.ParticipantId == "" {
		return nil, core.Invalid("participant_id", "must be a participant id")
	}
	e, err := s.Lobby.FindEntry(ctx, room.ID, req.ParticipantId)
	if err != nil {
		return nil, err
	}
	e.Status = core.EntryDenied
	if req.Allow {
		e.Status = core.EntryAccepted
	}
	if err := s.Lobby.PutEntry(ctx, e); err != nil {
		return nil, err
	}
	if !req.Allow { // a host may deny someone they admitted earlier
		s.removeLive(ctx, room.ID, "denied", func(p core.LiveParticipant) bool { return !p.SIP && p.LobbyEntry == e.ID })
	}
	return &meetlinev1.DecideResponse{}, nil
}
