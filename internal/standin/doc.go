// Package standin is a stand-in for LiveKit's SIP service, for tests and
// local runs only: livekit/sip cannot be built here, and production configs
// point sipgate at a real LiveKit SIP service instead.
//
// It does what that service does at its boundary, with the same internal
// RPCs (psrpc IOInfo over the server's Redis, here Valkey; package lkbus):
//
//  1. an INVITE arrives over UDP; the stand-in asks livekit-server which
//     inbound trunk the call matches (GetSIPTrunkAuthentication, from the
//     packet's source IP and the From/To users) and answers 404 when none
//     does, as LiveKit does;
//  2. when the trunk has credentials it demands digest authentication
//     (RFC 3261 §22.2–22.3) with 407 Proxy-Authenticate, as LiveKit does
//     (livekit/sip pkg/sip/inbound.go), and answers 401 to a wrong response;
//  3. it asks livekit-server to evaluate the dispatch rules
//     (EvaluateSIPDispatchRules); on ACCEPT it maps the trunk's
//     HeadersToAttributes from the INVITE's headers (livekit-server leaves
//     that to the SIP service), joins the room with the Go SDK as the
//     participant LiveKit named (identity, name, metadata, attributes, kind
//     SIP), publishes an audio track and answers 200 OK with SDP (PCMU/PCMA
//     + telephone-event, package media);
//  4. BYE from the caller ends the call and the participant leaves; when the
//     participant is removed from the room, or the stand-in closes, it sends
//     BYE itself.
//
// What differs from the real service, on purpose:
//   - media: the published track is Opus silence (there is no pure-Go Opus
//     encoder to transcode G.711 with), and every RTP packet received is
//     echoed back to its sender and counted, so that callers can measure
//     loss end to end; nothing from the room reaches the caller; keys
//     typed by RFC 4733 reach the room once each as SipDTMF data packets,
//     as LiveKit's service sends them (Call.Keys lists them);
//   - PIN rules (REQUEST_PIN) are refused with 403: meetline never
//     provisions them, its PIN IVR lives in sipgate;
//   - REJECT and DROP both get 404 rather than silence, so that tests do not
//     wait for a timeout;
//   - UDP only, one call per dialog, no re-INVITE, REFER, INFO or SRTP.
package standin
