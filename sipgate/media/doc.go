// Package media is the audio side of a sipgate call: SDP offer/answer
// (RFC 3264, RFC 4566), per-call RTP ports and sessions (RFC 3550), G.711
// (ITU-T G.711, RFC 3551 §4.5.14) and the voice prompts played to callers.
//
// A call uses it in this order (prompts from LoadPrompts, loaded once):
//
//	conn, rtcp, err := ports.AllocatePair() // ErrNoPorts → 503
//	local := netip.AddrPortFrom(advertisedIP, uint16(conn.LocalAddr().(*net.UDPAddr).Port))
//	ans, err := media.Negotiate(invite.Body(), local) // ErrMalformedSDP → 400, ErrNoCodec → 488 (close both)
//	opts := []media.SessionOption{media.WithPayloadType(ans.Codec, ans.PT), media.WithRTCP(rtcp, ans.RTCP)}
//	if ans.RTCPMux {
//		opts = append(opts, media.WithRTCPMux())
//	}
//	s := media.NewSession(conn, ans.Remote, opts...)
//	defer s.Close()
//	// 200 OK with ans.SDP; ans.EventPT is the RFC 4733 payload type for sipgate/dtmf
//	p, _ := prompts.Get(trunk.Language, media.EnterPIN)
//	err = media.Play(ctx, s, p, ans.Codec) // cancel ctx when a digit arrives: barge-in
//
// A reader goroutine runs Receive (digits, LastReceived for the no-RTP
// timeout; one system call per packet on Linux, where ReadPacket costs two)
// while prompts are written. A re-INVITE applies its answer with
// SetRemote, SetRTCPRemote and SetHold. RTCP is terminated on each leg (see
// rtcp.go for why): the session reports to its peer and keeps the peer's
// reports (RTCPStats, whose LastReport shows a held caller is still there). Once the caller is bridged to a second leg (offered
// with BridgeOffer, so that both legs use the caller's payload types), the
// IVR's reader stops and Relay takes over both sessions:
//
//	stats := media.Relay(ctx, caller, lk) // until ctx ends or either session closes
//	// stats.AtoB: caller → LiveKit, stats.BtoA: LiveKit → caller
//
// Toward the caller the relay continues the caller session's own stream (one
// SSRC for the whole call, sequence numbers and timestamps running on, the
// marker bit at each switch; splice.go), so a prompt can be played to a
// bridged caller in the middle of the meeting's audio:
//
//	caller.PauseRelay() // the meeting's packets toward the caller are dropped
//	err = media.Play(ctx, caller, p, ans.Codec)
//	caller.ResumeRelay()
package media
