package api_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// The attack on a dial-in number: forty callers with rotating
// (forged) caller ids each type three wrong PINs within seconds. With one
// failure budget per number, that locked every caller of the number out,
// right PIN included. Now the flooders' guesses stay within the number's
// budget plus its pace, none of them is refused before it has failed, and a
// right PIN gets in: at once from a trusted caller id, after at most one
// pace from anyone else.
func TestResolvePinFlood(t *testing.T) {
	t.Parallel()
	policy := core.PINPolicy{ // the defaults, with an earlier and shorter tarpit
		Source: core.AttemptLimit{Max: 5, Window: 15 * time.Minute}, Number: core.AttemptLimit{Max: 100, Window: time.Minute},
		Attack: 50, TarpitStep: 200 * time.Millisecond, TarpitMax: 2 * time.Second,
	}
	s := newStack(t, func(srv *api.Server) { srv.PINAttempts = valkey.NewPINAttempts(testenv.Valkey(t), policy) })
	ctx := context.Background()
	const number = "+33198765432"
	if _, err := s.clients(operatorToken).trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{
		Name: "flood", Numbers: []string{number}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	cs, ids := s.principalClients(t)
	pin := s.newFixture(t, cs, ids, number).room.DialIn.Pin
	wrong := "0000000000"
	if wrong == pin {
		wrong = "0000000001"
	}
	tel := s.clients(sipgateToken).telephony
	resolve := func(req *meetlinev1.ResolvePinRequest) (*meetlinev1.ResolvePinResponse, error) {
		req.CalledNumber = number
		return tel.ResolvePin(ctx, req)
	}

	var looked, tarpitted, paced, limited atomic.Int64
	// attempt is one wrong PIN of an attacker who waits out tarpits and gives up when paced.
	attempt := func(callID, callerID string) {
		res, err := resolve(&meetlinev1.ResolvePinRequest{Pin: wrong, CallerId: callerID, CallId: callID})
		switch code := connect.CodeOf(err); {
		case err == nil && res.RetryAfter != nil:
			paced.Add(1)
		case code == connect.CodeNotFound:
			looked.Add(1)
			if d := retryDelay(err); d > 0 {
				tarpitted.Add(1)
				time.Sleep(d)
			}
		case code == connect.CodeResourceExhausted:
			limited.Add(1)
		default:
			t.Errorf("%s: %v, %v", callID, res, err)
		}
	}
	flood := func(calls, attempts int, wave string) {
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				for a := range attempts {
					attempt(fmt.Sprintf("%s-%d@attacker", wave, i), fmt.Sprintf("+336%08d", calls*a+i))
				}
			})
		}
		wg.Wait()
	}
	start := time.Now()
	flood(40, 3, "flood") // the flood
	flood(20, 1, "more")  // and more calls once the number's budget is spent
	elapsed := time.Since(start)
	// The budget, one per pace, and the attempts in flight when the budget ran out (40 calls at most).
	bound := int64(policy.Number.Max) + 40 + 1 + int64(elapsed/policy.Pace())
	t.Logf("140 wrong PINs in %v: %d looked at (%d tarpitted), %d paced, %d limited",
		elapsed.Round(time.Millisecond), looked.Load(), tarpitted.Load(), paced.Load(), limited.Load())
	if looked.Load() > bound {
		t.Errorf("%d guesses looked at, want at most %d", looked.Load(), bound)
	}
	if tarpitted.Load() == 0 || paced.Load() == 0 || limited.Load() != 0 {
		t.Errorf("tarpitted %d, paced %d, limited %d: want tarpits and pacing, and nobody refused", tarpitted.Load(), paced.Load(), limited.Load())
	}

	// A trusted caller gets in at once; anyone else once the pace allows.
	if res, err := resolve(&meetlinev1.ResolvePinRequest{Pin: pin, CallerId: "+33611111111", CallerTrusted: true, CallId: "ok-1@carrier"}); err != nil || res.RoomId == "" {
		t.Fatalf("trusted caller with the right PIN: %v, %v", res, err)
	}
	res, err := resolve(&meetlinev1.ResolvePinRequest{Pin: pin, CallerId: "+33622222222", CallId: "ok-2@carrier"})
	for tries := 0; err == nil && res.RetryAfter != nil; tries++ {
		if d := res.RetryAfter.AsDuration(); tries == 3 || d > policy.Pace() {
			t.Fatalf("paced for %v (try %d), want within one pace of %v", d, tries, policy.Pace())
		}
		time.Sleep(res.RetryAfter.AsDuration())
		res, err = resolve(&meetlinev1.ResolvePinRequest{Pin: pin, CallerId: "+33622222222", CallId: "ok-2@carrier"})
	}
	if err != nil || res.RoomId == "" {
		t.Fatalf("untrusted caller with the right PIN after the flood: %v, %v", res, err)
	}

	// What the "number under attack" alert reads (docs/operations.md).
	got := pinAttempts(t, s.server.Registry)
	if got["wrong_under_attack"] != float64(tarpitted.Load()) || got["paced"] < float64(paced.Load()) || got["found"] != 2 {
		t.Errorf("meetline_pin_attempts_total = %v; want %d wrong_under_attack, at least %d paced, 2 found",
			got, tarpitted.Load(), paced.Load())
	}
}

// pinAttempts reads meetline_pin_attempts_total by result.
func pinAttempts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "meetline_pin_attempts_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" {
					got[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return got
}
