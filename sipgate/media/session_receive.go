package media

import (
	"context"
	"errors"
	"os"

	"github.com/pion/rtp"
)

// Receive hands handle every packet ReadPacket would return, as received
// (b) and parsed (p), until ctx is done, the session is closed, or handle
// returns false. It returns ctx.Err() once ctx is done, an error wrapping
// net.ErrClosed after Close, and nil when handle stopped it. b and p live
// in buffers the session reuses: handle may modify b in place (a relay
// rewrites the header) but must keep neither past its return, and should
// not block, since the next packet waits for it. It allocates nothing per
// packet. Only one goroutine may read, with this method or the others.
//
// Receive is the reader of a stream that lasts (the IVR's digits, a
// relay's legs): on Linux it takes the datagrams by recvmmsg, two at a
// time, and, when the socket's queue is empty, waits for the socket to be
// readable before its next system call. A packet then costs one system call
// where ReadPacket costs two: the read, then the read that finds the queue
// empty before the reader parks (Go's network poller starts every read
// with the system call).
func (s *Session) Receive(ctx context.Context, handle func(b []byte, p *rtp.Packet) bool) error {
	if err := s.rctx.watch(ctx, s.conn); err != nil {
		return err
	}
	err := s.receive(handle)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
	}
	return err
}
