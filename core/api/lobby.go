package api

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// LobbySettings tune the lobby.
type LobbySettings struct {
	TTLs core.LobbyTTLs
	// TicketSecret signs lobby tickets; every replica needs the same one.
	TicketSecret []byte
	// TicketTTL is how long a ticket opens after it is issued.
	TicketTTL time.Duration
	// PerParticipant and PerAddress bound RequestEntry calls. Requests
	// without a ticket (each would be a new participant) count
	// PerParticipant under their address.
	PerParticipant, PerAddress core.AttemptLimit
	// MaxWaiting caps a room's waiting entries: past it, new people are
	// refused until some are decided or leave.
	MaxWaiting int
	// StreamsPerTicket, StreamsPerUser and StreamsPerAddress cap the
	// WatchEntry streams open at once.
	StreamsPerTicket, StreamsPerUser, StreamsPerAddress int
}

// announceEvery is the least time between two "someone waits" notices to a
// live room: a flood of entries makes one notice, not one each.
const announceEvery = 2 * time.Second

// lobbyService implements meetline.v1.LobbyService.
type lobbyService struct {
	*Server
}

// tickets signs and opens tickets with the settings in force.
func (s *lobbyService) tickets() tickets {
	return tickets{secret: s.LobbySettings.TicketSecret, ttl: s.LobbySettings.TicketTTL}
}

// subject is what a ticket is bound to: the signed-in user's id, or "".
func subject(ctx context.Context) string {
	if u := core.CallerFrom(ctx).User; u != nil {
		return u.ID
	}
	return ""
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

// entryToProto converts e; the e-mail goes only to the room's administrators
// (withEmail), never back to the person asking.
func entryToProto(e *core.LobbyEntry, withEmail bool) *meetlinev1.LobbyParticipant {
	p := &meetlinev1.LobbyParticipant{Id: e.ID, Username: e.Username, Status: entryStatuses[e.Status],
		Color: e.Color, Kind: participantKinds[e.Kind], SignedIn: e.UserID != ""}
	if withEmail {
		p.Email = e.Email
	}
	return p
}

func (s *lobbyService) RequestEntry(ctx context.Context, req *meetlinev1.RequestEntryRequest) (*meetlinev1.RequestEntryResponse, error) {
	if err := core.CheckUsername(req.Username); err != nil {
		return nil, err
	}
	room, err := s.findRoom(ctx, req.Room)
	if err != nil {
		return nil, err
	}
	id, err := s.participantID(ctx, room.ID, req.Ticket)
	if err != nil {
		return nil, err
	}
	if err := s.limit(ctx, id, req.Ticket == ""); err != nil {
		return nil, err
	}
	e, err := s.entry(ctx, room, id, req.Username)
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.RequestEntryResponse{Participant: entryToProto(e, false),
		Ticket: s.tickets().issue(room.ID, id, subject(ctx), time.Now())}
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

// participantID opens the ticket, or makes a new id for a first request:
// a guest's is prefixed (core.GuestIDPrefix), since it becomes their
// LiveKit identity.
func (s *lobbyService) participantID(ctx context.Context, room, ticket string) (string, error) {
	switch {
	case ticket != "":
		return s.tickets().open(room, subject(ctx), ticket, time.Now())
	case subject(ctx) != "":
		return "user-" + uuid.NewString(), nil
	}
	return core.GuestIDPrefix + uuid.NewString(), nil
}

// limit applies RequestEntry's rate limits: per participant (the signed-in
// user; else the ticket's participant; else, for a first request, which
// has no participant yet, its address) and per client address.
func (s *lobbyService) limit(ctx context.Context, participant string, first bool) error {
	addr := s.clientKey(ctx)
	who := "lobby:p:" + participant
	switch u := core.CallerFrom(ctx).User; {
	case u != nil:
		who = "lobby:u:" + u.ID
	case first && addr != "":
		who = "lobby:n:" + addr
	}
	if err := s.Limiter.Allow(ctx, who, s.LobbySettings.PerParticipant); err != nil {
		return err
	}
	if addr == "" {
		return nil
	}
	return s.Limiter.Allow(ctx, "lobby:a:"+addr, s.LobbySettings.PerAddress)
}

// roomFull refuses a new entry when the room's lobby holds MaxWaiting.
func (s *lobbyService) roomFull(ctx context.Context, room string) error {
	n, err := s.Lobby.CountWaiting(ctx, room)
	if err != nil || n < s.LobbySettings.MaxWaiting {
		return err
	}
	return &core.Error{Code: core.ELIMITED, Message: "the lobby of this room is full; try again later",
		RetryAfter: s.LobbySettings.TTLs.Waiting}
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
	if u := core.CallerFrom(ctx).User; u != nil {
		e.Username, e.UserID, e.Email = accountName(u, username), u.ID, u.Email
	}
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
	if err := s.roomFull(ctx, room.ID); err != nil {
		return nil, err
	}
	if err := s.Lobby.PutEntry(ctx, e); err != nil {
		return nil, err
	}
	s.announceWaiting(room.ID)
	return e, nil
}

// accountName is the name a signed-in user waits under: their account's,
// whatever they typed, so that nobody signs in to ask as "Owner". An account
// without a name keeps the typed one; the administrators see beside it that
// the person is signed in, and their e-mail.
func accountName(u *core.User, typed string) string {
	switch {
	case u.FullName != "":
		return u.FullName
	case u.ShortName != "":
		return u.ShortName
	}
	return typed
}

// announceWaiting tells the people in a live room that someone waits, with
// LiveKit's reliable data channel, at most once per announceEvery across
// replicas (the notice names nobody: one says it for a crowd). It runs in
// the background: LiveKit answers slowly for rooms that just ended, and a
// lost notice is no error (the administrators' WatchWaiting stream shows the
// list anyway).
func (s *Server) announceWaiting(room string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if first, err := s.Dedup.FirstSeen(ctx, "lobby-announce:"+room, announceEvery); err != nil || !first {
			return
		}
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
