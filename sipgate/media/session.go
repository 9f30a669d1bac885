package media

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// maxDatagram bounds one received datagram. G.711 at 20 ms is 172 bytes;
// anything up to a jumbo Ethernet payload fits.
const maxDatagram = 2048

// Session is one call leg's RTP over one UDP socket (RFC 3550).
//
// Remote address (strict RTP, see latch.go): the session accepts packets
// only from the address the SDP names, and sends there. Another source (the
// caller behind a NAT whose SDP names its private address) is latched onto,
// and sent to, only after a probation run of in-sequence packets while the
// accepted source has been quiet (Asterisk strictrtp + probation), so that a
// stranger spraying the port range before or during a call neither hears the
// call nor types into it. SetRemote, for a re-INVITE, sets a new address.
// Nothing is sent while the address is unspecified (c=0.0.0.0 hold) or the
// peer holds the stream (SetHold).
//
// One goroutine reads (ReadPacket or Receive); writes (WritePacket,
// WriteFrame, WriteRTP and the player) may come from several. The remote
// address and the hold flag are atomics, not a mutex, because a relay reads
// one session and writes the other from two goroutines, per packet. Close
// releases the port.
type Session struct {
	conn    *net.UDPConn
	created time.Time
	last    atomic.Int64 // time of the last packet read, as nanoseconds since created
	pts     [2]uint8     // payload types sent for PCMU and PCMA

	peer    atomic.Pointer[peer] // replaced, never modified
	held    atomic.Bool
	foreign atomic.Uint64 // datagrams dropped for their source
	latches atomic.Uint64 // moves to a source the SDP did not name
	policy  Probation

	rbuf  [maxDatagram]byte // reader only
	rpkt  rtp.Packet
	rctx  readWatch
	trial trial
	rx    *rxBatch // Receive's, on first use (Linux)

	rtcp *rtcpSession // nil without RTCP (rtcp.go)

	wmu  sync.Mutex // guards everything below
	wbuf [maxDatagram]byte
	wpkt rtp.Packet
	out  stream
}

// peer is the remote end of a session: where it sends, and the only source
// it accepts besides the SDP address.
type peer struct {
	sdp   netip.AddrPort // the address the SDP names
	addr  netip.AddrPort // sdp, or the source latched onto after probation
	since int64          // when this peer was set, as nanoseconds since created
}

// SessionOption tunes NewSession.
type SessionOption func(*Session)

// WithPayloadType makes the session send codec c with payload type pt, for an
// offer that mapped G.711 to a dynamic payload type (Answer.PT).
func WithPayloadType(c Codec, pt uint8) SessionOption {
	return func(s *Session) {
		if c.Valid() {
			s.pts[c.index()] = pt & 0x7F
		}
	}
}

// NewSession wraps conn (from PortRange.Allocate) for a peer whose SDP
// address is remote (Answer.Remote). The session owns conn.
func NewSession(conn *net.UDPConn, remote netip.AddrPort, opts ...SessionOption) *Session {
	s := &Session{conn: conn, created: time.Now(), out: newStream(), policy: DefaultProbation}
	s.pts = [2]uint8{PCMU.PayloadType(), PCMA.PayloadType()}
	s.peer.Store(&peer{sdp: unmap(remote), addr: unmap(remote)})
	for _, o := range opts {
		o(s)
	}
	s.rtcp.run()
	return s
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// LocalAddr returns the socket's address, whose port goes into the SDP.
func (s *Session) LocalAddr() netip.AddrPort {
	return unmap(s.conn.LocalAddr().(*net.UDPAddr).AddrPort())
}

// Remote returns where packets are sent: the SDP address, or the source
// latched onto after probation.
func (s *Session) Remote() netip.AddrPort { return s.peer.Load().addr }

// SetRemote sets a new SDP address (a re-INVITE): packets are sent there and
// accepted from there, and any other source starts its probation again. The
// address in force (a session refresh) changes nothing, so a latched NAT
// source stays latched and no re-INVITE reopens a window for a stranger.
func (s *Session) SetRemote(remote netip.AddrPort) {
	remote = unmap(remote)
	if s.peer.Load().sdp == remote {
		return
	}
	s.peer.Store(&peer{sdp: remote, addr: remote, since: s.now()})
}

func (s *Session) now() int64 { return int64(time.Since(s.created)) }

// SetHold stops sending while on and resumes when off, whatever the
// address: for a peer that holds the stream with a=sendonly or a=inactive
// (Answer.Hold; RFC 3264 §8.4), to which the answer is recvonly or inactive
// and which expects no media. Reading goes on (a held peer may play music).
func (s *Session) SetHold(on bool) { s.held.Store(on) }

// Held reports whether the peer holds the stream (SetHold): then it may
// send nothing, and its silence means nothing.
func (s *Session) Held() bool { return s.held.Load() }

// Foreign returns how many datagrams the session has dropped because they
// came from a source it does not accept (probation runs included): a count
// that grows means someone is sending to the port (a stale leg, a scan, or
// an attempt at hijacking the call). The call layer adds it to its metrics.
func (s *Session) Foreign() uint64 { return s.foreign.Load() }

// Latches returns how many times the session moved to a source the SDP did
// not name (a NAT, or a stranger that won a probation): one per NATed call
// is normal, more is worth a look.
func (s *Session) Latches() uint64 { return s.latches.Load() }

// PayloadType returns the payload type the session sends codec c with.
func (s *Session) PayloadType(c Codec) uint8 { return s.pts[c.index()] }

// SSRC returns the synchronisation source of the packets the session sends.
func (s *Session) SSRC() uint32 {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.out.ssrc
}

// LastReceived returns when the last RTP packet was read, or when the
// session was created if none was. The call layer ends a call whose
// LastReceived is older than its no-RTP timeout (30 s).
func (s *Session) LastReceived() time.Time {
	return s.created.Add(time.Duration(s.last.Load()))
}

// Close stops a pending ReadPacket and releases the port (and the RTCP
// port, after an RTCP BYE).
func (s *Session) Close() error {
	s.rtcp.close()
	s.rctx.close()
	return s.conn.Close()
}
