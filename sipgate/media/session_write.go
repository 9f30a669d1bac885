package media

import (
	"time"

	"github.com/pion/rtp"
)

// WritePacket sends p as it is, for a caller that numbers its own packets
// (a relay between two legs). Nothing is sent, and nil returned, while the
// remote address is unknown or unspecified (hold).
func (s *Session) WritePacket(p *rtp.Packet) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.send(p)
}

// StartTalkspurt begins a talkspurt: the next WriteFrame carries the marker
// bit and, after a silence, a timestamp advanced by it (RFC 3550 §5.1,
// RFC 3551 §4.1).
func (s *Session) StartTalkspurt() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.out.talkspurt(time.Now())
}

// WriteFrame sends payload as the next packet of the session's own stream:
// sequence number +1, timestamp +samples (RFC 3550 §5.1), payload type pt.
func (s *Session) WriteFrame(pt uint8, payload []byte, samples uint32) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.out.stamp(&s.wpkt.Header, pt, samples)
	s.wpkt.Payload = payload
	err := s.send(&s.wpkt)
	s.wpkt.Payload = nil
	return err
}

func (s *Session) send(p *rtp.Packet) error {
	dst := s.Remote()
	if !dst.IsValid() || dst.Addr().IsUnspecified() || dst.Port() == 0 {
		return nil
	}
	n, err := p.MarshalTo(s.wbuf[:])
	if err != nil {
		return err
	}
	_, err = s.conn.WriteToUDPAddrPort(s.wbuf[:n], dst)
	return err
}
