package media

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// rtcpSession is a session's RTCP: its socket, where reports go, and the
// state of both directions. No goroutine waits on it: a timer sends each
// report, and takes what the RTCP socket received just before (drain).
type rtcpSession struct {
	s        *Session
	conn     *net.UDPConn // port+1; nil when only multiplexed
	raw      syscall.RawConn
	mux      bool
	interval time.Duration
	cname    string
	stopOnce sync.Once

	mu     sync.Mutex // guards everything below
	timer  *time.Timer
	closed bool
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
	s.rtcp = &rtcpSession{s: s, interval: rtcpMinInterval, cname: hex.EncodeToString(id[:]), start: time.Now()}
	return s.rtcp
}

// next returns a randomised report interval (RFC 3550 §6.3.1: T × [0.5,
// 1.5] / (e − 3/2)).
func (r *rtcpSession) next() time.Duration {
	const compensation = 1.21828
	return time.Duration(float64(r.interval) * (0.5 + rand.Float64()) / compensation)
}

// run starts the session's RTCP, once NewSession has applied its options:
// the first report after half an interval (§6.2), on a timer.
func (r *rtcpSession) run() {
	if r == nil {
		return
	}
	if r.conn != nil {
		if raw, err := r.conn.SyscallConn(); err == nil {
			r.raw = raw
			stampArrivals(raw)
		}
	}
	r.mu.Lock()
	r.timer = time.AfterFunc(r.next()/2, r.tick)
	r.mu.Unlock()
}

// tick takes what came to the RTCP socket, sends a report and sets the
// timer for the next one. Between reports nothing runs: a goroutine per
// session waiting on its RTCP socket cost more than the few datagrams a
// peer sends there (one per 5 s), and what arrived meanwhile is taken at
// the kernel's arrival time (stampArrivals), so the round-trip time does
// not suffer from the wait.
func (r *rtcpSession) tick() {
	r.drain()
	r.report(time.Now(), false)
	r.mu.Lock()
	if !r.closed {
		r.timer.Reset(r.next())
	}
	r.mu.Unlock()
}

// drain takes every datagram waiting on the RTCP socket, without blocking.
func (r *rtcpSession) drain() {
	if r.raw == nil {
		return
	}
	buf := rtcpBufs.Get().(*rtcpBuf)
	defer rtcpBufs.Put(buf)
	_ = r.raw.Read(func(fd uintptr) bool {
		for {
			n, oobn, _, from, err := syscall.Recvmsg(int(fd), buf.data[:], buf.oob[:], syscall.MSG_DONTWAIT)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				return true // EAGAIN: nothing more; any other error: the next report tries again
			}
			if src, ok := sockaddrAddrPort(from); ok {
				r.take(src, buf.data[:n], true, arrivedAt(buf.oob[:oobn]))
			}
		}
	})
}

// rtcpBuf is what drain reads into, shared by all sessions.
type rtcpBuf struct {
	data [rtcpMaxDatagram]byte
	oob  [64]byte // one SCM_TIMESTAMPNS
}

var rtcpBufs = sync.Pool{New: func() any { return new(rtcpBuf) }}

func sockaddrAddrPort(sa syscall.Sockaddr) (netip.AddrPort, bool) {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), true
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port)), true
	}
	return netip.AddrPort{}, false
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
		r.take(src, b, false, time.Now())
	}
	return true
}

// take handles compound RTCP datagram b from src, arrived at now; onPort
// says it came to the RTCP socket, whose source may latch.
func (r *rtcpSession) take(src netip.AddrPort, b []byte, onPort bool, now time.Time) {
	info, err := parseRTCP(b, r.s.SSRC())
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
	if r.closed && !bye { // a tick that lost the race with close: the BYE was the last word
		return
	}
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

// close says BYE, stops the reports and closes the RTCP socket.
func (r *rtcpSession) close() {
	if r == nil {
		return
	}
	r.stopOnce.Do(func() {
		r.drain() // the peer's last words: a BYE of its own, its last report
		r.mu.Lock()
		r.closed = true
		r.timer.Stop()
		r.mu.Unlock()
		r.report(time.Now(), true)
		if r.conn != nil {
			r.conn.Close()
		}
	})
}

// senderInfo returns the session's SSRC and the sender half of an SR at now
// (RFC 3550 §6.4.1): the RTP timestamp that corresponds to now on the
// stream's clock, and what the stream has sent.
func (s *Session) senderInfo(now time.Time) (ssrc uint32, si senderInfo) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	si = senderInfo{ntp: ntpTime(now), rtpTS: s.out.ts, packets: s.out.packets, octets: s.out.octets}
	if !s.out.end.IsZero() {
		si.rtpTS += uint32(now.Sub(s.out.end) * ClockRate / time.Second)
	}
	return s.out.ssrc, si
}
