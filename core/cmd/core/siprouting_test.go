package main

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/testenv"
)

// fastRetry keeps the tests short.
var fastRetry = sipRetry{Attempt: 5 * time.Second, Min: 20 * time.Millisecond, Max: 100 * time.Millisecond}

// logBuffer collects a logger's output; the background retries write to it
// while the test reads it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// TestSIPRoutingAtStart starts the provisioning while LiveKit refuses our
// trunk (another one already takes every call, as LiveKit allows only one
// trunk without numbers), expects readiness to fail and the core to keep
// trying, then removes the obstacle and expects the routing in place and
// readiness to turn OK. It runs on a livekit-server of its own, with a Redis
// of its own: the SIP APIs need one, and the routing it makes takes every
// call, which would disturb a shared server.
func TestSIPRoutingAtStart(t *testing.T) {
	t.Parallel()
	cfg := testenv.LiveKitSIPServer(t, "http://127.0.0.1:1/webhooks/livekit", testenv.ValkeyServer(t))
	sc := lksdk.NewSIPClient(cfg.URL, cfg.APIKey, cfg.APISecret)
	ctx := t.Context()
	blocker, err := sc.CreateSIPInboundTrunk(ctx, &lkproto.CreateSIPInboundTrunkRequest{
		Trunk: &lkproto.SIPInboundTrunkInfo{Name: "someone-else", AllowedAddresses: []string{"192.0.2.1"}}})
	if err != nil {
		t.Fatalf("CreateSIPInboundTrunk: %v", err)
	}

	r := livekit.SIPRouting{TrunkName: "meetline-sipgate", AllowedAddresses: []string{"127.0.0.1/32"},
		AuthUsername: "sipgate", AuthPassword: "never-logged-0123"}
	var logs logBuffer
	checks := startSIPRouting(ctx, livekit.New(cfg), r, fastRetry, logs.logger())
	if len(checks) != 1 || checks[0].Name != sipRoutingCheck {
		t.Fatalf("checks = %v, want one named %s", checks, sipRoutingCheck)
	}
	ping := checks[0].Ping
	if err := ping(ctx); err == nil {
		t.Fatal("ready while LiveKit refuses the trunk")
	}
	waitFor(t, "a retry", func() bool { return strings.Count(logs.String(), "not provisioned") >= 2 })

	if _, err := sc.DeleteSIPTrunk(ctx, &lkproto.DeleteSIPTrunkRequest{SipTrunkId: blocker.SipTrunkId}); err != nil {
		t.Fatalf("DeleteSIPTrunk: %v", err)
	}
	waitFor(t, "readiness", func() bool { return ping(ctx) == nil })

	trunks, err := sc.ListSIPInboundTrunk(ctx, &lkproto.ListSIPInboundTrunkRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(trunks.Items) != 1 {
		t.Fatalf("trunks = %v, want ours only", trunks.Items)
	}
	tr := trunks.Items[0]
	if tr.Name != r.TrunkName || tr.Metadata != livekit.SIPTrunkMetadata || !slices.Equal(tr.AllowedAddresses, r.AllowedAddresses) ||
		tr.AuthUsername != r.AuthUsername || tr.AuthPassword != r.AuthPassword {
		t.Errorf("trunk = %v", tr)
	}
	rules, err := sc.ListSIPDispatchRule(ctx, &lkproto.ListSIPDispatchRuleRequest{TrunkIds: []string{tr.SipTrunkId}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Items) != 1 || rules.Items[0].GetRule().GetDispatchRuleCallee() == nil {
		t.Errorf("rules = %v, want one Callee rule", rules.Items)
	}
	out := logs.String()
	if !strings.Contains(out, "trunk_id="+tr.SipTrunkId) || !strings.Contains(out, "rule_id="+rules.Items[0].SipDispatchRuleId) {
		t.Errorf("the ids are not logged:\n%s", out)
	}
	if strings.Contains(out, r.AuthPassword) {
		t.Errorf("the password is logged:\n%s", out)
	}
}

// TestSIPRoutingOff checks that without allowed addresses the core neither
// provisions nor waits for LiveKit, and says so once.
func TestSIPRoutingOff(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	lk := livekit.New(livekit.Config{URL: "http://127.0.0.1:1", APIKey: "devkey", APISecret: "secret"})
	checks := startSIPRouting(t.Context(), lk, livekit.SIPRouting{TrunkName: "meetline-sipgate"}, fastRetry, logs.logger())
	if checks != nil {
		t.Errorf("checks = %v, want none", checks)
	}
	if n := strings.Count(logs.String(), "LIVEKIT_SIP_ALLOWED_ADDRESSES is empty"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
