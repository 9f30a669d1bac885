//go:build !linux

package media

import "github.com/pion/rtp"

// receive reads one datagram per system call where recvmmsg is not at hand.
func (s *Session) receive(handle func(b []byte, p *rtp.Packet) bool) error {
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(s.rbuf[:])
		if err != nil {
			return err
		}
		if s.take(unmap(src), s.rbuf[:n]) && !handle(s.rbuf[:n], &s.rpkt) {
			return nil
		}
	}
}

// rxBatch is Linux's recvmmsg state: nothing here.
type rxBatch struct{}
