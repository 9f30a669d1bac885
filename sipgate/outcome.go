package sipgate

// Outcome is how a call ended, the label of sipgate_calls_total and of the "call ended" log line. A call has
// exactly one.
type Outcome uint8

const (
	// OutcomeConnected: the caller was bridged into the room (whatever ended the bridge).
	OutcomeConnected Outcome = iota + 1
	// OutcomeTransferred: the carrier took the call to LiveKit itself (REFER).
	OutcomeTransferred
	// OutcomeWrongPIN: too many wrong PINs.
	OutcomeWrongPIN
	// OutcomeLimited: the core refused the attempt (too many failures for this caller or number).
	OutcomeLimited
	// OutcomeTimeout: too many PIN entries timed out.
	OutcomeTimeout
	// OutcomeHangup: the caller hung up (BYE, CANCEL) before the hand-off.
	OutcomeHangup
	// OutcomeRejected404 … OutcomeRejected503: the INVITE got that final response.
	OutcomeRejected404
	OutcomeRejected488
	OutcomeRejected400
	OutcomeRejected503
	OutcomeRejected422
	// OutcomeCoreError: the core failed; the caller heard "service unavailable".
	OutcomeCoreError
	// OutcomeMaxDuration: the PIN dialogue took longer than MaxIVRTime.
	OutcomeMaxDuration
	// OutcomeNoRTP: no RTP from a caller that does not hold the call, for NoRTPTimeout.
	OutcomeNoRTP
	// OutcomeHoldTimeout: the caller held the call longer than HoldTimeout.
	OutcomeHoldTimeout
	// OutcomeNoACK: the caller never acknowledged the 200 OK (RFC 3261 §13.3.1.4: confirmed, then BYE).
	OutcomeNoACK
	// OutcomeDenied: an administrator refused the caller in the lobby.
	OutcomeDenied
	// OutcomeRoomEnded: the meeting ended while the caller waited.
	OutcomeRoomEnded
	// OutcomeWaitTimeout: nobody let the caller in within MaxWait.
	OutcomeWaitTimeout
	// OutcomeLiveKitError: the call to LiveKit failed, or its leg fell silent once bridged (watchLeg); the
	// caller heard "service unavailable".
	OutcomeLiveKitError
	// OutcomeSessionExpired: the session timer expired (RFC 4028 §10).
	OutcomeSessionExpired
	// OutcomeShutdown: sipgate stopped before the call ended (the drain timed out).
	OutcomeShutdown
	// OutcomeRemoved: a host removed the bridged caller from the meeting; the caller heard so.
	OutcomeRemoved
)

var outcomeNames = [...]string{
	OutcomeConnected:      "connected",
	OutcomeTransferred:    "transferred",
	OutcomeWrongPIN:       "wrong_pin",
	OutcomeLimited:        "limited",
	OutcomeTimeout:        "timeout",
	OutcomeHangup:         "hangup",
	OutcomeRejected404:    "rejected_404",
	OutcomeRejected488:    "rejected_488",
	OutcomeRejected400:    "rejected_400",
	OutcomeRejected503:    "rejected_503",
	OutcomeRejected422:    "rejected_422",
	OutcomeCoreError:      "core_error",
	OutcomeMaxDuration:    "max_duration",
	OutcomeNoRTP:          "no_rtp",
	OutcomeHoldTimeout:    "hold_timeout",
	OutcomeNoACK:          "no_ack",
	OutcomeDenied:         "denied",
	OutcomeRoomEnded:      "room_ended",
	OutcomeWaitTimeout:    "wait_timeout",
	OutcomeLiveKitError:   "livekit_error",
	OutcomeSessionExpired: "session_expired",
	OutcomeShutdown:       "shutdown",
	OutcomeRemoved:        "removed",
}

// Outcomes lists every outcome, for metrics that start every label at 0.
func Outcomes() []Outcome {
	all := make([]Outcome, 0, len(outcomeNames)-1)
	for o := OutcomeConnected; int(o) < len(outcomeNames); o++ {
		all = append(all, o)
	}
	return all
}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && outcomeNames[o] != "" {
		return outcomeNames[o]
	}
	return "unknown"
}

// outcomeError carries an Outcome as a context cause, so that whatever ends a call's context (the dialog,
// a timer, the watchdog) also says why.
type outcomeError struct{ outcome Outcome }

func (e outcomeError) Error() string { return "sipgate: call ended: " + e.outcome.String() }

// endedBy is the cause that makes o the call's outcome.
func endedBy(o Outcome) error { return outcomeError{o} }
