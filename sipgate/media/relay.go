package media

import (
	"context"
	"encoding/binary"
	"errors"
	"net"

	"github.com/pion/rtp"
)

// RelayStats is what a relay forwarded each way.
type RelayStats struct {
	AtoB FlowStats // from a's peer to b's
	BtoA FlowStats // from b's peer to a's
}

// FlowStats counts one direction of a relay.
type FlowStats struct {
	Packets uint64 // forwarded
	Bytes   uint64 // forwarded, RTP header and payload (no UDP/IP)
	// Dropped counts datagrams from a source other than the sending leg's
	// latched peer (see Session.Foreign).
	Dropped uint64
	// Held counts packets not forwarded because the leg they would leave
	// by sends nothing: its peer holds the stream (SetHold, c=0.0.0.0) or
	// it has no address yet.
	Held uint64
	// Paused counts packets dropped toward a between PauseRelay and
	// ResumeRelay (a prompt played to the caller).
	Paused uint64
	// WriteErrors counts packets the receiving leg's socket refused.
	WriteErrors uint64
}

// Relay bridges two legs, a (the caller) and b (LiveKit), until ctx is done
// or either session is closed: every RTP packet from a's peer goes to b's
// remote and the other way round, payload type and payload untouched (RFC
// 4733 telephone-events included), so both legs must have negotiated the
// same payload types (BridgeOffer).
//
// Toward b, packets go as received (SSRC, sequence number, timestamp and
// marker untouched). Toward a, they continue a's own stream, the one its
// prompts used: a's SSRC, sequence numbers and timestamps shifted by offsets
// taken when the relay starts or resumes, with the marker bit on the first
// packet (see splice); PauseRelay and ResumeRelay on a make room for a
// prompt. The header is rewritten in place: nothing is copied. The gateway
// is thus an RTP translator that changes SSRCs toward the caller (RFC 3550
// §7.1), and terminates RTCP on each leg rather than forwarding it (see
// rtcp.go).
//
// Relay is the one reader of both sessions while it runs: stop any other
// reader first. It keeps LastReceived fresh, follows SetRemote and SetHold
// made meanwhile (a re-INVITE) at the next packet, and allocates nothing per
// packet. It closes neither session.
func Relay(ctx context.Context, a, b *Session, opts ...RelayOption) RelayStats {
	var cfg relayConfig
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var st RelayStats
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		st.BtoA = forward(ctx, b, a, (*Session).writeRelayed, nil)
	}()
	var tap func([]byte)
	if cfg.events != nil {
		tap = cfg.tap
	}
	st.AtoB = forward(ctx, a, b, (*Session).writeAsIs, tap)
	cancel()
	<-done
	return st
}

// RelayOption adjusts a Relay.
type RelayOption func(*relayConfig)

type relayConfig struct {
	eventPT uint8
	events  func(ssrc, timestamp uint32, payload []byte)
}

// WithEvents hands fn every telephone-event packet (payload type pt, RFC
// 4733) that a's peer (the caller) sends, before the packet goes on to b
// unchanged: the gateway can recognise keypad commands without holding the
// stream, and every key still reaches LiveKit once. fn runs on the relay's
// reader, so it must not block nor keep payload; dtmf.Receiver.RTP fits.
func WithEvents(pt uint8, fn func(ssrc, timestamp uint32, payload []byte)) RelayOption {
	return func(c *relayConfig) { c.eventPT, c.events = pt, fn }
}

// tap calls events for valid RTP packet b when it is a telephone-event.
func (c *relayConfig) tap(b []byte) {
	if b[1]&0x7F != c.eventPT {
		return
	}
	start := headerLen(b)
	c.events(binary.BigEndian.Uint32(b[8:12]), binary.BigEndian.Uint32(b[4:8]), b[start:start+payloadLen(b)])
}

// forward copies packets from one leg to the other with write until ctx is
// done or either socket is closed; tap, when not nil, sees each packet
// first.
func forward(ctx context.Context, from, to *Session, write func(*Session, []byte) (relayResult, error), tap func([]byte)) (st FlowStats) {
	foreign := from.Foreign()
	defer func() { st.Dropped = from.Foreign() - foreign }()
	_ = from.Receive(ctx, func(b []byte, _ *rtp.Packet) bool {
		if tap != nil {
			tap(b)
		}
		res, err := write(to, b)
		switch {
		case errors.Is(err, net.ErrClosed):
			return false
		case err != nil:
			st.WriteErrors++
		case res == relaySent:
			st.Packets++
			st.Bytes += uint64(len(b))
		case res == relayPaused:
			st.Paused++
		default:
			st.Held++
		}
		return true
	})
	return st
}
