package media

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
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
//   - reads RTCP from its peer: on port+1 (WithRTCP, RFC 3550 §11), and on
//     the RTP port from the RTP peer (RFC 5761 §4 demultiplexing by packet
//     type 192-223), which is never handed to ReadPacket or a relay; it keeps
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

// rtcpSession is a session's RTCP: its socket, where reports go, and the
// state of both directions.
type rtcpSession struct {
	s        *Session
	conn     *net.UDPConn // port+1; nil when only multiplexed
	mux      bool
	interval time.Duration
	cname    string
	done     chan struct{}
	exited   chan struct{}
	stopOnce sync.Once
	rbuf     [rtcpMaxDatagram]byte // the run goroutine

	mu     sync.Mutex // guards everything below
	wbuf   [256]byte // our reports take ~110 bytes
	remote netip.AddrPort
	recv   reception
	start  time.Time // the arrival clock of recv
	lsr    uint32    // middle of the peer's last SR's NTP time
	lsrAt  time.Time
	sent   uint32 // our packets at the previous report
	stats  RTCPStats
}

// rtcpOn returns the session's RTCP, created on first use.
func (s *Session) rtcpOn() *rtcpSession {
	if s.rtcp != nil {
		return s.rtcp
	}
	var id [12]byte
	for i := range id {
		id[i] = byte(rand.Uint32())
	}
	s.rtcp = &rtcpSession{s: s, interval: rtcpMinInterval, cname: hex.EncodeToString(id[:]), done: make(chan struct{}), exited: make(chan struct{}), start: time.Now()}
	return s.rtcp
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

// next returns a randomised report interval (RFC 3550 §6.3.1: T × [0.5,
// 1.5] / (e − 3/2)).
func (r *rtcpSession) next() time.Duration {
	const compensation = 1.21828
	return time.Duration(float64(r.interval) * (0.5 + rand.Float64()) / compensation)
}

// run starts the session's RTCP, once NewSession has applied its options:
// a goroutine that sends reports until close and reads the RTCP socket
// meanwhile.
func (r *rtcpSession) run() {
	if r != nil {
		go r.loop()
	}
}

func (r *rtcpSession) loop() {
	defer close(r.exited)
	due := time.Now().Add(r.next() / 2) // the first one after half (§6.2)
	for {
		if !r.wait(due) {
			return
		}
		if now := time.Now(); !now.Before(due) {
			r.report(now, false)
			due = now.Add(r.next())
		}
	}
}

// wait returns after due or after a datagram on the RTCP socket, which it
// takes, and false once the session is closing.
func (r *rtcpSession) wait(due time.Time) bool {
	if r.conn == nil {
		t := time.NewTimer(time.Until(due))
		defer t.Stop()
		select {
		case <-r.done:
			return false
		case <-t.C:
			return true
		}
	}
	_ = r.conn.SetReadDeadline(due)
	n, src, err := r.conn.ReadFromUDPAddrPort(r.rbuf[:])
	var timeout net.Error
	switch {
	case err == nil:
		r.take(unmap(src), r.rbuf[:n], true)
		return true
	case errors.As(err, &timeout) && timeout.Timeout():
		return true
	}
	select {
	case <-r.done:
		return false
	default:
		time.Sleep(10 * time.Millisecond) // a transient error (ICMP from the peer): go on
		return true
	}
}

// received counts an RTP packet from the peer, valid RTP packet b. It
// allocates nothing.
func (r *rtcpSession) received(b []byte) {
	if r == nil {
		return
	}
	now := time.Now()
	r.mu.Lock()
	arrival := uint32(now.Sub(r.start) * ClockRate / time.Second)
	r.recv.add(binary.BigEndian.Uint32(b[8:12]), binary.BigEndian.Uint16(b[2:4]), binary.BigEndian.Uint32(b[4:8]), arrival)
	r.mu.Unlock()
}

// demux takes datagram b from src if it is RTCP arriving on the RTP port
// (RFC 5761 §4) and reports whether it was: RTCP is never handed to an RTP
// reader, and is taken only from the RTP peer and only with RTCP on.
func (r *rtcpSession) demux(s *Session, src netip.AddrPort, b []byte) bool {
	if !isRTCP(b) {
		return false
	}
	if r != nil && src == s.Remote() {
		r.take(src, b, false)
	}
	return true
}

// take handles compound RTCP datagram b from src; onPort says it came to
// the RTCP socket, whose source may latch.
func (r *rtcpSession) take(src netip.AddrPort, b []byte, onPort bool) {
	info, err := parseRTCP(b, r.s.SSRC())
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		return
	}
	if onPort && src != r.remote {
		if !r.recv.started || info.sender != r.recv.ssrc {
			r.stats.Foreign++
			return
		}
		r.remote = src // the peer, from behind a NAT: symmetric RTCP
	}
	r.stats.Reports++
	r.stats.LastReport = now
	r.stats.Bye = r.stats.Bye || info.bye
	if info.sr {
		r.lsr, r.lsrAt = info.ntp, now
	}
	if blk := info.block; info.hasBlock {
		r.stats.FractionLost = float64(blk.fraction) / 256
		r.stats.CumulativeLost = blk.lost
		r.stats.Jitter = time.Duration(blk.jitter) * time.Second / ClockRate
		if blk.lsr != 0 {
			if rtt := ntpMiddle(ntpTime(now)) - blk.lsr - blk.dlsr; int32(rtt) >= 0 {
				r.stats.RTT = fromNTPShort(rtt)
			}
		}
	}
}

// report sends a compound report, with a BYE when bye.
func (r *rtcpSession) report(now time.Time, bye bool) {
	ssrc, si := r.s.senderInfo(now)
	r.mu.Lock()
	defer r.mu.Unlock()
	dst := r.remote
	if r.mux || r.conn == nil {
		dst = r.s.Remote()
	}
	if !dst.IsValid() || dst.Addr().IsUnspecified() || dst.Port() == 0 {
		return
	}
	var sr *senderInfo
	if si.packets != r.sent { // a sender in this interval (§6.4)
		sr, r.sent = &si, si.packets
	}
	var blk *reportBlock
	if r.recv.started {
		b := r.recv.block()
		if r.lsr != 0 {
			b.lsr = r.lsr
			b.dlsr = uint32(now.Sub(r.lsrAt) * 65536 / time.Second)
		}
		blk = &b
	}
	pkt := appendReport(r.wbuf[:0], ssrc, sr, blk, r.cname, bye)
	conn := r.conn
	if r.mux || conn == nil {
		conn = r.s.conn
	}
	_, _ = conn.WriteToUDPAddrPort(pkt, dst)
}

// close says BYE, stops the reports and closes the RTCP socket; it returns
// once the run goroutine has.
func (r *rtcpSession) close() {
	if r == nil {
		return
	}
	r.stopOnce.Do(func() {
		close(r.done)
		r.report(time.Now(), true)
		if r.conn != nil {
			r.conn.Close()
		}
		<-r.exited
	})
}
