package caller

import "time"

// Outcome is how a call ended, from the caller's side.
type Outcome string

// Outcomes a plan expects (see [Plan.Expected]).
const (
	Admitted  Outcome = "admitted"  // heard "connecting" after the PIN, hung up
	Bridged   Outcome = "bridged"   // heard "connecting", then its own audio back through the room
	Rejected  Outcome = "rejected"  // heard "that PIN is not valid" after a wrong PIN
	Abandoned Outcome = "abandoned" // hung up mid-entry, and sipgate agreed (BYE answered 200)
	Waiting   Outcome = "waiting"   // heard "waiting for the host" (or, in a lobby, "someone will let you in"), then music on hold
)

// Cut is a call the run released or stopped before its outcome: neither a success nor a failure (a caller
// still typing when the concurrency plateau ends; a straggler at the drain deadline).
const Cut Outcome = "cut"

// Failures.
const (
	Busy        Outcome = "busy"         // 503: sipgate at its call limit, out of RTP ports, or draining
	Refused     Outcome = "refused"      // another final response to the INVITE
	NoAnswer    Outcome = "no_answer"    // no final response in time, or a transport error
	NoPrompt    Outcome = "no_prompt"    // answered, but no "enter the PIN" heard in time
	NoOutcome   Outcome = "no_outcome"   // no prompt heard in time after '#'
	WrongPrompt Outcome = "wrong_prompt" // heard another prompt than the plan expects
	Dropped     Outcome = "dropped"      // sipgate hung up before the outcome or during the hold
	NoBridge    Outcome = "no_bridge"    // never heard its own audio back after "connecting"
	KeyRefused  Outcome = "key_refused"  // an INFO key press got no 200 in time
	// ByeUnanswered is a hang-up mid-entry whose BYE got no 200 in time.
	ByeUnanswered Outcome = "bye_unanswered"
	Failed        Outcome = "error" // the caller could not do its part (RTP or SIP write, bad SDP)
)

// Result is what one call measured.
type Result struct {
	Step   int    // index of the step that placed it
	Kind   Kind   // what the caller did
	Method Method // how it sent keys
	// Start is when the INVITE left; Lag how late that was against the step's schedule (the generator
	// falling behind shows here before anywhere else).
	Start time.Time
	Lag   time.Duration
	// Setup is INVITE sent → 200 OK received; 0 when the call was not answered.
	Setup time.Duration
	// Status is the INVITE's final status code; 0 when none came.
	Status int
	// Hash is when '#' left; zero when the caller never typed it.
	Hash time.Time
	// PINToOutcome is '#' sent (the first packet of its RFC 4733 event, or its INFO) → the first packet of
	// the prompt that answers it: "connecting", "waiting for the host" or "that PIN is not valid".
	PINToOutcome time.Duration
	// PINToBridge is '#' sent → the first of the caller's own packets back through the bridge: it includes
	// the "connecting" prompt, which sipgate plays before it calls LiveKit.
	PINToBridge time.Duration
	Outcome     Outcome
	Expected    Outcome
	Prompt      string // with WrongPrompt: what was heard instead
	// Detail says more about a failure (an INFO's status, a timeout); never a PIN or a number.
	Detail string
	RTP    RTP
	// Heard is every prompt the caller recognised, in order (music on hold included, at most 32).
	Heard []string
	// ByeReason is the Reason header of sipgate's BYE, when sipgate hung up and gave one.
	ByeReason string
	End       time.Time
}

// OK reports whether the call went as planned.
func (r Result) OK() bool { return r.Outcome == r.Expected }

// Failed reports whether the call went wrong: neither as planned nor cut by the run.
func (r Result) Failed() bool { return !r.OK() && r.Outcome != Cut }

// Decided is when the call's fate was sealed: its '#' when it typed one, the INVITE for a call refused at
// once (busy, refused), else its end (the failure's discovery, the hang-up mid-entry).
func (r Result) Decided() time.Time {
	switch {
	case !r.Hash.IsZero():
		return r.Hash
	case r.Outcome == Busy || r.Outcome == Refused:
		return r.Start
	}
	return r.End
}
