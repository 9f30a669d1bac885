package api

import (
	"context"
	"net"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// LobbySettings tune the lobby.
type LobbySettings struct {
	TTLs core.LobbyTTLs
	// TicketSecret signs lobby tickets; every replica needs the same one.
	TicketSecret []byte
	// PerParticipant and PerAddress bound RequestEntry calls.
	PerParticipant, PerAddress core.AttemptLimit
}

// lobbyService implements meetline.v1.LobbyService.
type lobbyService struct {
	*Server
	tickets tickets
}

var entryStatuses = map[core.EntryStatus]meetlinev1.EntryStatus{
	core.EntryWaiting:  meetlinev1.EntryStatus_ENTRY_STATUS_WAITING,
	core.EntryAccepted: meetlinev1.EntryStatus_ENTRY_STATUS_ACCEPTED,
	core.EntryDenied:   meetlinev1.EntryStatus_ENTRY_STATUS_DENIED,
}

var participantKinds = map[core.ParticipantKind]meetlinev1.ParticipantKind{
	core.KindWeb:   meetlinev1.ParticipantKind_PARTICIPANT_KIND_WEB,
	core.KindPhone: meetlinev1.ParticipantKind_PARTICIPANT_KIND_PHONE,
}

func entryToProto(e *core.LobbyEntry) *meetlinev1.LobbyParticipant {
	return &meetlinev1.LobbyParticipant{Id: e.ID, Username: e.Username, Status: entryStatuses[e.Status],
		Color: e.Color, Kind: participantKinds[e.Kind]}
}

func (s *lobbyService) RequestEntry(ctx context.Context, req *meetlinev1.RequestEntryRequest) (*meetlinev1.RequestEntryResponse, error) {
	if err := core.CheckUsername(req.Username); err != nil {
		return nil, err
	}
	room, err := s.findRoom(ctx, req.Room)
	if err != nil {
		return nil, err
	}
	id, err := s.participantID(room.ID, req.Ticket)
	if err != nil {
		return nil, err
	}
	if err := s.limit(ctx, id); err != nil {
		return nil, err
	}
	e, err := s.entry(ctx, room, id, req.Username)
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.RequestEntryResponse{Participant: entryToProto(e), Ticket: s.tickets.issue(room.ID, id)}
	if e.Status == core.EntryAccepted {
		res.Livekit, err = s.lobbyConnection(ctx, room, e)
	}
	return res, err
}

// findRoom finds a room by id or slug, naming the field when it is empty.
func (s *lobbyService) findRoom(ctx context.Context, idOrSlug string) (*core.Room, error) {
	if idOrSlug == "" {
		return nil, core.Invalid("room", "must be a room id or slug")
	}
	return s.Rooms.FindRoom(ctx, idOrSlug)
}

// participantID opens the ticket, or makes a new id for a first request.
func (s *lobbyService) participantID(room, ticket string) (string, error) {
	if ticket == "" {
		return uuid.NewString(), nil
	}
	return s.tickets.open(room, ticket)
}

// limit applies RequestEntry's rate limits: per participant (or signed-in
// user) and per source address.
func (s *lobbyService) limit(ctx context.Context, participant string) error {
	who := "lobby:p:" + participant
	if u := core.CallerFrom(ctx).User; u != nil {
		who = "lobby:u:" + u.ID
	}
	if err := s.Limiter.Allow(ctx, who, s.LobbySettings.PerParticipant); err != nil {
		return err
	}
	if info, ok := connect.CallInfoForHandlerContext(ctx); ok {
		if host, _, err := net.SplitHostPort(info.Peer().Addr); err == nil {
			return s.Limiter.Allow(ctx, "lobby:a:"+host, s.LobbySettings.PerAddress)
		}
	}
	return nil
}

// entry decides a request: people who may enter at once are accepted and
// nothing is stored (re-evaluated on every call, so opening a room lets
// waiting people in); others get their entry created or refreshed.
func (s *lobbyService) entry(ctx context.Context, room *core.Room, id, username string) (*core.LobbyEntry, error) {
	role, err := s.callerRole(ctx, room.ID)
	if err != nil {
		return nil, err
	}
	e := &core.LobbyEntry{ID: id, RoomID: room.ID, Username: username, Color: core.ColorFor(id), Status: core.EntryWaiting, Kind: core.KindWeb}
	if core.CanEnter(room.AccessLevel, role, core.CallerFrom(ctx).Authenticated()) {
		e.Status = core.EntryAccepted
		return e, nil
	}
	old, err := s.Lobby.FindEntry(ctx, room.ID, id)
	switch {
	case err == nil && old.Status != core.EntryWaiting:
		return old, nil // decided: the answer stands until it expires
	case err == nil:
		return old, s.Lobby.RefreshEntry(ctx, room.ID, id)
	case core.Code(err) != core.ENOTFOUND:
		return nil, err
	}
	if err := s.Lobby.PutEntry(ctx, e); err != nil {
		return nil, err
	}
	s.announceWaiting(room.ID)
	return e, nil
}

// announceWaiting tells the people in a live room that someone waits, with
// LiveKit's reliable data channel. It runs in the background: LiveKit answers
// slowly for rooms that just ended, and a lost notice is no error (the
// administrators' WatchWaiting stream shows the list anyway).
func (s *Server) announceWaiting(room string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p, err := s.Presence.RoomPresence(ctx, room)
		if err != nil || !p.Live {
			return
		}
		if err := s.LiveKit.SendData(ctx, room, []byte(`{"type":"participantWaiting"}`)); err != nil {
			s.Logger.Warn("participantWaiting not sent", "room", room, "err", err)
		}
	}()
}

// lobbyConnection is the LiveKit connection of an accepted entry; signed-in
// users keep their own identity. The token names the entry when a host
// admitted it (it is stored as accepted), so that denying it later removes
// them and a tighter access level does not.
func (s *lobbyService) lobbyConnection(ctx context.Context, room *core.Room, e *core.LobbyEntry) (*meetlinev1.LiveKitConnection, error) {
	p := core.Participant{Identity: e.ID, Name: e.Username, Color: e.Color}
	if u := core.CallerFrom(ctx).User; u != nil {
		p.Identity, p.Authenticated = u.Sub, true
	}
	stored, err := s.Lobby.FindEntry(ctx, room.ID, e.ID)
	switch {
	case err == nil && stored.Status == core.EntryAccepted:
		p.LobbyEntry = e.ID
	case err != nil && core.Code(err) != core.ENOTFOUND:
		return nil, err
	}
	token, err := s.LiveKit.Token(room, p)
	if err != nil {
		return nil, err
	}
	return &meetlinev1.LiveKitConnection{Url: s.LiveKit.PublicURL(), Room: room.ID, Token: token}, nil
}
