package media

import (
	"net/netip"
	"time"
)

// Probation is when a session moves from the address the SDP names to
// another source (strict RTP, as Asterisk's strictrtp=yes with probation).
//
// The SDP address is accepted at once, always: it is what the signalling
// said. Another source is dropped (and counted, Session.Foreign) until it
// has sent Packets consecutive in-sequence packets (one SSRC, sequence
// numbers +1) while the source in force has sent nothing for Quiet: then
// the session latches onto it and sends there. That is the caller behind a
// NAT, whose SDP names a private address that never sends. A stranger who
// sprays the port (before the caller's first packet, or at any time) gets
// nothing while the caller talks, since every packet of the caller's
// restarts the quiet period; and if the stranger won while the caller was
// silent, the caller's next packet from the SDP address takes the session
// back.
type Probation struct {
	Packets int           // in-sequence packets a new source sends before it is accepted
	Quiet   time.Duration // silence of the source in force before another may take over
}

// DefaultProbation: 4 packets as Asterisk's probation; 250 ms is more than
// the jitter of a live stream (12 packets of 20 ms lost in a row) and costs
// a NATed caller the first quarter second of its first prompt.
var DefaultProbation = Probation{Packets: 4, Quiet: 250 * time.Millisecond}

// WithProbation sets the session's probation (DefaultProbation otherwise).
func WithProbation(p Probation) SessionOption {
	return func(s *Session) {
		if p.Packets > 0 && p.Quiet >= 0 {
			s.policy = p
		}
	}
}

// trial is the reader's probation state: the source in force's last packet
// and the other source on trial. It belongs to one peer value: a new one
// (SetRemote, a latch) starts it afresh.
type trial struct {
	peer  *peer
	heard int64 // last packet of the source in force, or when peer was set
	cand  netip.AddrPort
	ssrc  uint32
	seq   uint16
	run   int // in-sequence packets from cand
}

// accept reports whether datagram b from src, read at now, is an RTP packet
// of the peer's, latching onto src when its probation is over.
func (s *Session) accept(src netip.AddrPort, b []byte, now int64) bool {
	p := s.peer.Load()
	t := &s.trial
	if t.peer != p {
		*t = trial{peer: p, heard: p.since}
	}
	if !isRTP(&s.rpkt, b) {
		if src != p.addr && src != p.sdp {
			s.foreign.Add(1)
		}
		return false
	}
	switch {
	case src == p.addr:
		t.heard, t.run = now, 0
		return true
	case src == p.sdp: // back from a latch: the signalled address wins
		return s.move(p, &peer{sdp: p.sdp, addr: src, since: now}, now)
	case t.onTrial(src, s.rpkt.SSRC, s.rpkt.SequenceNumber) >= s.policy.Packets &&
		time.Duration(now-t.heard) >= s.policy.Quiet:
		if s.move(p, &peer{sdp: p.sdp, addr: src, since: now}, now) {
			s.latches.Add(1)
			return true
		}
	}
	s.foreign.Add(1)
	return false
}

// onTrial counts a packet of src's towards its run and returns the run.
func (t *trial) onTrial(src netip.AddrPort, ssrc uint32, seq uint16) int {
	if t.run > 0 && src == t.cand && ssrc == t.ssrc && seq == t.seq+1 {
		t.run++
	} else {
		t.cand, t.ssrc, t.run = src, ssrc, 1
	}
	t.seq = seq
	return t.run
}

// move replaces peer p by np unless SetRemote came in between, in which case
// the new SDP address stays and the packet is dropped.
func (s *Session) move(p, np *peer, now int64) bool {
	if !s.peer.CompareAndSwap(p, np) {
		return false
	}
	s.trial = trial{peer: np, heard: now}
	return true
}
