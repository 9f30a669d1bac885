package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/mock"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestTransfers: the core opens a transfer into the room sipgate names with the role JoinRoom gave, closes
// it on request, and refuses what sipgate can get wrong; LiveKit's failures reach sipgate (which bridges).
func TestTransfers(t *testing.T) {
	t.Parallel()
	var opened []core.TransferGuest
	var closed []string
	routes := &mock.TransferRoutes{
		OpenFn: func(ctx context.Context, g core.TransferGuest) (core.Transfer, error) {
			if g.CallID == "livekit-down" {
				return core.Transfer{}, errors.New("livekit: open transfer: trunk: connection refused")
			}
			opened = append(opened, g)
			return core.Transfer{Target: "xfer-abc", Expires: time.Now().Add(time.Minute)}, nil
		},
		CloseFn: func(ctx context.Context, target string) error {
			closed = append(closed, target)
			return nil
		},
	}
	s := newStack(t, func(srv *api.Server) { srv.Transfers = routes })
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456780")
	tel := cs[sipgate].telephony
	ctx := context.Background()

	res, err := tel.OpenTransfer(ctx, &meetlinev1.OpenTransferRequest{RoomId: f.room.Id, CallId: "call-1", Role: meetlinev1.Role_ROLE_MEMBER})
	if err != nil || res.TargetUser != "xfer-abc" || time.Until(res.ExpireTime.AsTime()) < 50*time.Second {
		t.Fatalf("OpenTransfer = %v, %v", res, err)
	}
	if _, err := tel.OpenTransfer(ctx, &meetlinev1.OpenTransferRequest{RoomId: f.room.Id, CallId: "call-2"}); err != nil {
		t.Fatalf("OpenTransfer for a guest: %v", err)
	}
	want := []core.TransferGuest{{LiveKitRoom: f.room.Id, RoomID: f.room.Id, CallID: "call-1", Role: core.RoleMember},
		{LiveKitRoom: f.room.Id, RoomID: f.room.Id, CallID: "call-2", Role: core.RoleNone}}
	if len(opened) != 2 || opened[0] != want[0] || opened[1] != want[1] {
		t.Errorf("opened %+v, want %+v", opened, want)
	}
	if _, err := tel.CloseTransfer(ctx, &meetlinev1.CloseTransferRequest{TargetUser: "xfer-abc"}); err != nil || len(closed) != 1 {
		t.Fatalf("CloseTransfer: %v (closed %v)", err, closed)
	}

	tests := []struct {
		name string
		call func() error
		code connect.Code
	}{
		{"no room", func() error {
			_, err := tel.OpenTransfer(ctx, &meetlinev1.OpenTransferRequest{CallId: "c"})
			return err
		}, connect.CodeInvalidArgument},
		{"no call id", func() error {
			_, err := tel.OpenTransfer(ctx, &meetlinev1.OpenTransferRequest{RoomId: f.room.Id})
			return err
		}, connect.CodeInvalidArgument},
		{"unknown role", func() error {
			_, err := tel.OpenTransfer(ctx, &meetlinev1.OpenTransferRequest{RoomId: f.room.Id, CallId: "c", Role: 42})
			return err
		}, connect.CodeInvalidArgument},
		{"unknown room", func() error {
			_, err := tel.OpenTransfer(ctx, &meetlinev1.OpenTransferRequest{RoomId: uuid.NewString(), CallId: "c"})
			return err
		}, connect.CodeNotFound},
		{"LiveKit fails", func() error {
			_, err := tel.OpenTransfer(ctx, &meetlinev1.OpenTransferRequest{RoomId: f.room.Id, CallId: "livekit-down"})
			return err
		}, connect.CodeInternal},
		{"no target", func() error {
			_, err := tel.CloseTransfer(ctx, &meetlinev1.CloseTransferRequest{})
			return err
		}, connect.CodeInvalidArgument},
		{"a URI for a target", func() error {
			_, err := tel.CloseTransfer(ctx, &meetlinev1.CloseTransferRequest{TargetUser: "xfer@evil"})
			return err
		}, connect.CodeInvalidArgument},
		{"a huge target", func() error {
			_, err := tel.CloseTransfer(ctx, &meetlinev1.CloseTransferRequest{TargetUser: strings.Repeat("x", 65)})
			return err
		}, connect.CodeInvalidArgument},
	}
	for _, tt := range tests {
		if err := tt.call(); connect.CodeOf(err) != tt.code {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.code)
		}
	}
	if len(opened) != 2 || len(closed) != 1 {
		t.Errorf("refused requests reached LiveKit: opened %d, closed %d", len(opened), len(closed))
	}
}
