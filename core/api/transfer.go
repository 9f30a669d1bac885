package api

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// errReferOff answers sipgate when the core opens no transfers: it bridges.
var errReferOff = core.Errorf(core.EPRECONDITION, "REFER hand-offs are off: no carrier address is allowed (LIVEKIT_SIP_REFER_ADDRESSES)")

// maxTransferTarget bounds a target CloseTransfer takes: OpenTransfer's are far shorter.
const maxTransferTarget = 64

// OpenTransfer opens a Transfer into the admitted caller's room (core.TransferRoutes). sipgate alone may
// call it (service token), and it has the room's decision from JoinRoom already; the core checks the
// room still exists and decides the attributes LiveKit gives the caller.
func (s *telephonyService) OpenTransfer(ctx context.Context, req *meetlinev1.OpenTransferRequest) (*meetlinev1.OpenTransferResponse, error) {
	switch {
	case req.RoomId == "":
		return nil, core.Invalid("room_id", "must be a room id")
	case req.CallId == "":
		return nil, core.Invalid("call_id", "must be sipgate's id of the call")
	}
	role := core.RoleNone
	if req.Role != meetlinev1.Role_ROLE_UNSPECIFIED {
		r, err := roleFromProto("role", req.Role)
		if err != nil {
			return nil, err
		}
		role = r
	}
	if s.Transfers == nil {
		return nil, errReferOff
	}
	room, err := s.Rooms.FindRoom(ctx, req.RoomId)
	if err != nil {
		return nil, err
	}
	t, err := s.Transfers.Open(ctx, core.TransferGuest{LiveKitRoom: room.ID, RoomID: room.ID, CallID: req.CallId, Role: role})
	if err != nil {
		return nil, err
	}
	s.metrics.transfers.WithLabelValues("opened").Inc()
	return &meetlinev1.OpenTransferResponse{TargetUser: t.Target, ExpireTime: timestamppb.New(t.Expires)}, nil
}

// CloseTransfer closes a Transfer; one already gone is closed.
func (s *telephonyService) CloseTransfer(ctx context.Context, req *meetlinev1.CloseTransferRequest) (*meetlinev1.CloseTransferResponse, error) {
	if t := req.TargetUser; t == "" || len(t) > maxTransferTarget || strings.ContainsAny(t, "@:;?& ") {
		return nil, core.Invalid("target_user", "must be an OpenTransfer target")
	}
	if s.Transfers == nil {
		return nil, errReferOff
	}
	if err := s.Transfers.Close(ctx, req.TargetUser); err != nil {
		return nil, err
	}
	s.metrics.transfers.WithLabelValues("closed").Inc()
	return &meetlinev1.CloseTransferResponse{}, nil
}
