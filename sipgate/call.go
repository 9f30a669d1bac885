package sipgate

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/emiago/sipgo"

	"github.com/meetline/meetline/sipgate/dtmf"
	"github.com/meetline/meetline/sipgate/media"
)

// call is one answered call: its dialog, its RTP session, the keys it receives, and what the IVR needs.
//
// States: setup (INVITE → 200, in invite.go) → answered (ACK) → IVR (prompt, PIN, core) → ended (BYE from
// either side). The call goroutine is the INVITE handler; the RTP reader and the no-RTP watchdog run
// beside it and end with the call's context, which the session timer (timer.go) can end too.
type call struct {
	dlg     *sipgo.DialogServerSession
	media   *media.Session
	recv    *dtmf.Receiver
	codec   media.Codec
	evPT    uint8        // RFC 4733 payload type, 0 when none was negotiated
	answer  media.Answer // the first negotiation: codec and payload types, mirrored on the leg to LiveKit
	refer   bool         // the trunk transfers by REFER rather than bridging
	callID  string
	called  string
	caller  string
	trusted bool // caller was asserted by a trusted proxy (number.go)
	lang    string
	log     *slog.Logger

	leg     *leg         // the call to LiveKit once bridged; written under the call table's lock
	stopIVR func()       // stops the IVR's RTP reader and waits for it, before the relay reads instead
	timer   sessionTimer // RFC 4028: negotiated with the INVITE, re-armed by each refresh

	mu      sync.Mutex // guards the SDP state re-INVITEs change, and notify
	notify  chan int   // status codes of a transfer's NOTIFYs, while one is under way
	offer   []byte     // the last offer, re-answered for a re-INVITE without SDP
	sdp     []byte     // the last answer sent
	local   netip.AddrPort
	sessID  uint64
	sessVer uint64
}

// Causes that end a call's context, besides the dialog ending (BYE, CANCEL).
var (
	errMaxIVR         = errors.New("sipgate: maximum IVR time reached")
	errNoRTP          = errors.New("sipgate: no RTP received")
	errSessionExpired = errors.New("sipgate: session expired")
)

// endedOutcome names why ctx ended: the IVR time limit, the no-RTP watchdog, the session timer, or the
// caller hanging up.
func endedOutcome(ctx context.Context) string {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errMaxIVR):
		return outcomeMaxDuration
	case errors.Is(cause, errNoRTP):
		return outcomeNoRTP
	case errors.Is(cause, errSessionExpired):
		return outcomeSessionExpired
	}
	return outcomeHangup
}

// readRTP feeds telephone-event packets to the DTMF receiver until ctx ends or the session closes. Audio
// packets only refresh LastReceived (inside ReadPacket).
func (c *call) readRTP(ctx context.Context) {
	for {
		p, err := c.media.ReadPacket(ctx)
		if err != nil {
			return
		}
		if c.evPT != 0 && p.PayloadType == c.evPT {
			c.recv.RTP(p.SSRC, p.Timestamp, p.Payload)
		}
	}
}
