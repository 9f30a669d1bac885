package media

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/pion/rtp"
)

// Receive hands handle every packet ReadPacket would return, as received
// (b) and parsed (p), until ctx is done, the session is closed, or handle
// returns false. It returns ctx.Err() once ctx is done, an error wrapping
// net.ErrClosed after Close, and nil when handle stopped it. b and p live
// in buffers the reader reuses: handle may modify b in place but must keep
// neither past its return, and must not block nor close the session, since
// other sessions' packets wait for it. Once Receive has returned, handle is not called again. It
// allocates nothing per packet. Only one goroutine may read, with this
// method or the others.
//
// Receive is the reader of a stream that lasts and tolerates a few
// milliseconds of delay (the IVR's digits, a held caller's audio). On Linux
// the calling goroutine only waits: the process's poller (poller_linux.go)
// holds the socket in one epoll set with every other session in Receive,
// and takes their datagrams every pollInterval (5 ms) by recvmmsg, calling
// handle on its own goroutine. A packet then costs its share of one system
// call and no goroutine wake-up, where a reader of its own costs a wake-up
// of the network poller, of the scheduler and of the reader, per packet.
// Elsewhere it reads as Relay does (receiveEach).
func (s *Session) Receive(ctx context.Context, handle func(b []byte, p *rtp.Packet) bool) error {
	return s.receivePolled(ctx, handle)
}

// errClosed is what a reader returns after Close, as a closed socket would.
var errClosed = fmt.Errorf("media: session closed: %w", net.ErrClosed)

// receiveEach is Receive with a reader of its own, woken by the network
// poller for each packet: Relay's, whose packets go on to the other leg at
// once (BenchmarkRelayLatency).
func (s *Session) receiveEach(ctx context.Context, handle func(b []byte, p *rtp.Packet) bool) error {
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
