package api

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// roomService implements meetline.v1.RoomService.
type roomService struct {
	*Server
}

// RoomLimits bound what one user may write: each room and each PIN is a
// row, and each new PIN is a search for a free one on the trunk. They also
// hold the deployment's default access level.
type RoomLimits struct {
	CreatePerUser        core.AttemptLimit
	RegeneratePINPerUser core.AttemptLimit
	// DefaultAccessLevel is the level of rooms created without one by users
	// who chose no default (ROOM_DEFAULT_ACCESS_LEVEL); restricted when empty.
	DefaultAccessLevel core.AccessLevel
}

// defaultAccessLevel is the level of u's new rooms when CreateRoom says none.
func (l RoomLimits) defaultAccessLevel(u *core.User) core.AccessLevel {
	switch {
	case u.DefaultAccessLevel != "":
		return u.DefaultAccessLevel
	case l.DefaultAccessLevel != "":
		return l.DefaultAccessLevel
	}
	return core.AccessRestricted
}

func (s *roomService) CreateRoom(ctx context.Context, req *meetlinev1.CreateRoomRequest) (*meetlinev1.CreateRoomResponse, error) {
	user := core.CallerFrom(ctx).User
	room := &core.Room{Name: req.Name, AccessLevel: s.RoomLimits.defaultAccessLevel(user)}
	if req.AccessLevel != meetlinev1.AccessLevel_ACCESS_LEVEL_UNSPECIFIED {
		l, err := accessLevelFromProto("access_level", req.AccessLevel)
		if err != nil {
			return nil, err
		}
		room.AccessLevel = l
	}
	cfg, err := configurationFromProto(req.Configuration)
	if err != nil {
		return nil, err
	}
	room.Configuration = cfg
	if req.CallbackId != "" && !core.ValidCallbackID(req.CallbackId) {
		return nil, core.Invalid("callback_id", "must be 22 to 128 letters, digits, - or _")
	}
	if err := s.Limiter.Allow(ctx, "rooms:create:"+user.ID, s.RoomLimits.CreatePerUser); err != nil {
		return nil, err
	}
	if req.CallbackId != "" {
		if err := s.RoomCallbacks.Reserve(ctx, req.CallbackId, core.RoomCallbackTTL); err != nil {
			return nil, err
		}
	}
	if err := s.Rooms.CreateRoom(ctx, room, user.ID); err != nil {
		return nil, err
	}
	if req.CallbackId != "" {
		if err := s.RoomCallbacks.Fulfil(ctx, req.CallbackId, room.ID, core.RoomCallbackTTL); err != nil {
			return nil, err
		}
	}
	r, err := s.roomView(ctx, room, core.RoleOwner)
	return &meetlinev1.CreateRoomResponse{Room: r}, err
}

// GetCreationCallback hands the room created with a callback id to the
// window that chose the id, once, as anyone not signed in would see it.
func (s *roomService) GetCreationCallback(ctx context.Context, req *meetlinev1.GetCreationCallbackRequest) (*meetlinev1.GetCreationCallbackResponse, error) {
	if !core.ValidCallbackID(req.CallbackId) {
		return nil, core.Invalid("callback_id", "must be 22 to 128 letters, digits, - or _")
	}
	id, err := s.RoomCallbacks.Take(ctx, req.CallbackId)
	if err != nil {
		return nil, err
	}
	room, err := s.Rooms.FindRoom(ctx, id)
	if err != nil {
		return nil, err
	}
	r, err := s.roomSummary(core.WithCaller(ctx, &core.Caller{}), room, core.RoleNone)
	return &meetlinev1.GetCreationCallbackResponse{Room: r}, err
}

func (s *roomService) GetRoom(ctx context.Context, req *meetlinev1.GetRoomRequest) (*meetlinev1.GetRoomResponse, error) {
	if req.Room == "" {
		return nil, core.Invalid("room", "must be a room id or slug")
	}
	room, err := s.Rooms.FindRoom(ctx, req.Room)
	if err != nil {
		return nil, err
	}
	role, err := s.callerRole(ctx, room.ID)
	if err != nil {
		return nil, err
	}
	r, err := s.roomView(ctx, room, role)
	return &meetlinev1.GetRoomResponse{Room: r}, err
}

func (s *roomService) ListRooms(ctx context.Context, req *meetlinev1.ListRoomsRequest) (*meetlinev1.ListRoomsResponse, error) {
	if req.PageSize < 0 || req.PageSize > 100 {
		return nil, core.Invalid("page_size", "must be from 0 to 100")
	}
	size := int(req.PageSize)
	if size == 0 {
		size = 20
	}
	user := core.CallerFrom(ctx).User
	rooms, next, err := s.Rooms.FindRoomsByUser(ctx, user.ID, core.Page{Size: size, Token: req.PageToken})
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.ListRoomsResponse{NextPageToken: next}
	for _, room := range rooms {
		role, err := s.Accesses.FindRole(ctx, room.ID, user.ID)
		if err != nil {
			return nil, err
		}
		r, err := s.roomSummary(ctx, room, role)
		if err != nil {
			return nil, err
		}
		res.Rooms = append(res.Rooms, r)
	}
	return res, nil
}

func (s *roomService) UpdateRoom(ctx context.Context, req *meetlinev1.UpdateRoomRequest) (*meetlinev1.UpdateRoomResponse, error) {
	role, err := s.requireRole(ctx, req.Id, core.RoleAdministrator)
	if err != nil {
		return nil, err
	}
	upd := core.RoomUpdate{Name: req.Name}
	if req.AccessLevel != nil {
		l, err := accessLevelFromProto("access_level", req.GetAccessLevel())
		if err != nil {
			return nil, err
		}
		upd.AccessLevel = &l
	}
	if upd.Configuration, err = configurationFromProto(req.Configuration); err != nil {
		return nil, err
	}
	before, err := s.Rooms.FindRoom(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	room, err := s.Rooms.UpdateRoom(ctx, req.Id, upd)
	if err != nil {
		return nil, err
	}
	if core.Tighter(before.AccessLevel, room.AccessLevel) {
		s.removeLive(ctx, room.ID, "tightened", func(p core.LiveParticipant) bool { return !core.MayStay(room.AccessLevel, p) })
	}
	// People waiting to enter look again: the access level or
	// phone_callers_first may let them in. The update is saved whatever
	// happens here, so a failure is logged, not returned.
	if err := s.Lobby.Notify(ctx, room.ID); err != nil {
		s.Logger.Warn("lobby not told of a room update", "room", room.ID, "err", err)
	}
	live, err := s.Recordings.FindLiveRecording(ctx, room.ID)
	if err != nil && core.Code(err) != core.ENOTFOUND {
		return nil, err
	}
	if err := s.pushMetadata(ctx, room, live); err != nil {
		return nil, err
	}
	r, err := s.roomView(ctx, room, role)
	return &meetlinev1.UpdateRoomResponse{Room: r}, err
}

// recordingStates are what a room's metadata says of its recording, in
// Meet's words, so clients show "recording" while it runs.
var recordingStates = map[core.RecordingStatus]string{
	core.RecordingInitiated: "starting",
	core.RecordingActive:    "started",
	core.RecordingStopped:   "saving",
	core.RecordingAborted:   "aborted",
}

// pushMetadata tells a live LiveKit room its access level, configuration and
// the state of rec (nil: none), so clients in it follow; a room nobody is in
// is no error.
func (s *Server) pushMetadata(ctx context.Context, room *core.Room, rec *core.Recording) error {
	md := struct {
		AccessLevel     core.AccessLevel   `json:"access_level"`
		Configuration   json.RawMessage    `json:"configuration"`
		RecordingMode   core.RecordingMode `json:"recording_mode,omitempty"`
		RecordingStatus string             `json:"recording_status,omitempty"`
	}{AccessLevel: room.AccessLevel, Configuration: room.Configuration}
	if rec != nil && recordingStates[rec.Status] != "" {
		md.RecordingMode, md.RecordingStatus = rec.Mode, recordingStates[rec.Status]
	}
	b, err := json.Marshal(md)
	if err != nil {
		return err
	}
	err = s.LiveKit.UpdateRoomMetadata(ctx, room.ID, string(b))
	if err != nil && core.Code(err) != core.ENOTFOUND {
		return core.Errorf(core.EUNAVAILABLE, "the room was saved but LiveKit could not be told: %v", err)
	}
	return nil
}

func (s *roomService) DeleteRoom(ctx context.Context, req *meetlinev1.DeleteRoomRequest) (*meetlinev1.DeleteRoomResponse, error) {
	if _, err := s.requireRole(ctx, req.Id, core.RoleOwner); err != nil {
		return nil, err
	}
	if err := s.Rooms.DeleteRoom(ctx, req.Id); err != nil {
		return nil, err
	}
	// The lobby goes with the room, and clearing it tells the people waiting
	// (lobby streams, phone callers) that it is gone. The room is deleted
	// whatever happens here, so a failure is logged, not returned.
	if err := s.Lobby.ClearLobby(ctx, req.Id); err != nil {
		s.Logger.Warn("lobby not cleared after a deletion", "room", req.Id, "err", err)
	}
	s.closeLive(ctx, req.Id)
	return &meetlinev1.DeleteRoomResponse{}, nil
}

func (s *roomService) RegeneratePin(ctx context.Context, req *meetlinev1.RegeneratePinRequest) (*meetlinev1.RegeneratePinResponse, error) {
	role, err := s.requireRole(ctx, req.Id, core.RoleAdministrator)
	if err != nil {
		return nil, err
	}
	if err := s.Limiter.Allow(ctx, "rooms:pin:"+core.CallerFrom(ctx).User.ID, s.RoomLimits.RegeneratePINPerUser); err != nil {
		return nil, err
	}
	room, err := s.Rooms.RegeneratePIN(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	r, err := s.roomView(ctx, room, role)
	return &meetlinev1.RegeneratePinResponse{Room: r}, err
}

// callerRole is the signed-in caller's role in room, RoleNone for anyone else.
func (s *Server) callerRole(ctx context.Context, room string) (core.Role, error) {
	c := core.CallerFrom(ctx)
	if c.User == nil {
		return core.RoleNone, nil
	}
	return s.Accesses.FindRole(ctx, room, c.User.ID)
}

// requireRole fails unless the caller has at least role in room: ENOTFOUND
// for a room that does not exist, EFORBIDDEN otherwise.
func (s *Server) requireRole(ctx context.Context, room string, want core.Role) (core.Role, error) {
	if room == "" {
		return "", core.Invalid("id", "must be a room id")
	}
	if _, err := s.Rooms.FindRoom(ctx, room); err != nil {
		return "", err
	}
	role, err := s.callerRole(ctx, room)
	if err != nil {
		return "", err
	}
	if !role.AtLeast(want) {
		return "", core.Errorf(core.EFORBIDDEN, "this needs the %s role in the room", want)
	}
	return role, nil
}

// roomSummary is what the caller may see of room, without a LiveKit token or
// the access list. Those the lobby stands before see what asking to enter
// takes: id, name, current slug (an old one redirects to it) and access
// level. Those who may enter without it also see the configuration (the
// meeting's metadata shows it to everyone in it anyway), the dates, the PIN
// and the dial-in.
func (s *Server) roomSummary(ctx context.Context, room *core.Room, role core.Role) (*meetlinev1.Room, error) {
	r := &meetlinev1.Room{
		Id:          room.ID,
		Name:        room.Name,
		Slug:        room.Slug,
		AccessLevel: accessLevels[room.AccessLevel],
		Role:        roles[role],
	}
	if !core.CanEnter(room.AccessLevel, role, core.CallerFrom(ctx).Authenticated()) {
		return r, nil
	}
	r.Configuration = configurationToProto(room.Configuration)
	r.CreateTime, r.UpdateTime = timestamppb.New(room.CreatedAt), timestamppb.New(room.UpdatedAt)
	dialIn, err := s.dialIn(ctx, room)
	r.DialIn = dialIn
	return r, err
}

// roomView is roomSummary plus the LiveKit connection for those who may
// enter, and the accesses for administrators and owners.
func (s *Server) roomView(ctx context.Context, room *core.Room, role core.Role) (*meetlinev1.Room, error) {
	r, err := s.roomSummary(ctx, room, role)
	if err != nil || r.DialIn == nil {
		return r, err
	}
	if r.Livekit, err = s.connection(ctx, room, role); err != nil {
		return nil, err
	}
	if role.IsAdmin() {
		accesses, err := s.Accesses.FindAccesses(ctx, room.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range accesses {
			r.Accesses = append(r.Accesses, accessToProto(a))
		}
	}
	return r, nil
}

// dialIn lists the room's trunk numbers with its PIN; empty when the room has
// no PIN, telephony is off, or the trunk is disabled.
func (s *Server) dialIn(ctx context.Context, room *core.Room) (*meetlinev1.DialIn, error) {
	d := &meetlinev1.DialIn{}
	if !s.Telephony.Enabled || room.TrunkID == "" {
		return d, nil
	}
	t, err := s.Trunks.FindTrunkByID(ctx, room.TrunkID)
	if err != nil || !t.Enabled {
		return d, err
	}
	d.Pin = room.PIN
	for _, n := range t.Numbers {
		d.Numbers = append(d.Numbers, dialInNumber(n, t.Language, room.PIN))
	}
	return d, nil
}

// connection returns a LiveKit token for the caller: signed-in users join
// as themselves; anonymous people in a public room get a fresh identity.
func (s *Server) connection(ctx context.Context, room *core.Room, role core.Role) (*meetlinev1.LiveKitConnection, error) {
	p := core.Participant{Identity: "anonymous-" + uuid.NewString(), Role: role}
	if u := core.CallerFrom(ctx).User; u != nil {
		p = core.Participant{Identity: u.Sub, Name: u.FullName, Role: role, Authenticated: true}
	}
	p.Color = core.ColorFor(p.Identity)
	token, err := s.LiveKit.Token(room, p)
	if err != nil {
		return nil, err
	}
	return &meetlinev1.LiveKitConnection{Url: s.LiveKit.PublicURL(), Room: room.ID, Token: token}, nil
}
