package api

import (
	"context"
	"strings"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// operatorService implements meetline.v1.OperatorService: the operator
// service token grants people the operator role.
type operatorService struct {
	*Server
}

// SetOperator grants or revokes a user's operator role.
func (s *operatorService) SetOperator(ctx context.Context, req *meetlinev1.SetOperatorRequest) (*meetlinev1.SetOperatorResponse, error) {
	u, err := s.Users.SetOperator(ctx, strings.TrimSpace(req.User), req.Operator)
	if err != nil {
		return nil, err
	}
	s.Logger.Info("operator role changed", "user_id", u.ID, "operator", u.Operator)
	return &meetlinev1.SetOperatorResponse{User: userToProto(u, s.RoomLimits.defaultAccessLevel(u))}, nil
}

// ListOperators lists the users with the operator role.
func (s *operatorService) ListOperators(ctx context.Context, _ *meetlinev1.ListOperatorsRequest) (*meetlinev1.ListOperatorsResponse, error) {
	users, err := s.Users.ListOperators(ctx)
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.ListOperatorsResponse{Operators: make([]*meetlinev1.User, len(users))}
	for i, u := range users {
		res.Operators[i] = userToProto(u, s.RoomLimits.defaultAccessLevel(u))
	}
	return res, nil
}
