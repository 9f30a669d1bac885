// Package caller simulates phone callers against sipgate: each call is a sipgo user agent client
// dialog (INVITE, ACK, in-dialog INFO, BYE) with G.711 audio and RFC 4733 key presses over RTP
// (pion/rtp), which listens to the prompts it hears and recognises them against sipgate's own
// recordings (sipgate/media), so that it knows, and times, what sipgate decided.
//
// The pieces:
//
//   - [Agent]: the SIP side, one sipgo user agent shared by many calls;
//   - [Media]: the RTP side, a few UDP sockets shared by many calls, each with one reader and one
//     20 ms sender for all of its streams, so that a thousand calls cost the generator a few
//     goroutines instead of two thousand;
//   - [Plan] and [Agent.Call]: what one caller does (right or wrong PIN, typing speed, DTMF method,
//     hang-up mid-entry, hold time) and the [Result] it records: setup time, PIN-to-outcome time,
//     outcome, RTP packets sent, received and lost;
//   - [Run]: arrivals at a rate, step after step, and the results of every call.
//
// Nothing here logs a PIN, a token or a whole phone number.
package caller
