//go:build !linux

package media

import (
	"context"
	"time"

	"github.com/pion/rtp"
)

// receive reads one datagram per system call where recvmmsg is not at hand.
func (s *Session) receive(handle func(b []byte, p *rtp.Packet) bool) error {
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(s.rbuf[:])
		if err != nil {
			return err
		}
		if s.take(unmap(src), s.rbuf[:n], time.Time{}) && !handle(s.rbuf[:n], &s.rpkt) {
			return nil
		}
	}
}

// rxBatch is Linux's recvmmsg state: nothing here.
type rxBatch struct{}

// pollReg is Linux's place in the poller: nothing here.
type pollReg struct{}

func (*pollReg) close() {}

// receivePolled is Receive where there is no poller: a reader of its own.
func (s *Session) receivePolled(ctx context.Context, handle func(b []byte, p *rtp.Packet) bool) error {
	return s.receiveEach(ctx, handle)
}
