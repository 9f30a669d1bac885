package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// RefreshToken mints a fresh LiveKit token for whoever may still be in the
// room: those CanEnter lets in (a role, a signed-in caller of a trusted room,
// anyone in a public one) and guests whose ticket names an entry a host
// accepted. Tokens are short (LIVEKIT_TOKEN_TTL), so a revoked participant
// gets nothing here once their token runs out.
func (s *roomService) RefreshToken(ctx context.Context, req *meetlinev1.RefreshTokenRequest) (*meetlinev1.RefreshTokenResponse, error) {
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
	var conn *meetlinev1.LiveKitConnection
	if core.CanEnter(room.AccessLevel, role, core.CallerFrom(ctx).Authenticated()) {
		conn, err = s.connection(ctx, room, role)
	} else {
		conn, err = s.admittedConnection(ctx, room, req.Ticket)
	}
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.RefreshTokenResponse{Livekit: conn}
	if exp, ok := tokenExpiry(conn.Token); ok {
		res.ExpireTime = timestamppb.New(exp)
	}
	return res, nil
}

// admittedConnection is the connection of a guest whose lobby entry a host
// accepted and nobody denied since.
func (s *roomService) admittedConnection(ctx context.Context, room *core.Room, ticket string) (*meetlinev1.LiveKitConnection, error) {
	denied := core.Errorf(core.EFORBIDDEN, "you may no longer enter this room: ask to enter again")
	if ticket == "" {
		return nil, denied
	}
	lobby := &lobbyService{Server: s.Server}
	id, err := lobby.tickets().open(room.ID, subject(ctx), ticket, time.Now())
	if err != nil {
		return nil, err
	}
	e, err := s.Lobby.FindEntry(ctx, room.ID, id)
	switch {
	case core.Code(err) == core.ENOTFOUND || (err == nil && e.Status != core.EntryAccepted):
		return nil, denied
	case err != nil:
		return nil, err
	}
	return lobby.lobbyConnection(ctx, room, e)
}

// tokenExpiry reads a JWT's exp claim; the core signed the token a moment
// ago, so there is nothing to verify.
func tokenExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err != nil || json.Unmarshal(b, &claims) != nil || claims.Exp == 0 {
		return time.Time{}, false
	}
	return time.Unix(claims.Exp, 0), true
}
