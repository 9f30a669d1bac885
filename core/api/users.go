package api

import (
	"context"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// userService implements meetline.v1.UserService: the caller's own profile.
type userService struct {
	*Server
}

func (s *userService) GetMe(ctx context.Context, _ *meetlinev1.GetMeRequest) (*meetlinev1.GetMeResponse, error) {
	u := core.CallerFrom(ctx).User
	return &meetlinev1.GetMeResponse{User: userToProto(u, s.RoomLimits.defaultAccessLevel(u))}, nil
}

func (s *userService) UpdateMe(ctx context.Context, req *meetlinev1.UpdateMeRequest) (*meetlinev1.UpdateMeResponse, error) {
	upd := core.UserUpdate{Language: req.Language, TimeZone: req.Timezone, MarketingConsent: req.MarketingConsent}
	if req.DefaultRoomAccessLevel != nil {
		l, err := accessLevelFromProto("default_room_access_level", req.GetDefaultRoomAccessLevel())
		if err != nil {
			return nil, err
		}
		upd.DefaultAccessLevel = &l
	}
	was := core.CallerFrom(ctx).User
	u, err := s.Users.UpdateUser(ctx, was.ID, upd)
	if err != nil {
		return nil, err
	}
	if s.MarketingSignUp && u.MarketingConsent && !was.MarketingConsent {
		s.queueContact(ctx, u)
	}
	return &meetlinev1.UpdateMeResponse{User: userToProto(u, s.RoomLimits.defaultAccessLevel(u))}, nil
}
