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
// Remote address: packets go to the SDP address until the first valid RTP
// packet arrives; the session then latches onto that packet's source and
// sends there (symmetric RTP, RFC 4961, which gets through NATs and SBCs that
// rewrite the source), dropping packets from any other source from then on
// (so a stranger spraying the port range cannot take over an established
// stream). SetRemote, for a re-INVITE, sets a new address and re-arms the
// latch. Nothing is sent while the address is unspecified (c=0.0.0.0 hold)
// or the peer holds the stream (SetHold).
//
// One goroutine reads (ReadPacket or ReadRTP); writes (WritePacket,
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

	rbuf [maxDatagram]byte // reader only
	rpkt rtp.Packet
	rctx readWatch

	rtcp *rtcpSession // nil without RTCP (rtcp.go)

	wmu  sync.Mutex // guards everything below
	wbuf [maxDatagram]byte
	wpkt rtp.Packet
	out  stream
}

// peer is the remote end of a session: where it sends, and, once latched,
// the only source it accepts.
type peer struct {
	addr    netip.AddrPort
	latched bool // addr is the source of a received packet, not the SDP address
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
	s := &Session{conn: conn, created: time.Now(), out: newStream()}
	s.pts = [2]uint8{PCMU.PayloadType(), PCMA.PayloadType()}
	s.peer.Store(&peer{addr: unmap(remote)})
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

// Remote returns where packets are sent: the SDP address, or the latched
// source once a packet has arrived.
func (s *Session) Remote() netip.AddrPort { return s.peer.Load().addr }

// SetRemote sets a new SDP address (a re-INVITE) and latches again onto the
// source of the next packet.
func (s *Session) SetRemote(remote netip.AddrPort) {
	s.peer.Store(&peer{addr: unmap(remote)})
}

// SetHold stops sending while on and resumes when off, whatever the
// address: for a peer that holds the stream with a=sendonly or a=inactive
// (Answer.Hold; RFC 3264 §8.4), to which the answer is recvonly or inactive
// and which expects no media. Reading goes on (a held peer may play music).
func (s *Session) SetHold(on bool) { s.held.Store(on) }

// Foreign returns how many datagrams the session has dropped because they
// came from a source other than the latched one: a count that grows means
// someone is sending to the port (a stale leg, or a scan).
func (s *Session) Foreign() uint64 { return s.foreign.Load() }

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
