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
	return &meetlinev1.GetMeResponse{User: userToProto(core.CallerFrom(ctx).User)}, nil
}

func (s *userService) UpdateMe(ctx context.Context, req *meetlinev1.UpdateMeRequest) (*meetlinev1.UpdateMeResponse, error) {
	upd := core.UserUpdate{Language: req.Language, TimeZone: req.Timezone}
	if req.DefaultRoomAccessLevel != nil {
		l, err := accessLevelFromProto("default_room_access_level", req.GetDefaultRoomAccessLevel())
		if err != nil {
			return nil, err
		}
		upd.DefaultAccessLevel = &l
	}
	u, err := s.Users.UpdateUser(ctx, core.CallerFrom(ctx).User.ID, upd)
	if err != nil {
		return nil, err
	}
	return &meetlinev1.UpdateMeResponse{User: userToProto(u)}, nil
}
