// Package sipgate is meetline's SIP gateway: it answers calls to a trunk number, plays a prompt, collects the
// PIN ending in '#', asks the core which room it opens, waits for the host or the lobby's decision, and hands
// the caller into the LiveKit room — bridged (a second leg to LiveKit's SIP service, RTP relayed) or by REFER.
//
// The [Server] only routes: a new INVITE becomes a call; every request within a dialog, every ACK, and
// every response to sipgate's own requests goes to its call's single inbox. A call (call.go) is one ordered
// state machine carried by two goroutines: its loop owns the dialog — CSeq order, 2xx retransmission until
// the ACK, BYE, offer/answer, glare, target refresh, the session timer, the media watchdog (dialog_*.go) —
// and its script is the conversation, top to bottom (call_*.go: setup, IVR, wait, hand-off, leg, REFER).
// docs/ARCHITECTURE.md draws the states. Media lives in [media], key presses in [dtmf]; configuration comes
// from the environment through [ConfigFromEnv].
package sipgate
