package media

import "time"

// PauseRelay stops sending what a Relay forwards to this session's peer
// until ResumeRelay, so that a prompt can be played to a bridged caller
// (Play on this session) without the meeting's audio mixed in: the relayed
// packets are dropped and counted as Paused. The prompt continues the
// session's stream, and the first relayed packet after ResumeRelay continues
// it again, with the marker bit (see splice).
func (s *Session) PauseRelay() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.out.splice.paused = true
	s.out.splice.on = false
}

// ResumeRelay sends what a Relay forwards again, after PauseRelay.
func (s *Session) ResumeRelay() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.out.splice.paused = false
}

// relayResult is what became of a packet a relay gave a session to send.
type relayResult uint8

const (
	relaySent   relayResult = iota
	relayHeld               // the peer holds the stream or has no address
	relayPaused             // PauseRelay
)

// writeRelayed sends b, a packet Receive read on another leg, as the next
// packet of the session's own stream, rewriting its header in place. A
// packet not sent (held, paused) ends the splice, so that the next one sent
// starts a talkspurt.
func (s *Session) writeRelayed(b []byte) (relayResult, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	dst, ok := s.destination()
	switch {
	case s.out.splice.paused:
		s.out.splice.on = false
		return relayPaused, nil
	case !ok:
		s.out.splice.on = false
		return relayHeld, nil
	}
	s.out.relay(b, s.samples(b), time.Now())
	if _, err := s.conn.WriteToUDPAddrPort(b, dst); err != nil {
		return relayHeld, err
	}
	return relaySent, nil
}

// samples returns how long valid RTP packet b's audio lasts in timestamp
// units: one per byte for the session's G.711 payload types, and 0 for
// anything else (telephone-events, whose timestamp is their start).
func (s *Session) samples(b []byte) uint32 {
	pt := b[1] & 0x7F
	if pt != s.pts[0] && pt != s.pts[1] {
		return 0
	}
	return uint32(payloadLen(b))
}

// writeAsIs is WriteRTP for a relay.
func (s *Session) writeAsIs(b []byte) (relayResult, error) {
	sent, err := s.WriteRTP(b)
	if sent {
		return relaySent, nil
	}
	return relayHeld, err
}
