// Package dtmf turns the key presses of a phone caller into PIN entries.
//
// Digits reach a SIP gateway in two ways, and a call may use both at once:
//
//   - RFC 4733 telephone-event packets in the RTP stream ([ParseEvent], [RTPCollector]);
//   - SIP INFO requests with an application/dtmf-relay or application/dtmf body ([ParseInfo],
//     [InfoSequencer]).
//
// A [Receiver] combines the two for one call so that a phone sending both counts every key once, and
// [Entry] is the PIN-entry state machine (first-digit and inter-digit timeouts, '#' ends, '*' clears, a
// maximum length), pure and driven by the caller's clock.
//
// The collectors are written here rather than taken from a media library because the ones we measured drop
// the digits of senders whose first event packet has duration 0 (sipp's pcaps and play_dtmf do that), and
// because the rules that matter for a PIN — count a key exactly once, as early as possible — are small.
package dtmf
