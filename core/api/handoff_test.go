package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestReportHandoffFailure is the operator's incident of issue 18 through
// the core's API: LiveKit's Redis goes away and comes back empty, taking
// sipgate's trunk and rule with it. With a periodic check far beyond the
// test, sipgate's reports alone make the core look: /readyz turns 503 on
// livekit_sip while LiveKit cannot answer, and once it can, the next report
// puts the routing back at once and /readyz recovers, with no restart.
func TestReportHandoffFailure(t *testing.T) {
	t.Parallel()
	v := testenv.StartValkey(t)
	lkcfg := testenv.LiveKitSIPServer(t, "http://127.0.0.1:1/webhooks/livekit", v.Addr)
	sc := lksdk.NewSIPClient(lkcfg.URL, lkcfg.APIKey, lkcfg.APISecret)
	routing := livekit.SIPRouting{TrunkName: "meetline-sipgate", AllowedAddresses: []string{"127.0.0.1/32"}}
	timing := livekit.ReconcileTiming{Interval: time.Hour, Attempt: 3 * time.Second, Min: 50 * time.Millisecond}
	rec := livekit.NewSIPReconciler(livekit.New(lkcfg), routing, timing, slog.New(slog.DiscardHandler))
	rec.Start(t.Context())
	s := newStack(t, func(srv *api.Server) {
		srv.SIPRouting = rec
		srv.Checks = append(srv.Checks, api.Check{Name: "livekit_sip", Ping: rec.Ping, LastOK: rec.LastOK})
	})
	telephony := s.clients(sipgateToken).telephony
	report := func() {
		t.Helper()
		if _, err := telephony.ReportHandoffFailure(t.Context(), &meetlinev1.ReportHandoffFailureRequest{
			LivekitRoom: "room-1", CallId: "call-1", SipStatus: 404, Reason: "Not Found"}); err != nil {
			t.Fatalf("ReportHandoffFailure: %v", err)
		}
	}
	trunks := func() int {
		res, err := sc.ListSIPInboundTrunk(context.Background(), &lkproto.ListSIPInboundTrunkRequest{})
		if err != nil {
			return -1
		}
		return len(res.Items)
	}
	code, body := getReady(t, s.admin)
	if sip := body.Checks["livekit_sip"]; code != http.StatusOK || !sip.OK || sip.LastOK == "" || sip.LastOK == "never" {
		t.Fatalf("at start: /readyz = %d %+v", code, body)
	}

	v.Stop()
	report()
	waitReady(t, s.admin, http.StatusServiceUnavailable, func(b readyBody) bool {
		return !b.Checks["livekit_sip"].OK && strings.Contains(b.Checks["livekit_sip"].Error, "last check")
	})
	v.Start() // empty: the trunk and rule are gone (the reconciler, retrying after its failures, may put
	// them back before the first report below: either way they must be back within the bound)
	start := time.Now()
	for {
		report()           // sipgate reports every failed call; the reconciler spaces the checks
		if trunks() == 1 { // at least once: the metric below must count a second report
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("routing not back 5 s after Valkey returned")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("routing back %s after LiveKit's Valkey returned empty", time.Since(start))
	waitReady(t, s.admin, http.StatusOK, func(b readyBody) bool { return b.Checks["livekit_sip"].OK })
	res, err := http.Get(s.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`(?m)^meetline_handoff_failures_total\{sip_status="404"\} (\d+)$`).FindSubmatch(metrics)
	if m == nil {
		t.Fatalf("/metrics lacks meetline_handoff_failures_total{sip_status=\"404\"}:\n%s", metrics)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 2 {
		t.Errorf("meetline_handoff_failures_total{sip_status=\"404\"} = %d, want every report counted", n)
	}
}

// TestReportHandoffFailureInvalid: what sipgate sends is checked, and only
// sipgate may send it.
func TestReportHandoffFailureInvalid(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	for _, tt := range []struct {
		name  string
		token string
		req   *meetlinev1.ReportHandoffFailureRequest
		want  connect.Code
	}{
		{"status too low", sipgateToken, &meetlinev1.ReportHandoffFailureRequest{SipStatus: 99}, connect.CodeInvalidArgument},
		{"status too high", sipgateToken, &meetlinev1.ReportHandoffFailureRequest{SipStatus: 700}, connect.CodeInvalidArgument},
		{"negative status", sipgateToken, &meetlinev1.ReportHandoffFailureRequest{SipStatus: -1}, connect.CodeInvalidArgument},
		{"long reason", sipgateToken, &meetlinev1.ReportHandoffFailureRequest{Reason: strings.Repeat("x", 257)}, connect.CodeInvalidArgument},
		{"operator", operatorToken, &meetlinev1.ReportHandoffFailureRequest{SipStatus: 503}, connect.CodePermissionDenied},
		{"anonymous", "", &meetlinev1.ReportHandoffFailureRequest{SipStatus: 503}, connect.CodeUnauthenticated},
	} {
		_, err := s.clients(tt.token).telephony.ReportHandoffFailure(t.Context(), tt.req)
		if connect.CodeOf(err) != tt.want {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	// Without SIP routing (provisioning off) a report is still taken.
	if _, err := s.clients(sipgateToken).telephony.ReportHandoffFailure(t.Context(),
		&meetlinev1.ReportHandoffFailureRequest{SipStatus: 0, Reason: strings.Repeat("x", 256)}); err != nil {
		t.Errorf("report without routing: %v", err)
	}
}

// waitReady polls /readyz for up to 5 s until it answers code with a body
// that satisfies ok.
func waitReady(t *testing.T, url string, code int, ok func(readyBody) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, b := getReady(t, url)
		if c == code && ok(b) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %+v, want %d", c, b, code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
