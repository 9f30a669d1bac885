package report

import (
	"maps"
	"slices"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
)

// Calls summarises a set of calls.
type Calls struct {
	Calls    int            `json:"calls"`
	OK       int            `json:"ok"`
	Failed   int            `json:"failed"`
	Cut      int            `json:"cut"`
	Outcomes map[string]int `json:"outcomes"`
	// Kinds counts calls, successes and failures per caller kind.
	Kinds map[string]KindCount `json:"kinds"`
	// Heard counts, for wrong_prompt failures, the prompt heard instead of the expected one.
	Heard map[string]int `json:"heard_instead,omitempty"`
	// Setup is INVITE → 200 OK.
	Setup Latency `json:"setup"`
	// PINToConnecting is '#' → "connecting" (right PINs); PINToInvalid '#' → "that PIN is not valid";
	// PINToWaiting '#' → "waiting for the host"; PINToBridge '#' → own audio back through the room.
	PINToConnecting Latency `json:"pin_to_connecting"`
	PINToInvalid    Latency `json:"pin_to_invalid"`
	PINToWaiting    Latency `json:"pin_to_waiting"`
	PINToBridge     Latency `json:"pin_to_bridge"`
	// Lag is how late the generator placed calls against its schedule.
	Lag Latency `json:"generator_lag"`
	RTP RTP     `json:"rtp"`
}

// KindCount is one caller kind's calls.
type KindCount struct {
	Calls  int `json:"calls"`
	OK     int `json:"ok"`
	Failed int `json:"failed"`
}

// RTP sums calls' packet counts; LossPct is lost / expected.
type RTP struct {
	Sent     uint64  `json:"sent"`
	Received uint64  `json:"received"`
	Lost     uint64  `json:"lost"`
	Expected uint64  `json:"expected"`
	LossPct  float64 `json:"loss_pct"`
}

// Add counts one call's packets.
func (r *RTP) Add(c caller.RTP) {
	r.Sent += c.Sent
	r.Received += c.Received
	r.Lost += c.Lost
	r.Expected += c.Expected
	r.LossPct = 0
	if r.Expected > 0 {
		r.LossPct = 100 * float64(r.Lost) / float64(r.Expected)
	}
}

// SummarizeCalls summarises results.
func SummarizeCalls(results []caller.Result) Calls {
	c := Calls{Outcomes: map[string]int{}, Kinds: map[string]KindCount{}}
	var setup, conn, inval, wait, bridge, lag []time.Duration
	for _, r := range results {
		c.Calls++
		c.Outcomes[string(r.Outcome)]++
		k := c.Kinds[r.Kind.String()]
		k.Calls++
		switch {
		case r.OK():
			c.OK++
			k.OK++
		case r.Outcome == caller.Cut:
			c.Cut++
		default:
			c.Failed++
			k.Failed++
		}
		c.Kinds[r.Kind.String()] = k
		if r.Outcome == caller.WrongPrompt {
			if c.Heard == nil {
				c.Heard = map[string]int{}
			}
			c.Heard[r.Prompt]++
		}
		if r.Setup > 0 {
			setup = append(setup, r.Setup)
		}
		lag = append(lag, r.Lag)
		if r.PINToOutcome > 0 { // set only when the expected prompt answered the '#'
			switch r.Expected {
			case caller.Admitted, caller.Bridged:
				conn = append(conn, r.PINToOutcome)
			case caller.Rejected:
				inval = append(inval, r.PINToOutcome)
			case caller.Waiting:
				wait = append(wait, r.PINToOutcome)
			}
		}
		if r.PINToBridge > 0 {
			bridge = append(bridge, r.PINToBridge)
		}
		c.RTP.Add(r.RTP)
	}
	c.Setup, c.PINToConnecting, c.PINToInvalid = Summarize(setup), Summarize(conn), Summarize(inval)
	c.PINToWaiting, c.PINToBridge, c.Lag = Summarize(wait), Summarize(bridge), Summarize(lag)
	return c
}

// FailedOutcomes lists the failures' outcomes, most frequent first.
func (c Calls) FailedOutcomes() []string {
	var out []string
	for o := range maps.Keys(c.Outcomes) {
		switch caller.Outcome(o) {
		case caller.Admitted, caller.Bridged, caller.Rejected, caller.Abandoned, caller.Waiting, caller.Cut:
			continue
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b string) int { return c.Outcomes[b] - c.Outcomes[a] })
	return out
}
