package media

import (
	"net"
	"net/netip"
	"time"
)

// RTCP (RFC 3550 §6) is terminated on each leg, not relayed between them.
//
// Why: toward the caller the relay rewrites LiveKit's stream into the caller
// session's own (SSRC, sequence numbers, timestamps; splice.go) and mixes in
// prompts LiveKit never sent, so LiveKit's sender reports (packet and octet
// counts, the RTP/NTP mapping) describe a stream the caller never sees, and
// the caller's receiver reports describe ours, not LiveKit's. A translator
// that changes SSRCs must rewrite RTCP to match (RFC 3550 §7.1, §7.3); doing
// so field by field amounts to generating it, so each session generates its
// own, as Asterisk's res_rtp_asterisk does on each leg of a bridge and
// FreeSWITCH does outside proxy mode. Each session with RTCP on:
//
//   - reads RTCP from its peer: on port+1 (WithRTCP, RFC 3550 §11), taken
//     just before each report at the kernel's arrival time, and on
//     the RTP port from the RTP peer (RFC 5761 §4 demultiplexing by packet
//     type 192-223), which is never handed to ReadPacket, Receive or a relay; it keeps
//     the peer's last SR (for LSR/DLSR), its report about our stream (loss,
//     jitter, round-trip time) and when RTCP last came (RTCPStats);
//   - sends a compound SR (when it has sent RTP since the last report) or RR,
//     with a report block on the peer's stream (RFC 3550 A.1, A.3, A.8) and
//     an SDES CNAME, every 5 s randomised by 0.5-1.5 (§6.2, §6.3.1: the
//     minimum interval, which two participants never exceed), the first
//     after half of that, to the peer's RTCP address, and a BYE on Close
//     (§6.6);
//   - keeps sending while the peer holds the stream (RTCP goes on for
//     sendonly and inactive streams, RFC 3264 §5.1), not to c=0.0.0.0.
//
// The RTCP address is the SDP's (Answer.RTCP) until an RTCP packet arrives
// from elsewhere whose sender is the peer's RTP SSRC: then the session
// latches onto that source (symmetric RTCP through NATs, as for RTP).
// Anything else from elsewhere is dropped: a stranger cannot redirect
// reports without the SSRC.

const (
	// rtcpMinInterval is RFC 3550's minimum report interval (§6.2).
	rtcpMinInterval = 5 * time.Second
	// rtcpMaxDatagram bounds an RTCP datagram taken on port+1: an Ethernet
	// MTU, far above the reports and feedback of one audio stream.
	rtcpMaxDatagram = 1500
)

// WithRTCP makes the session terminate RTCP on conn, the socket on the port
// above its RTP port (PortRange.AllocatePair), sending reports to remote
// (Answer.RTCP; an invalid address sends nothing until SetRTCPRemote or the
// peer's first RTCP packet). The session owns conn and closes it.
func WithRTCP(conn *net.UDPConn, remote netip.AddrPort) SessionOption {
	return func(s *Session) {
		r := s.rtcpOn()
		r.conn, r.remote = conn, unmap(remote)
	}
}

// WithRTCPMux makes the session send RTCP on its RTP socket, to its RTP
// peer, for an offer with a=rtcp-mux (Answer.RTCPMux, RFC 5761). RTCP that
// arrives on the RTP port is taken in either case.
func WithRTCPMux() SessionOption {
	return func(s *Session) { s.rtcpOn().mux = true }
}

// withRTCPInterval shortens the report interval, for tests.
func withRTCPInterval(d time.Duration) SessionOption {
	return func(s *Session) { s.rtcpOn().interval = d }
}

// RTCPStats is what a session learnt from its peer's RTCP, and counted of
// its peer's stream for its own reports. Durations are 0 until known.
type RTCPStats struct {
	Reports    uint64    // RTCP datagrams taken from the peer
	Foreign    uint64    // RTCP datagrams dropped for their source
	LastReport time.Time // when the last one came; zero before any
	Bye        bool      // the peer said BYE (§6.6)

	// The peer's last report on the stream the session sends.
	FractionLost   float64 // since its previous report, 0 to 1
	CumulativeLost int32
	Jitter         time.Duration
	RTT            time.Duration // from LSR and DLSR (§6.4.1); needs our SRs

	// The session's count of the stream the peer sends (RFC 3550 A.3).
	Received      uint32
	Lost          int32
	ReceiveJitter time.Duration
}

// SetRTCPRemote sets a new RTCP address (Answer.RTCP of a re-INVITE or of
// the bridge answer). It does nothing without RTCP.
func (s *Session) SetRTCPRemote(remote netip.AddrPort) {
	if r := s.rtcp; r != nil {
		r.mu.Lock()
		r.remote = unmap(remote)
		r.mu.Unlock()
	}
}

// RTCPStats returns what the session knows from RTCP; the zero value
// without RTCP.
func (s *Session) RTCPStats() RTCPStats {
	r := s.rtcp
	if r == nil {
		return RTCPStats{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats
	if recv := r.recv; recv.started { // a copy: block starts an interval
		b := recv.block()
		st.Received, st.Lost, st.ReceiveJitter = recv.received, b.lost, time.Duration(b.jitter)*time.Second/ClockRate
	}
	return st
}
