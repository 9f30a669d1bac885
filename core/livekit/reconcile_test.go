package livekit_test

import (
	"bytes"
	"context"
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

// These tests run on a livekit-server of their own, with a Valkey of their
// own that they stop, restart empty or flush: the routing they make takes
// every call, which would disturb the shared server, and the shared Valkey
// is everyone's.

// fastTiming keeps the tests short: a check every 300 ms, again within
// 20–40 ms after a failure.
var fastTiming = livekit.ReconcileTiming{Interval: 300 * time.Millisecond, Attempt: 3 * time.Second, Min: 20 * time.Millisecond}

// privateSIP is a livekit-server with its own Valkey, and the routing the
// tests keep in it.
type privateSIP struct {
	valkey  *testenv.ValkeyProcess
	cfg     livekit.Config
	sc      *lksdk.SIPClient
	routing livekit.SIPRouting
}

func newPrivateSIP(t *testing.T) *privateSIP {
	t.Helper()
	v := testenv.StartValkey(t)
	cfg := testenv.LiveKitSIPServer(t, "http://127.0.0.1:1/webhooks/livekit", v.Addr)
	return &privateSIP{valkey: v, cfg: cfg, sc: lksdk.NewSIPClient(cfg.URL, cfg.APIKey, cfg.APISecret),
		routing: livekit.SIPRouting{TrunkName: "meetline-sipgate", AllowedAddresses: []string{"127.0.0.1/32"},
			AuthUsername: "sipgate", AuthPassword: "never-logged-0123"}}
}

// inPlace reports whether LiveKit holds our trunk and one Callee rule bound
// to it; errors (LiveKit without its Redis) count as not in place.
func (p *privateSIP) inPlace(ctx context.Context) bool {
	trunks, err := p.sc.ListSIPInboundTrunk(ctx, &lkproto.ListSIPInboundTrunkRequest{})
	if err != nil {
		return false
	}
	for _, tr := range trunks.Items {
		if tr.Name != p.routing.TrunkName {
			continue
		}
		rules, err := p.sc.ListSIPDispatchRule(ctx, &lkproto.ListSIPDispatchRuleRequest{TrunkIds: []string{tr.SipTrunkId}})
		return err == nil && len(rules.Items) == 1 && rules.Items[0].GetRule().GetDispatchRuleCallee() != nil
	}
	return false
}

// logBuffer collects a logger's output; the reconciler writes to it while
// the test reads it.
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

// within polls cond every 10 ms for up to d and returns how long it took.
func within(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("no %s within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// TestSIPReconcilerValkeyRestart is the incident of issue 18: LiveKit's
// Redis goes away and comes back empty. While it is away the readiness
// check fails; once it is back, the trunk and the rule are in place again
// within the interval, with no restart of the core, and readiness recovers.
func TestSIPReconcilerValkeyRestart(t *testing.T) {
	t.Parallel()
	p := newPrivateSIP(t)
	ctx := t.Context()
	var logs logBuffer
	rec := livekit.NewSIPReconciler(livekit.New(p.cfg), p.routing, fastTiming, logs.logger())
	rec.Start(ctx)
	if err := rec.Ping(ctx); err != nil || !p.inPlace(ctx) {
		t.Fatalf("after Start: ping %v, in place %v", err, p.inPlace(ctx))
	}

	p.valkey.Stop()
	within(t, 5*time.Second, "failed readiness while LiveKit's Redis is down", func() bool { return rec.Ping(ctx) != nil })
	if err := rec.Ping(ctx); !strings.Contains(err.Error(), "last check") {
		t.Errorf("ping = %v, want it to say what the last check saw", err)
	}
	down := rec.LastOK()
	p.valkey.Start()
	took := within(t, 5*time.Second, "routing back", func() bool { return p.inPlace(ctx) })
	within(t, 2*time.Second, "readiness", func() bool { return rec.Ping(ctx) == nil })
	if !rec.LastOK().After(down) {
		t.Errorf("LastOK %v not after the outage began (%v)", rec.LastOK(), down)
	}
	t.Logf("routing back %s after Valkey restarted empty (interval %s)", took, fastTiming.Interval)
	if strings.Contains(logs.String(), p.routing.AuthPassword) {
		t.Errorf("the password is logged:\n%s", logs.String())
	}
}

// TestSIPReconcilerFlush: LiveKit's Redis is flushed under a running
// LiveKit (the trunk and rule vanish, nothing fails); the next periodic
// check puts them back.
func TestSIPReconcilerFlush(t *testing.T) {
	t.Parallel()
	p := newPrivateSIP(t)
	ctx := t.Context()
	rec := livekit.NewSIPReconciler(livekit.New(p.cfg), p.routing, fastTiming, slog.New(slog.DiscardHandler))
	rec.Start(ctx)
	p.valkey.Flush()
	if p.inPlace(ctx) {
		t.Fatal("routing still listed after FLUSHALL")
	}
	took := within(t, 3*fastTiming.Interval, "routing back", func() bool { return p.inPlace(ctx) })
	t.Logf("routing back %s after FLUSHALL (interval %s)", took, fastTiming.Interval)
}

// TestSIPReconcilerTrigger: with an interval far beyond the test, only
// Trigger (what sipgate's report of a failed hand-off calls) can bring the
// routing back, and it does at once, however many reports come together.
func TestSIPReconcilerTrigger(t *testing.T) {
	t.Parallel()
	p := newPrivateSIP(t)
	ctx := t.Context()
	timing := livekit.ReconcileTiming{Interval: time.Hour, Attempt: 3 * time.Second, Min: 200 * time.Millisecond}
	rec := livekit.NewSIPReconciler(livekit.New(p.cfg), p.routing, timing, slog.New(slog.DiscardHandler))
	rec.Start(ctx)
	first := rec.LastOK()
	p.valkey.Flush()
	for range 100 {
		rec.Trigger()
	}
	took := within(t, 2*time.Second, "routing back after Trigger", func() bool { return p.inPlace(ctx) })
	t.Logf("routing back %s after Trigger", took)
	// The check records its outcome after its last list call, a moment
	// after the routing shows.
	within(t, 2*time.Second, "LastOK moving", func() bool { return rec.LastOK().After(first) })
}

// TestSIPReconcilerRefused starts while LiveKit refuses our trunk (another
// one already takes every call, as LiveKit allows only one trunk without
// numbers): readiness fails and the reconciler keeps trying; once the
// obstacle is gone the routing is in place, readiness recovers, and the ids
// (never the password) are logged.
func TestSIPReconcilerRefused(t *testing.T) {
	t.Parallel()
	p := newPrivateSIP(t)
	ctx := t.Context()
	blocker, err := p.sc.CreateSIPInboundTrunk(ctx, &lkproto.CreateSIPInboundTrunkRequest{
		Trunk: &lkproto.SIPInboundTrunkInfo{Name: "someone-else", AllowedAddresses: []string{"192.0.2.1"}}})
	if err != nil {
		t.Fatalf("CreateSIPInboundTrunk: %v", err)
	}
	var logs logBuffer
	rec := livekit.NewSIPReconciler(livekit.New(p.cfg), p.routing, fastTiming, logs.logger())
	rec.Start(ctx)
	if err := rec.Ping(ctx); err == nil {
		t.Fatal("ready while LiveKit refuses the trunk")
	}
	if !rec.LastOK().IsZero() {
		t.Errorf("LastOK = %v, want never", rec.LastOK())
	}
	within(t, 5*time.Second, "a retry", func() bool { return strings.Count(logs.String(), "not in place") >= 2 })

	if _, err := p.sc.DeleteSIPTrunk(ctx, &lkproto.DeleteSIPTrunkRequest{SipTrunkId: blocker.SipTrunkId}); err != nil {
		t.Fatalf("DeleteSIPTrunk: %v", err)
	}
	within(t, 5*time.Second, "readiness", func() bool { return rec.Ping(ctx) == nil })

	trunks, err := p.sc.ListSIPInboundTrunk(ctx, &lkproto.ListSIPInboundTrunkRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(trunks.Items) != 1 {
		t.Fatalf("trunks = %v, want ours only", trunks.Items)
	}
	tr := trunks.Items[0]
	if tr.Name != p.routing.TrunkName || tr.Metadata != livekit.SIPTrunkMetadata ||
		!slices.Equal(tr.AllowedAddresses, p.routing.AllowedAddresses) || tr.AuthPassword != p.routing.AuthPassword {
		t.Errorf("trunk = %v", tr)
	}
	rules, err := p.sc.ListSIPDispatchRule(ctx, &lkproto.ListSIPDispatchRuleRequest{TrunkIds: []string{tr.SipTrunkId}})
	if err != nil || len(rules.Items) != 1 {
		t.Fatalf("rules = %v, %v; want one", rules, err)
	}
	out := logs.String()
	if !strings.Contains(out, "trunk_id="+tr.SipTrunkId) || !strings.Contains(out, "rule_id="+rules.Items[0].SipDispatchRuleId) {
		t.Errorf("the ids are not logged:\n%s", out)
	}
	if strings.Contains(out, p.routing.AuthPassword) {
		t.Errorf("the password is logged:\n%s", out)
	}
}

// TestSIPReconcilerStale: a verdict older than two intervals is no verdict.
func TestSIPReconcilerStale(t *testing.T) {
	t.Parallel()
	p := newPrivateSIP(t)
	timing := livekit.ReconcileTiming{Interval: 50 * time.Millisecond, Attempt: 500 * time.Millisecond, Min: 20 * time.Millisecond}
	rec := livekit.NewSIPReconciler(livekit.New(p.cfg), p.routing, timing, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(t.Context())
	rec.Start(ctx)
	cancel() // the loop stops: no further check
	time.Sleep(2*timing.Interval + timing.Attempt + 100*time.Millisecond)
	if err := rec.Ping(t.Context()); err == nil || !strings.Contains(err.Error(), "no check for") {
		t.Errorf("ping = %v, want a stale verdict", err)
	}
}
