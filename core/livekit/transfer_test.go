package livekit_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/livekit"
)

// transferTrunks returns the trunks of the transfers named name, with their rules.
func (p *privateSIP) transferTrunks(t *testing.T, name string) map[*lkproto.SIPInboundTrunkInfo][]*lkproto.SIPDispatchRuleInfo {
	t.Helper()
	ctx := context.Background()
	trunks, err := p.sc.ListSIPInboundTrunk(ctx, &lkproto.ListSIPInboundTrunkRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[*lkproto.SIPInboundTrunkInfo][]*lkproto.SIPDispatchRuleInfo{}
	for _, tr := range trunks.Items {
		if tr.Name != name {
			continue
		}
		rules, err := p.sc.ListSIPDispatchRule(ctx, &lkproto.ListSIPDispatchRuleRequest{TrunkIds: []string{tr.SipTrunkId}})
		if err != nil {
			t.Fatal(err)
		}
		out[tr] = rules.Items
	}
	return out
}

// TestTransferRoutes: a transfer is a trunk that takes only its callee from the carriers' addresses,
// without credentials, and a Direct rule into the room with the core's attributes; Close and Sweep remove
// both, and closing twice is no error.
func TestTransferRoutes(t *testing.T) {
	t.Parallel()
	p := newPrivateSIP(t)
	ctx := context.Background()
	if _, _, err := livekit.New(p.cfg).EnsureSIPRouting(ctx, p.routing); err != nil {
		t.Fatal(err)
	}
	const name = "meetline-sipgate-transfer"
	routes := livekit.NewTransferRoutes(livekit.New(p.cfg), name, []string{"192.0.2.0/24"}, time.Minute)
	guest := core.TransferGuest{LiveKitRoom: "room-1", RoomID: "room-1", CallID: "call-1"}
	tr, err := routes.Open(ctx, guest)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !strings.HasPrefix(tr.Target, "xfer-") || len(tr.Target) != 31 || time.Until(tr.Expires) < 50*time.Second {
		t.Errorf("transfer %+v", tr)
	}
	other, err := routes.Open(ctx, core.TransferGuest{LiveKitRoom: "room-1", RoomID: "room-1", CallID: "call-2", Role: core.RoleOwner})
	if err != nil || other.Target == tr.Target {
		t.Fatalf("a second transfer into the same room: %+v, %v", other, err)
	}
	open := p.transferTrunks(t, name)
	if len(open) != 2 {
		t.Fatalf("%d transfers in LiveKit, want 2", len(open))
	}
	for trunk, rules := range open {
		if len(trunk.Numbers) != 1 || trunk.AuthUsername != "" || len(trunk.AllowedAddresses) != 1 || trunk.AllowedAddresses[0] != "192.0.2.0/24" ||
			len(trunk.HeadersToAttributes) != 0 {
			t.Errorf("trunk %v: want one callee, the carriers' addresses, no credentials, no headers mapped", trunk)
		}
		if len(rules) != 1 || rules[0].GetRule().GetDispatchRuleDirect().GetRoomName() != "room-1" {
			t.Fatalf("rules %v, want one Direct rule into room-1", rules)
		}
		want := map[string]string{livekit.AttrRoomID: "room-1", livekit.AttrRole: "guest", livekit.AttrCallID: "call-1"}
		if trunk.Numbers[0] == other.Target {
			want[livekit.AttrRole], want[livekit.AttrCallID] = "owner", "call-2"
		}
		for k, v := range want {
			if rules[0].Attributes[k] != v {
				t.Errorf("attribute %s = %q, want %q", k, rules[0].Attributes[k], v)
			}
		}
	}
	if err := routes.Close(ctx, tr.Target); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := routes.Close(ctx, tr.Target); err != nil {
		t.Fatalf("Close again: %v", err)
	}
	if n := len(p.transferTrunks(t, name)); n != 1 {
		t.Fatalf("%d transfers after closing one of two", n)
	}
	if n, err := routes.Sweep(ctx); n != 0 || err != nil {
		t.Fatalf("Sweep of an open transfer = %d, %v", n, err)
	}
	if !p.inPlace(ctx) {
		t.Error("sipgate's trunk and rule were touched")
	}
}

// TestTransferSweep: a transfer nobody closed is removed once expired, by any replica.
func TestTransferSweep(t *testing.T) {
	t.Parallel()
	p := newPrivateSIP(t)
	ctx := context.Background()
	const name = "meetline-sipgate-transfer"
	routes := livekit.NewTransferRoutes(livekit.New(p.cfg), name, []string{"192.0.2.1"}, time.Second)
	if _, err := routes.Open(ctx, core.TransferGuest{LiveKitRoom: "r", RoomID: "r", CallID: "c"}); err != nil {
		t.Fatal(err)
	}
	replica := livekit.NewTransferRoutes(livekit.New(p.cfg), name, []string{"192.0.2.1"}, time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := replica.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired transfer was not swept")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := len(p.transferTrunks(t, name)); n != 0 {
		t.Fatalf("%d transfers after the sweep", n)
	}
	var logs strings.Builder
	sweepCtx, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	routes.RunSweeps(sweepCtx, 100*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	if strings.Contains(logs.String(), "failed") {
		t.Errorf("sweeps of nothing failed: %s", logs.String())
	}
}
