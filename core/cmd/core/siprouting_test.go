package main

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

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

func TestLoadConfigSIPRouting(t *testing.T) {
	c, err := loadConfig(getenv(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if sip := c.LiveKitSIP; sip.TrunkName != "meetline-sipgate" || sip.AllowedAddresses != nil || sip.AuthUsername != "" {
		t.Errorf("defaults = %+v", sip)
	}
	c, err = loadConfig(getenv(minimal, "LIVEKIT_SIP_TRUNK_NAME", "sip-eu", "LIVEKIT_SIP_ALLOWED_ADDRESSES", " 192.0.2.10, 2001:db8::/64,,",
		"LIVEKIT_SIP_AUTH_USERNAME", "sipgate", "LIVEKIT_SIP_AUTH_PASSWORD", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	if c.LiveKitSIPTiming != livekit.DefaultReconcileTiming {
		t.Errorf("timing = %+v, want the default", c.LiveKitSIPTiming)
	}
	if c, err := loadConfig(getenv(minimal, "LIVEKIT_SIP_RECONCILE_INTERVAL", "5s")); err != nil || c.LiveKitSIPTiming.Interval != 5*time.Second {
		t.Errorf("LIVEKIT_SIP_RECONCILE_INTERVAL=5s: %v, %v", c.LiveKitSIPTiming, err)
	}
	want := livekit.SIPRouting{TrunkName: "sip-eu", AllowedAddresses: []string{"192.0.2.10", "2001:db8::/64"},
		AuthUsername: "sipgate", AuthPassword: "pw"}
	if sip := c.LiveKitSIP; sip.TrunkName != want.TrunkName || !slices.Equal(sip.AllowedAddresses, want.AllowedAddresses) ||
		sip.AuthUsername != want.AuthUsername || sip.AuthPassword != want.AuthPassword {
		t.Errorf("LiveKitSIP = %+v, want %+v", sip, want)
	}

	for _, tt := range []struct {
		name  string
		env   func(string) string
		wants string
	}{
		{"host name", getenv(minimal, "LIVEKIT_SIP_ALLOWED_ADDRESSES", "10.0.0.1,sipgate.example"), `LIVEKIT_SIP_ALLOWED_ADDRESSES="10.0.0.1,sipgate.example"`},
		{"bad prefix", getenv(minimal, "LIVEKIT_SIP_ALLOWED_ADDRESSES", "10.0.0.0/33"), `LIVEKIT_SIP_ALLOWED_ADDRESSES="10.0.0.0/33"`},
		{"user without password", getenv(minimal, "LIVEKIT_SIP_AUTH_USERNAME", "sipgate"), `LIVEKIT_SIP_AUTH_PASSWORD=""`},
		{"password without user", getenv(minimal, "LIVEKIT_SIP_AUTH_PASSWORD", "hunter2"), `LIVEKIT_SIP_AUTH_USERNAME=""`},
		{"zero interval", getenv(minimal, "LIVEKIT_SIP_RECONCILE_INTERVAL", "0s"), `LIVEKIT_SIP_RECONCILE_INTERVAL="0s"`},
	} {
		_, err := loadConfig(tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.wants) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error = %v, want it to name %s and no password", tt.name, err, tt.wants)
		}
	}
}
