package api

import (
	"context"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// JoinRoom streams where a phone caller stands on the way into a room (see
// telephony.proto): a public room admits them once someone is there on the
// web, or at once with phone_callers_first; any other room puts them in its
// lobby, since callers are never signed in.
//
// The stream waits on the room's lobby channel alone, because every reason to
// look again is published there: lobby changes (decisions), presence changes
// (the LiveKit webhook and reconciliation notify it), room updates, and the
// room's deletion or the end of its meeting (both clear its lobby). One
// channel keeps the hub at one subscription per replica and each stream at
// one watch; the lobby's own streams pay with an idle re-read when presence
// changes. Signals carry nothing: after each one the stream re-reads the
// room, its presence and the caller's entry, and sends the status if it
// changed. Logs name the room, sipgate's Call-ID and the status, never the
// caller's number.
func (s *telephonyService) JoinRoom(ctx context.Context, req *meetlinev1.JoinRoomRequest, stream *connect.ServerStream[meetlinev1.JoinRoomResponse]) error {
	id, err := uuid.Parse(req.RoomId)
	if err != nil {
		return core.Invalid("room_id", "must be a room id")
	}
	// The watch comes first, so that the room and its presence, read once it is in place, miss no change.
	signals, err := s.Lobby.WatchLobby(ctx, id.String())
	if err != nil {
		return err
	}
	room, err := s.Rooms.FindRoom(ctx, id.String())
	if err != nil {
		return err
	}
	c := &phoneCall{Server: s.Server, room: room.ID, callID: req.CallId, callerID: req.CallerId,
		entry: entryID(room.ID, req.CallId), read: room}
	if core.PhoneCallersFirst(room.Configuration) && core.CanEnter(room.AccessLevel, core.RoleNone, false) {
		// Admitted at once: whether they are first is asked of LiveKit while presence is read, not after.
		c.early = c.askFirst(ctx)
	}
	defer c.end(ctx)
	for {
		st, err := c.status(ctx)
		if err != nil {
			return err
		}
		if st != c.last {
			if err := stream.Send(c.response(ctx, st)); err != nil {
				return err
			}
			c.last = st
			c.Logger.Info("phone caller", "room", c.room, "call_id", c.callID, "status", statusName(st))
		}
		c.early = nil // LiveKit's early answer holds for the first status only
		if final(st) {
			return nil
		}
		if err := c.wait(ctx, signals); err != nil || ctx.Err() != nil {
			return err // nil when the caller went away: end takes them out of the lobby
		}
	}
}

// phoneCall is one JoinRoom stream: a caller on their way into a room.
type phoneCall struct {
	*Server
	room     string // the room's id, also its LiveKit room name
	callID   string
	callerID string // never logged, never stored whole
	entry    string // the caller's lobby entry, in rooms with a lobby
	ends     int64  // the room's count of ends at the first status
	last     meetlinev1.CallStatus
	inLobby  bool         // the entry was made or found
	decided  bool         // the entry's own decision ended the call
	refresh  *time.Ticker // keeps the entry alive, once in the lobby
	web      int          // people on the web at the last status
	read     *core.Room   // the room JoinRoom has just read, for the first status
	early    func() bool  // LiveKit's answer to "first?", asked as the stream began
}

// entryID is the caller's lobby entry id, derived from the room and
// sipgate's Call-ID: when sipgate opens the stream again for the same call
// (the core replica it reached went away), the entry is found again if it
// is still there, with its place in the list and any decision made
// meanwhile. Without a Call-ID, a random one.
func entryID(room, callID string) string {
	if callID == "" {
		return uuid.NewString()
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("meetline:phone:"+room+":"+callID)).String()
}

// status re-reads the room, its presence and the caller's entry, and says
// where the caller stands now. A meeting that ended since the call began
// ends the wait, whatever signals merged meanwhile: the count of ends only grows.
func (c *phoneCall) status(ctx context.Context) (meetlinev1.CallStatus, error) {
	room, err := c.read, error(nil)
	if c.read = nil; room == nil {
		room, err = c.Rooms.FindRoom(ctx, c.room)
	}
	if core.Code(err) == core.ENOTFOUND {
		return meetlinev1.CallStatus_CALL_STATUS_ROOM_ENDED, nil // deleted
	}
	if err != nil {
		return 0, err
	}
	p, err := c.Presence.RoomPresence(ctx, room.ID)
	if err != nil {
		return 0, err
	}
	if c.last == meetlinev1.CallStatus_CALL_STATUS_UNSPECIFIED {
		// The first read, made once the watch is in place, is the baseline: a meeting that ended before
		// the caller was told anything is no reason to turn them away (a later end is signalled).
		c.ends = p.Ends
	}
	c.web = p.Web
	switch {
	case p.Ends != c.ends:
		return meetlinev1.CallStatus_CALL_STATUS_ROOM_ENDED, nil
	case !core.CanEnter(room.AccessLevel, core.RoleNone, false):
		return c.lobby(ctx, room)
	case p.Web > 0 || core.PhoneCallersFirst(room.Configuration):
		return meetlinev1.CallStatus_CALL_STATUS_ADMITTED, nil
	}
	return meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST, nil
}

// lobby reads the administrators' decision on the caller's entry. It makes
// the entry, as RequestEntry does for the web, when there is none: on the
// first call, or when it vanished while the meeting goes on (it expired, or
// an earlier stream of the same call removed it as it went away).
func (c *phoneCall) lobby(ctx context.Context, room *core.Room) (meetlinev1.CallStatus, error) {
	e, err := c.Lobby.FindEntry(ctx, room.ID, c.entry)
	if core.Code(err) == core.ENOTFOUND {
		e = &core.LobbyEntry{ID: c.entry, RoomID: room.ID, Username: core.PhoneCallerName(c.callerID),
			Color: core.ColorFor(c.entry), Status: core.EntryWaiting, Kind: core.KindPhone}
		if err = c.Lobby.PutEntry(ctx, e); err == nil {
			c.announceWaiting(room.ID)
		}
	}
	if err != nil {
		return 0, err
	}
	c.inLobby = true
	if c.refresh == nil {
		c.refresh = time.NewTicker(max(c.LobbySettings.TTLs.Waiting/3, 100*time.Millisecond))
	}
	switch e.Status {
	case core.EntryAccepted:
		c.decided = true
		return meetlinev1.CallStatus_CALL_STATUS_ADMITTED, nil
	case core.EntryDenied:
		c.decided = true
		return meetlinev1.CallStatus_CALL_STATUS_DENIED, nil
	}
	return meetlinev1.CallStatus_CALL_STATUS_WAITING_IN_LOBBY, nil
}

// wait blocks until the next signal or the end of ctx. Meanwhile it keeps
// the caller's entry alive; a refresh decides nothing, so it re-reads nothing.
func (c *phoneCall) wait(ctx context.Context, signals <-chan struct{}) error {
	var tick <-chan time.Time
	if c.refresh != nil {
		tick = c.refresh.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-signals:
			return nil
		case <-tick:
			err := c.Lobby.RefreshEntry(ctx, c.room, c.entry)
			if core.Code(err) == core.ENOTFOUND {
				return nil // gone with the store's data: status makes it again, under the same id
			}
			if err != nil {
				return err
			}
		}
	}
}

// response is what sipgate receives for st. Callers are guests (role
// unspecified); the LiveKit room is the room's id, as in ResolvePin.
func (c *phoneCall) response(ctx context.Context, st meetlinev1.CallStatus) *meetlinev1.JoinRoomResponse {
	res := &meetlinev1.JoinRoomResponse{Status: st}
	if st == meetlinev1.CallStatus_CALL_STATUS_ADMITTED {
		res.LivekitRoom = c.room
		res.First = c.first(ctx)
	}
	if c.inLobby {
		res.ParticipantId = c.entry
	}
	return res
}

// first reports whether nobody is in the meeting, on the web or on the
// phone, as the caller is admitted: presence counts the web only, so
// LiveKit is asked when nobody is there on the web. When LiveKit does not
// answer, the caller is not told they are first: a wrong "first" is worse
// than none.
func (c *phoneCall) first(ctx context.Context) bool {
	if c.web > 0 {
		return false
	}
	if c.early != nil {
		return c.early()
	}
	return c.askLiveKit(ctx)
}

// askFirst asks LiveKit whether the room is empty without waiting for the
// answer, which the returned function waits for.
func (c *phoneCall) askFirst(ctx context.Context) func() bool {
	answer := make(chan bool, 1)
	go func() { answer <- c.askLiveKit(ctx) }()
	return func() bool { return <-answer }
}

// askLiveKit reports whether LiveKit's room has nobody in it.
func (c *phoneCall) askLiveKit(ctx context.Context) bool {
	ps, err := c.LiveKit.ListParticipants(ctx, c.room)
	switch core.Code(err) {
	case core.ENOTFOUND:
		return true // no LiveKit room yet
	case "":
		return len(ps) == 0
	}
	c.Logger.Warn("participants of the room unknown: the caller is not told they are first", "room", c.room, "err", err)
	return false
}

// end counts how the stream ended and takes a caller who leaves undecided
// out of the lobby, so that administrators see no ghost until it expires. A
// decided entry stays: its answer stands until then.
func (c *phoneCall) end(ctx context.Context) {
	switch {
	case final(c.last):
		c.metrics.joins.WithLabelValues(statusName(c.last)).Inc()
	case ctx.Err() != nil:
		c.metrics.joins.WithLabelValues("abandoned").Inc()
		c.Logger.Info("phone caller went away", "room", c.room, "call_id", c.callID, "status", statusName(c.last))
	}
	if c.refresh != nil {
		c.refresh.Stop()
	}
	if !c.inLobby || c.decided {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := c.Lobby.RemoveEntry(ctx, c.room, c.entry); err != nil {
		c.Logger.Warn("phone caller left in the lobby", "room", c.room, "call_id", c.callID, "err", err)
	}
}

// final reports whether no status follows st.
func final(st meetlinev1.CallStatus) bool {
	return st == meetlinev1.CallStatus_CALL_STATUS_ADMITTED || st == meetlinev1.CallStatus_CALL_STATUS_DENIED ||
		st == meetlinev1.CallStatus_CALL_STATUS_ROOM_ENDED
}

// statusName is st as logs and metrics write it: "waiting_in_lobby".
func statusName(st meetlinev1.CallStatus) string {
	return strings.ToLower(strings.TrimPrefix(st.String(), "CALL_STATUS_"))
}
