package media

import (
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// WritePacket sends p as it is, for a caller that numbers its own packets
// (the stand-in's echo). Nothing is sent, and nil returned, while the remote
// address is unknown or unspecified or the peer holds the stream (SetHold).
func (s *Session) WritePacket(p *rtp.Packet) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.send(p)
}

// WriteRTP sends b, a packet Receive read on another leg, to the remote as
// it is, and reports whether it did: nothing is sent, and false, nil
// returned, while WritePacket would send nothing. It takes no lock (there is
// no packet to marshal), so a relay never waits for a prompt being written.
func (s *Session) WriteRTP(b []byte) (sent bool, err error) {
	dst, ok := s.destination()
	if !ok {
		return false, nil
	}
	if _, err := s.conn.WriteToUDPAddrPort(b, dst); err != nil {
		return false, err
	}
	return true, nil
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
	s.out.sent(len(payload))
	s.wpkt.Payload = payload
	err := s.send(&s.wpkt)
	s.wpkt.Payload = nil
	return err
}

func (s *Session) send(p *rtp.Packet) error {
	dst, ok := s.destination()
	if !ok {
		return nil
	}
	n, err := p.MarshalTo(s.wbuf[:])
	if err != nil {
		return err
	}
	_, err = s.conn.WriteToUDPAddrPort(s.wbuf[:n], dst)
	return err
}

// destination returns where to send, and false while nothing may be sent:
// on hold, or without a usable address (c=0.0.0.0 is the RFC 2543 hold).
func (s *Session) destination() (netip.AddrPort, bool) {
	dst := s.peer.Load().addr
	ok := !s.held.Load() && dst.IsValid() && !dst.Addr().IsUnspecified() && dst.Port() != 0
	return dst, ok
}
