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
// source other than the latched one. The packet and its payload live in
// buffers the session reuses: they are valid until the next call, and the
// hot path allocates nothing. It returns ctx.Err() once ctx is done, and an
// error wrapping net.ErrClosed after Close. Only one goroutine may read.
func (s *Session) ReadPacket(ctx context.Context) (*rtp.Packet, error) {
	if err := s.rctx.watch(ctx, s.conn); err != nil {
		return nil, err
	}
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(s.rbuf[:])
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			return nil, err
		}
		if s.rpkt.Unmarshal(s.rbuf[:n]) != nil || s.rpkt.Version != 2 {
			continue
		}
		if pt := s.rpkt.PayloadType; pt >= 72 && pt <= 76 {
			continue
		}
		if !s.accept(src) {
			continue
		}
		s.last.Store(int64(time.Since(s.created)))
		return &s.rpkt, nil
	}
}

// accept latches onto the first source and then admits only that one.
func (s *Session) accept(src netip.AddrPort) bool {
	src = unmap(src)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.latched {
		s.remote, s.latched = src, true
		return true
	}
	return src == s.remote
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
