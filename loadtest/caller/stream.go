package caller

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Heard is a talkspurt sipgate sent: the recording it is (a Prompt… name) and when its first packet
// arrived.
type Heard struct {
	Prompt string
	At     time.Time
}

// Stream is one call's RTP: its own SSRC, sequence numbers and timestamps on a shared socket, the audio
// the shard's sender writes for it, the key presses the call sends, and what comes back: sipgate's
// prompts (recognised, and counted for loss by their sequence numbers) and, once bridged, the caller's
// own packets echoed by LiveKit's SIP stand-in through sipgate's relay. sipgate's relay continues its own
// stream toward the caller (one SSRC, running sequence numbers), so an echo is known by its payload, whose
// first four bytes the caller tags with its SSRC, and its loss is counted in the one stream.
type Stream struct {
	sh     *shard
	remote netip.AddrPort // sipgate's RTP address, set by start
	ssrc   uint32

	wmu      sync.Mutex // guards seq, ts, frame
	seq      uint16
	ts       uint32
	frame    int
	eventPT  uint8
	audio    atomic.Bool // the shard's sender writes frames
	pressing atomic.Bool // a key is down: audio paused
	sent     atomic.Uint64

	rmu        sync.Mutex // guards what the reader updates, read by the call at the end
	peer       uint32     // sipgate's SSRC, from its first packet
	peerKnown  bool
	foreign    uint64 // packets from another SSRC than sipgate's or the caller's
	in         seqTracker
	echoes     uint64 // own packets back through the bridge
	spurt      talkspurt
	received   uint64
	heard      chan Heard    // recognised talkspurts; full: dropped (the call reads as they come)
	prompts    []string      // every recognised talkspurt, in order: what the caller heard in all
	echoed     chan struct{} // closed at the first echo
	echoedAt   time.Time
	lastEcho   time.Time // when the latest echo arrived
	echoedOnce sync.Once
}

// start registers the stream under sipgate's address remote and starts its audio; eventPT is the
// telephone-event payload type sipgate answered with.
func (s *Stream) start(remote netip.AddrPort, eventPT uint8) {
	s.remote, s.eventPT = remote, eventPT
	s.sh.add(s)
	s.audio.Store(true)
}

// stop ends the audio and unregisters the stream; packets that still arrive are dropped.
func (s *Stream) stop() {
	s.audio.Store(false)
	if s.remote.IsValid() {
		s.sh.remove(s)
	}
}

// localPort is the shared socket's port, which the SDP offer advertises.
func (s *Stream) localPort() uint16 { return s.sh.port }

// audioFrame writes the next voice frame into buf and returns its length, or 0 while a key is down or
// the audio is off. The shard's sender sends it, and counts it sent.
func (s *Stream) audioFrame(pkt *rtp.Packet, buf []byte, voice [][]byte) int {
	if !s.audio.Load() || s.pressing.Load() {
		return 0
	}
	s.wmu.Lock()
	s.seq++
	pkt.Header = rtp.Header{Version: 2, PayloadType: ptPCMU, SequenceNumber: s.seq, Timestamp: s.ts, SSRC: s.ssrc}
	pkt.Payload = voice[s.frame%len(voice)]
	s.ts += frameSamples
	s.frame++
	s.wmu.Unlock()
	n, err := pkt.MarshalTo(buf)
	if err != nil {
		return 0
	}
	binary.BigEndian.PutUint32(buf[rtpHeaderLen:], s.ssrc) // the echo tag: 4 of 160 samples
	return n
}

// rfc4733 maps the keys to telephone-event codes (RFC 4733 §3.2).
func rfc4733(key byte) (byte, bool) {
	switch {
	case key >= '0' && key <= '9':
		return key - '0', true
	case key == '*':
		return 10, true
	case key == '#':
		return 11, true
	}
	return 0, false
}

// press sends key as an RFC 4733 event held for hold (rounded to 20 ms packets): one packet every 20 ms
// with the marker bit on the first and the duration so far, then the end packet three times (§2.5.1.4),
// all with the event's start timestamp. Audio pauses meanwhile, and its timestamp then skips the event's
// length. It returns when the first packet was sent, which is when sipgate takes the key.
func (s *Stream) press(ctx context.Context, key byte, hold time.Duration) (time.Time, error) {
	ev, ok := rfc4733(key)
	if !ok {
		return time.Time{}, fmt.Errorf("caller: no RFC 4733 event for %q", key)
	}
	s.pressing.Store(true)
	defer s.pressing.Store(false)
	s.wmu.Lock()
	ts := s.ts
	s.wmu.Unlock()
	n := max(1, int(hold/ptime))
	var first time.Time
	start := time.Now()
	for i := range n + 3 {
		end := i >= n
		dur := uint16(frameSamples * min(i+1, n))
		if i == 0 {
			// Before the write: the answer may arrive, and be timed, before the write returns.
			first = time.Now()
		}
		if err := s.writeEvent(ev, end, i == 0, ts, dur); err != nil {
			return first, err
		}
		if i < n-1 {
			if err := sleepUntil(ctx, start.Add(time.Duration(i+1)*ptime)); err != nil {
				return first, err
			}
		}
	}
	s.wmu.Lock()
	s.ts += uint32(n * frameSamples)
	s.wmu.Unlock()
	return first, nil
}

// writeEvent sends one telephone-event packet: event, end bit, volume 10 dBm0 below the maximum, duration.
func (s *Stream) writeEvent(ev byte, end, marker bool, ts uint32, dur uint16) error {
	flags := byte(10)
	if end {
		flags |= 0x80
	}
	s.wmu.Lock()
	s.seq++
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: s.eventPT, Marker: marker, SequenceNumber: s.seq,
		Timestamp: ts, SSRC: s.ssrc}, Payload: []byte{ev, flags, byte(dur >> 8), byte(dur)}}
	s.wmu.Unlock()
	b, err := p.Marshal()
	if err != nil {
		return err
	}
	if _, err := s.sh.conn.WriteToUDPAddrPort(b, s.remote); err != nil {
		return fmt.Errorf("caller: rtp event: %w", err)
	}
	s.sent.Add(1)
	return nil
}

// receive takes one datagram from sipgate's address: an echo of the caller's own packet once bridged,
// else a packet of sipgate's own stream (a prompt, music on hold), whose talkspurts are recognised.
func (s *Stream) receive(b []byte, at time.Time) {
	var h rtp.Header
	n, err := h.Unmarshal(b)
	if err != nil {
		return
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.received++
	if len(b) >= n+4 && binary.BigEndian.Uint32(b[n:]) == s.ssrc { // an echo
		if s.peerKnown && h.SSRC == s.peer {
			s.in.add(h.SequenceNumber)
		}
		s.echoes++
		s.lastEcho = at
		s.echoedOnce.Do(func() { s.echoedAt = at; close(s.echoed) })
		return
	}
	if !s.peerKnown {
		s.peer, s.peerKnown = h.SSRC, true
	}
	if h.SSRC != s.peer {
		// Another source on sipgate's port: a session that used the port before, whose last packets were
		// still queued. They are neither this call's prompts nor its loss.
		s.foreign++
		return
	}
	ext := s.in.add(h.SequenceNumber)
	if h.Marker {
		s.sh.m.rec.begin(&s.spurt, ext)
		s.spurt.at = at
	}
	if name := s.sh.m.rec.feed(&s.spurt, ext, b[n:]); name != "" {
		if len(s.prompts) < maxPrompts {
			s.prompts = append(s.prompts, name)
		}
		select {
		case s.heard <- Heard{Prompt: name, At: s.spurt.at}:
		default:
		}
	}
}

// maxPrompts bounds a call's record of prompts: music on hold repeats for as long as a caller waits.
const maxPrompts = 32

// heardAll returns every prompt recognised so far, in order.
func (s *Stream) heardAll() []string {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return slices.Clone(s.prompts)
}

// rtpHeaderLen is the size of the caller's RTP header: no CSRC, no extension.
const rtpHeaderLen = 12

// RTP is a stream's packet counts at the end of a call.
type RTP struct {
	Sent     uint64 // packets sent: audio and key events
	Received uint64 // packets received: sipgate's and echoes
	Lost     uint64 // gaps in sipgate's sequence numbers (prompts and echoes are one stream)
	Echoed   uint64 // own packets back through the bridge
	Foreign  uint64 // packets from another source on sipgate's port, left out of the loss
	// Expected is how many packets the received sequence numbers span, the denominator of the loss.
	Expected uint64
	// LastEcho is when the latest of the caller's own packets came back: a bridge whose audio stopped
	// while the call stayed up shows here.
	LastEcho time.Time
}

// counts returns the stream's packet counts.
func (s *Stream) counts() RTP {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return RTP{Sent: s.sent.Load(), Received: s.received, Lost: s.in.lost(),
		Echoed: s.echoes, Expected: s.in.expected(), Foreign: s.foreign, LastEcho: s.lastEcho}
}

// sleepUntil waits for the wall-clock time at, or for ctx.
func sleepUntil(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
