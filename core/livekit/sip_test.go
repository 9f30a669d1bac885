package livekit_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/rpc"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/internal/standin/lkbus"
)

// The tests share the local livekit-server (with Valkey: the SIP APIs need
// it) with every other package, so each one keeps to itself: a trunk name of
// its own (EnsureSIPRouting finds ours by name), a source address of its own
// in 127/8 (so that calls match only its trunk) and a calling number of its
// own (LiveKit refuses two trunks that have neither Numbers nor
// AllowedNumbers).

// testRouting returns a SIPRouting of the test's own and deletes what
// EnsureSIPRouting made of it when the test ends.
func testRouting(t *testing.T) (*livekit.Client, livekit.SIPRouting) {
	t.Helper()
	cfg, _ := testenv.LiveKit(t)
	r := livekit.SIPRouting{
		TrunkName:        testenv.Name("meetline-test-"),
		AllowedAddresses: []string{loopbackIP()},
		AllowedNumbers:   []string{fmt.Sprintf("+3361%07d", rand.IntN(1e7))},
		AuthUsername:     "sipgate",
		AuthPassword:     testenv.Name("pw-"),
	}
	t.Cleanup(func() { deleteRouting(t, cfg, r.TrunkName) })
	return livekit.New(cfg), r
}

// loopbackIP returns a random address of 127/8 other than 127.0.0.1, which
// the local `make run` stack uses.
func loopbackIP() string {
	return fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 1+rand.IntN(254))
}

// deleteRouting deletes every trunk named name and the rules bound to them.
func deleteRouting(t *testing.T, cfg livekit.Config, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sc := lksdk.NewSIPClient(cfg.URL, cfg.APIKey, cfg.APISecret)
	for _, tr := range ourTrunks(t, sc, name) {
		for _, r := range rulesOf(t, sc, tr.SipTrunkId) {
			sc.DeleteSIPDispatchRule(ctx, &lkproto.DeleteSIPDispatchRuleRequest{SipDispatchRuleId: r.SipDispatchRuleId})
		}
		sc.DeleteSIPTrunk(ctx, &lkproto.DeleteSIPTrunkRequest{SipTrunkId: tr.SipTrunkId})
	}
}

func ourTrunks(t *testing.T, sc *lksdk.SIPClient, name string) []*lkproto.SIPInboundTrunkInfo {
	t.Helper()
	res, err := sc.ListSIPInboundTrunk(context.Background(), &lkproto.ListSIPInboundTrunkRequest{})
	if err != nil {
		t.Fatalf("ListSIPInboundTrunk: %v", err)
	}
	var ours []*lkproto.SIPInboundTrunkInfo
	for _, tr := range res.Items {
		if tr.Name == name {
			ours = append(ours, tr)
		}
	}
	return ours
}

// rulesOf returns the rules bound to trunkID (not the wildcard ones).
func rulesOf(t *testing.T, sc *lksdk.SIPClient, trunkID string) []*lkproto.SIPDispatchRuleInfo {
	t.Helper()
	res, err := sc.ListSIPDispatchRule(context.Background(), &lkproto.ListSIPDispatchRuleRequest{TrunkIds: []string{trunkID}})
	if err != nil {
		t.Fatalf("ListSIPDispatchRule: %v", err)
	}
	var rules []*lkproto.SIPDispatchRuleInfo
	for _, r := range res.Items {
		if len(r.TrunkIds) > 0 {
			rules = append(rules, r)
		}
	}
	return rules
}

func sipClient(t *testing.T) *lksdk.SIPClient {
	cfg, _ := testenv.LiveKit(t)
	return lksdk.NewSIPClient(cfg.URL, cfg.APIKey, cfg.APISecret)
}

func ensure(t *testing.T, c *livekit.Client, r livekit.SIPRouting) (trunkID, ruleID string) {
	t.Helper()
	trunkID, ruleID, err := c.EnsureSIPRouting(context.Background(), r)
	if err != nil {
		t.Fatalf("EnsureSIPRouting: %v", err)
	}
	return trunkID, ruleID
}

func TestEnsureSIPRoutingCreatesOnce(t *testing.T) {
	t.Parallel()
	c, r := testRouting(t)
	trunkID, ruleID := ensure(t, c, r)
	again, againRule := ensure(t, c, r)
	if again != trunkID || againRule != ruleID {
		t.Errorf("second ensure = %s, %s; want the first's %s, %s", again, againRule, trunkID, ruleID)
	}
	sc := sipClient(t)
	trunks := ourTrunks(t, sc, r.TrunkName)
	if len(trunks) != 1 {
		t.Fatalf("%d trunks named %s, want 1", len(trunks), r.TrunkName)
	}
	tr := trunks[0]
	if tr.Metadata != livekit.SIPTrunkMetadata || tr.AuthUsername != r.AuthUsername || tr.AuthPassword != r.AuthPassword ||
		len(tr.Numbers) != 0 || !maps.Equal(tr.HeadersToAttributes, livekit.SIPHeadersToAttributes()) {
		t.Errorf("trunk = %v", tr)
	}
	rules := rulesOf(t, sc, trunkID)
	if len(rules) != 1 || rules[0].SipDispatchRuleId != ruleID {
		t.Fatalf("rules bound to the trunk = %v, want only %s", rules, ruleID)
	}
	callee := rules[0].GetRule().GetDispatchRuleCallee()
	if callee == nil || callee.RoomPrefix != "" || callee.Randomize || !rules[0].HidePhoneNumber || rules[0].Name != livekit.SIPDispatchRuleName {
		t.Errorf("rule = %v, want an open Callee rule without prefix that hides numbers", rules[0])
	}
}

func TestEnsureSIPRoutingConcurrent(t *testing.T) {
	t.Parallel()
	c, r := testRouting(t)
	const replicas = 5
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Go(func() { _, _, errs[i] = c.EnsureSIPRouting(context.Background(), r) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	sc := sipClient(t)
	trunks := ourTrunks(t, sc, r.TrunkName)
	if len(trunks) != 1 {
		t.Fatalf("%d trunks after %d concurrent ensures, want 1", len(trunks), replicas)
	}
	if rules := rulesOf(t, sc, trunks[0].SipTrunkId); len(rules) != 1 {
		t.Errorf("%d rules bound to the trunk, want 1", len(rules))
	}
	trunkID, _ := ensure(t, c, r)
	if trunkID != trunks[0].SipTrunkId {
		t.Errorf("ensure after the race = %s, want the survivor %s", trunkID, trunks[0].SipTrunkId)
	}
}

func TestEnsureSIPRoutingUpdates(t *testing.T) {
	t.Parallel()
	c, r := testRouting(t)
	trunkID, ruleID := ensure(t, c, r)
	r.AllowedAddresses = []string{loopbackIP(), "10.1.2.0/24"}
	r.AuthPassword = "changed"
	again, againRule := ensure(t, c, r)
	if again != trunkID || againRule != ruleID {
		t.Errorf("ensure after a change = %s, %s; want the same %s, %s", again, againRule, trunkID, ruleID)
	}
	tr := ourTrunks(t, sipClient(t), r.TrunkName)[0]
	if len(tr.AllowedAddresses) != 2 || !strings.Contains(strings.Join(tr.AllowedAddresses, ","), r.AllowedAddresses[0]) ||
		tr.AuthPassword != "changed" {
		t.Errorf("trunk after update = addresses %v, password %q", tr.AllowedAddresses, tr.AuthPassword)
	}
}

// TestEnsureSIPRoutingRemovesDuplicates plants a second trunk of ours, as a
// lost race would leave (with another calling number, since LiveKit refuses
// an exact conflict), and expects one to remain, with one rule.
func TestEnsureSIPRoutingRemovesDuplicates(t *testing.T) {
	t.Parallel()
	c, r := testRouting(t)
	first, _ := ensure(t, c, r)
	sc := sipClient(t)
	dup := &lkproto.SIPInboundTrunkInfo{Name: r.TrunkName, Metadata: livekit.SIPTrunkMetadata, AllowedNumbers: []string{"+33999"},
		AllowedAddresses: r.AllowedAddresses}
	if _, err := sc.CreateSIPInboundTrunk(context.Background(), &lkproto.CreateSIPInboundTrunkRequest{Trunk: dup}); err != nil {
		t.Fatalf("CreateSIPInboundTrunk: %v", err)
	}
	kept, ruleID := ensure(t, c, r)
	trunks := ourTrunks(t, sc, r.TrunkName)
	if len(trunks) != 1 || trunks[0].SipTrunkId != kept {
		t.Fatalf("trunks = %v, want only %s", trunks, kept)
	}
	if rules := rulesOf(t, sc, kept); len(rules) != 1 || rules[0].SipDispatchRuleId != ruleID {
		t.Errorf("rules = %v, want only %s", rules, ruleID)
	}
	t.Logf("kept %s (first was %s)", kept, first)
}

// ioClient is what LiveKit's SIP service uses to ask livekit-server about
// calls: psrpc over the server's Redis (here Valkey).
func ioClient(t *testing.T) rpc.IOInfoClient {
	t.Helper()
	vc, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{testenv.Getenv(t, "VALKEY_ADDR")}, DisableCache: true})
	if err != nil {
		t.Fatalf("valkey: %v", err)
	}
	t.Cleanup(vc.Close)
	c, err := lkbus.NewIOInfoClient(vc)
	if err != nil {
		t.Fatalf("NewIOInfoClient: %v", err)
	}
	return c
}

// evaluate asks livekit-server which room a call from caller at srcIP to
// room goes to, as LiveKit's SIP service does for each INVITE.
func evaluate(t *testing.T, io rpc.IOInfoClient, srcIP, caller, room string) *rpc.EvaluateSIPDispatchRulesResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := io.EvaluateSIPDispatchRules(ctx, &rpc.EvaluateSIPDispatchRulesRequest{Call: &rpc.SIPCall{
		LkCallId:  "SCL_" + testenv.Name(""),
		SourceIp:  srcIP,
		Address:   &lkproto.SIPUri{User: room, Host: "127.0.0.1"},
		From:      &lkproto.SIPUri{User: caller, Host: srcIP},
		To:        &lkproto.SIPUri{User: room, Host: "127.0.0.1"},
		SipCallId: testenv.Name("call-"),
	}})
	if err != nil {
		t.Fatalf("EvaluateSIPDispatchRules: %v", err)
	}
	return res
}

func TestSIPDispatchEvaluation(t *testing.T) {
	t.Parallel()
	c, r := testRouting(t)
	_, prefix := testenv.LiveKit(t)
	trunkID, ruleID := ensure(t, c, r)
	io := ioClient(t)
	room, caller := prefix+"room", r.AllowedNumbers[0]

	res := evaluate(t, io, r.AllowedAddresses[0], caller, room)
	if res.Result != rpc.SIPDispatchResult_ACCEPT || res.RoomName != room || res.SipTrunkId != trunkID || res.SipDispatchRuleId != ruleID {
		t.Fatalf("evaluation = %v %q trunk %s rule %s; want ACCEPT %q %s %s",
			res.Result, res.RoomName, res.SipTrunkId, res.SipDispatchRuleId, room, trunkID, ruleID)
	}
	if want := "Phone " + caller[len(caller)-4:]; res.ParticipantName != want {
		t.Errorf("participant name = %q, want %q", res.ParticipantName, want)
	}
	if strings.Contains(res.ParticipantIdentity, strings.TrimPrefix(caller, "+")) {
		t.Errorf("identity %q shows the number", res.ParticipantIdentity)
	}
	for k, v := range res.ParticipantAttributes {
		if strings.Contains(v, strings.TrimPrefix(caller, "+")) {
			t.Errorf("attribute %s = %q shows the number", k, v)
		}
	}
	if !maps.Equal(res.HeadersToAttributes, livekit.SIPHeadersToAttributes()) {
		t.Errorf("headers to attributes = %v", res.HeadersToAttributes)
	}

	other := evaluate(t, io, loopbackIP(), caller, room)
	if other.Result == rpc.SIPDispatchResult_ACCEPT && other.SipTrunkId == trunkID {
		t.Errorf("a call from an address the trunk does not allow was routed through it: %v", other)
	}
}
