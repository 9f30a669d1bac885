package media

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// ReadPacket returns the next valid RTP packet (version 2, RFC 3550 §5.1)
// from the peer, skipping anything else: datagrams that do not parse,
// multiplexed RTCP (payload types 72-76, RFC 5761 §4) and packets from a
// source the session does not accept (see latch.go). The packet and its payload live in
// buffers the session reuses: they are valid until the next call, and the
// hot path allocates nothing. It returns ctx.Err() once ctx is done, and an
// error wrapping net.ErrClosed after Close. Only one goroutine may read, with
// this method or Receive, which costs a packet one system call less.
func (s *Session) ReadPacket(ctx context.Context) (*rtp.Packet, error) {
	if _, err := s.read(ctx, s.rbuf[:]); err != nil {
		return nil, err
	}
	return &s.rpkt, nil
}

// read reads into b until a datagram is an RTP packet from the peer, which
// it leaves parsed in s.rpkt, and refreshes LastReceived.
func (s *Session) read(ctx context.Context, b []byte) (int, error) {
	if err := s.rctx.watch(ctx, s.conn); err != nil {
		return 0, err
	}
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(b)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return 0, cerr
			}
			return 0, err
		}
		if s.take(unmap(src), b[:n]) {
			return n, nil
		}
	}
}

// take reports whether datagram b from src is an RTP packet from the peer,
// which it leaves parsed in s.rpkt, counted for RTCP and in LastReceived;
// RTCP on the RTP port (RFC 5761 §4) goes to the session's RTCP.
func (s *Session) take(src netip.AddrPort, b []byte) bool {
	if s.rtcp.demux(s, src, b) {
		return false
	}
	now := s.now()
	if !s.accept(src, b, now) {
		return false
	}
	s.last.Store(now)
	s.rtcp.received(b)
	return true
}

// isRTP parses b into p and reports whether it is RTP (version 2, RFC 3550
// §5.1) and not multiplexed RTCP, whose packet types 200-204 read as RTP
// payload types 72-76 (RFC 5761 §4).
func isRTP(p *rtp.Packet, b []byte) bool {
	if p.Unmarshal(b) != nil || p.Version != 2 {
		return false
	}
	return p.PayloadType < 72 || p.PayloadType > 76
}

// readWatch turns the reader's context into a read deadline. It keeps one
// context.AfterFunc registration per context, not per read, so a reader
// that loops with the same context allocates nothing.
type readWatch struct {
	mu     sync.Mutex // the reader and Close
	ctx    context.Context
	stopF  func() bool
	fired  chan struct{}
	closed bool
}

// watch makes a blocked read on conn return once ctx is done.
func (w *readWatch) watch(ctx context.Context, conn *net.UDPConn) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return net.ErrClosed
	}
	if ctx == w.ctx { // contexts are pointers or comparable structs
		return nil
	}
	w.unregister()
	_ = conn.SetReadDeadline(time.Time{})
	fired := make(chan struct{})
	w.ctx, w.fired = ctx, fired
	w.stopF = context.AfterFunc(ctx, func() {
		_ = conn.SetReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	return nil
}

// close drops the registration for good (Session.Close).
func (w *readWatch) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unregister()
	w.closed = true
}

// unregister removes the registration; if it already ran, it waits until
// the deadline it set is in place so that the caller can reset it.
func (w *readWatch) unregister() {
	if w.stopF != nil && !w.stopF() {
		<-w.fired
	}
	w.ctx, w.stopF = nil, nil
}
