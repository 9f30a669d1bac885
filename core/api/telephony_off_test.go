package api_test

import (
	"context"
	"testing"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestTelephonyOffAssignsNoPIN: with TELEPHONY_ENABLED=false a room gets no
// PIN at all, even with a trunk enabled: not merely a hidden one.
func TestTelephonyOffAssignsNoPIN(t *testing.T) {
	t.Parallel()
	s := stackOf(testenv.Core(t, testenv.WithConfig(ruleSettings),
		testenv.WithConfig(func(c *app.Config) { c.TelephonyEnabled = false })))
	s.addTrunk(t, "paris", "fr-fr", true, "+33123456789")
	ctx := context.Background()
	res, err := s.clients(s.token(t, t.Name())).rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: "No phones"})
	if err != nil {
		t.Fatal(err)
	}
	var stored *string
	if err := s.db.Pool.QueryRow(ctx, `SELECT pin FROM rooms WHERE id = $1`, res.Room.Id).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != nil {
		t.Error("the room was stored with a PIN")
	}
}

// TestTelephonyOffRefusesCalls: with TELEPHONY_ENABLED=false sipgate learns
// that no number and no PIN leads anywhere (NotFound, which it answers with
// 404), even for a trunk's number and a PIN a room had before.
func TestTelephonyOffRefusesCalls(t *testing.T) {
	t.Parallel()
	s := stackOf(testenv.Core(t, testenv.WithConfig(ruleSettings),
		testenv.WithConfig(func(c *app.Config) { c.TelephonyEnabled = false })))
	s.addTrunk(t, "paris", "fr-fr", true, "+33123456789")
	ctx := context.Background()
	gw := s.clients(sipgateToken).telephony
	_, err := gw.LookupNumber(ctx, &meetlinev1.LookupNumberRequest{CalledNumber: "+33123456789"})
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("LookupNumber: %v, want NotFound", err)
	}
	_, err = gw.ResolvePin(ctx, &meetlinev1.ResolvePinRequest{CalledNumber: "+33123456789", Pin: "1234567890", CallId: "c1"})
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("ResolvePin: %v, want NotFound", err)
	}
}
