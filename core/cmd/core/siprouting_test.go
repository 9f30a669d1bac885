package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/testenv"
)

// TestSIPRoutingOff checks that without allowed addresses the core neither
// provisions nor waits for LiveKit, and says so once.
func TestSIPRoutingOff(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	lk := livekit.New(livekit.Config{URL: "http://127.0.0.1:1", APIKey: "devkey", APISecret: "secret"})
	srv := &api.Server{}
	startSIPRouting(t.Context(), srv, lk, livekit.SIPRouting{TrunkName: "meetline-sipgate"}, livekit.DefaultReconcileTiming,
		slog.New(slog.NewTextHandler(&logs, nil)))
	if srv.Checks != nil || srv.SIPRouting != nil {
		t.Errorf("checks = %v, routing = %v; want none", srv.Checks, srv.SIPRouting)
	}
	if n := strings.Count(logs.String(), "LIVEKIT_SIP_ALLOWED_ADDRESSES is empty"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
}

// TestSIPRoutingStart checks the wiring: the reconciler is on the server for
// sipgate's reports, and its check, with the age of its last success, is
// among the readiness checks.
func TestSIPRoutingStart(t *testing.T) {
	t.Parallel()
	cfg := testenv.LiveKitSIPServer(t, "http://127.0.0.1:1/webhooks/livekit", testenv.ValkeyServer(t))
	srv := &api.Server{}
	r := livekit.SIPRouting{TrunkName: "meetline-sipgate", AllowedAddresses: []string{"127.0.0.1/32"}}
	startSIPRouting(t.Context(), srv, livekit.New(cfg), r, livekit.DefaultReconcileTiming, slog.New(slog.DiscardHandler))
	if srv.SIPRouting == nil || len(srv.Checks) != 1 || srv.Checks[0].Name != sipRoutingCheck || srv.Checks[0].LastOK == nil {
		t.Fatalf("routing = %v, checks = %+v", srv.SIPRouting, srv.Checks)
	}
	if err := srv.Checks[0].Ping(t.Context()); err != nil {
		t.Errorf("not ready after start beside a healthy LiveKit: %v", err)
	}
}
