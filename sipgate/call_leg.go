package sipgate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/media"
)

// Headers of the INVITE to LiveKit that its trunk turns into participant attributes. They are
// core/livekit's HeaderRoomID, HeaderRole and HeaderCallID (a test checks), repeated here so that sipgate
// does not link LiveKit's SDK.
const (
	headerRoomID = "X-Meet-Room-Id"
	headerRole   = "X-Meet-Role"
	headerCallID = "X-Meet-Call-Id"
)

// byeTimeout bounds the BYE that ends the leg (its transaction times out after 64·T1 anyway, §17.1.2.2).
const byeTimeout = 5 * time.Second

// errNoLiveKit means no LiveKit SIP address is configured: admitted callers cannot be handed off.
var errNoLiveKit = errors.New("sipgate: no LiveKit SIP address configured")

// leg is sipgate's call to LiveKit's SIP service on behalf of a caller: the UAC half of the bridge.
type leg struct {
	dlg   *sipgo.DialogClientSession
	media *media.Session

	mu      sync.Mutex // guards the SDP state LiveKit's re-INVITEs change
	sdp     []byte     // our last offer, re-sent as the answer to an offerless re-INVITE
	caller  media.Answer
	local   netip.AddrPort
	sessID  uint64
	sessVer uint64
}

// dial calls sip:<LiveKit room>@LiveKit's SIP service for the caller (the Callee dispatch rule the core provisions
// puts the call in the room named by the Request-URI user), offering the caller's codec and event payload
// types so that the relay forwards packets untouched, and answering LiveKit's digest challenge. The From
// user hides the caller's number: a random prefix and its last four digits, which LiveKit shows as the
// participant's name ("Phone 1234") and hashes into a per-call identity. Cancelling ctx while LiveKit has
// not answered sends CANCEL (RFC 3261 §9.1).
func (c *call) dial(room Room, a Admission) (*leg, error) {
	s, ctx := c.srv, c.ctx
	if s.lk.Addr == "" {
		return nil, errNoLiveKit
	}
	conn, rtcp, err := s.ports.AllocatePair()
	if err != nil {
		return nil, err
	}
	l := &leg{caller: c.first, local: s.localRTP(conn), sessID: newSessionID(), sessVer: 1}
	l.sdp = media.BridgeOffer(l.local, c.first, media.WithSession(l.sessID, l.sessVer))
	l.media = media.NewSession(conn, netip.AddrPort{}, media.WithPayloadType(c.first.Codec, c.first.PT),
		media.WithRTCP(rtcp, netip.AddrPort{}))
	req := c.legInvite(room, a, l.sdp)
	ctx, cancel := context.WithTimeout(ctx, s.lk.SetupTimeout)
	defer cancel()
	if l.dlg, err = s.dialogs[s.lk.Transport].WriteInvite(ctx, req); err != nil {
		l.media.Close()
		return nil, fmt.Errorf("sipgate: invite LiveKit: %w", err)
	}
	if err := l.dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: s.lk.Username, Password: s.lk.Password}); err != nil {
		l.close()
		return nil, fmt.Errorf("sipgate: LiveKit leg: %w", err)
	}
	ans, err := media.ParseBridgeAnswer(l.dlg.InviteResponse.Body(), c.first)
	if err == nil {
		err = l.dlg.Ack(ctx)
	}
	if err != nil {
		l.hangup()
		return nil, fmt.Errorf("sipgate: LiveKit leg: %w", err)
	}
	l.media.SetRemote(ans.Remote)
	l.media.SetRTCPRemote(ans.RTCP)
	l.media.SetHold(ans.Hold)
	return l, nil
}

// legInvite builds the INVITE to LiveKit. The headers become participant attributes through the trunk's
// HeadersToAttributes (core/livekit/sip.go).
func (c *call) legInvite(room Room, a Admission, sdp []byte) *sip.Request {
	s := c.srv
	to := s.liveKitURI(a.LiveKitRoom)
	req := sip.NewRequest(sip.INVITE, to)
	req.SetTransport(s.lk.Transport)
	req.SetBody(sdp)
	contact := s.dialogs[s.lk.Transport].ContactHDR
	from := sip.Uri{Scheme: "sip", User: hiddenCaller(c.shownCaller()), Host: contact.Address.Host, Port: contact.Address.Port}
	req.AppendHeader(&sip.FromHeader{Address: from, Params: sip.NewParams()})
	req.From().Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&sip.ToHeader{Address: to, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("User-Agent", s.userAgent))
	for _, h := range meetHeaders(room.ID, a.Role, c.callID) { // header.go: checked values only
		req.AppendHeader(sip.NewHeader(h[0], h[1]))
	}
	return req
}

// liveKitURI is sip:<room>@<LiveKit SIP>, where both sipgate's own leg and a REFER send the caller: the
// Callee dispatch rule reads the room from its user part.
func (s *Server) liveKitURI(room string) sip.Uri {
	host, port := splitHostPort(s.lk.Addr)
	u := sip.Uri{Scheme: "sip", User: room, Host: host, Port: port, UriParams: sip.NewParams(), Headers: sip.NewParams()}
	if s.lk.Transport != "udp" {
		u.UriParams.Add("transport", s.lk.Transport)
	}
	return u
}

// hiddenCaller is the From user of the leg to LiveKit: 8 random hex digits, then the last four digits of
// the caller's number (none for an anonymous caller). LiveKit names the participant "Phone " and the last
// four characters, and derives its identity from the whole user, so that two calls from one number are two
// participants, and the number itself never reaches LiveKit.
func hiddenCaller(caller string) string {
	var b [4]byte
	rand.Read(b[:])
	digits := make([]byte, 0, 4)
	for i := len(caller) - 1; i >= 0 && len(digits) < 4; i-- {
		if '0' <= caller[i] && caller[i] <= '9' {
			digits = append(digits, caller[i])
		}
	}
	for i, j := 0, len(digits)-1; i < j; i, j = i+1, j-1 {
		digits[i], digits[j] = digits[j], digits[i]
	}
	return hex.EncodeToString(b[:]) + string(digits)
}

// renegotiate answers a re-INVITE from LiveKit: a new offer moves or holds the stream (the codec stays),
// none gets our last offer again with the next version (RFC 3264 §8, §5 for offerless re-INVITEs).
func (l *leg) renegotiate(offer []byte) ([]byte, media.Answer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sessVer++
	if len(offer) == 0 {
		l.sdp = media.BridgeOffer(l.local, l.caller, media.WithSession(l.sessID, l.sessVer))
		return l.sdp, media.Answer{}, nil
	}
	ans, err := media.Negotiate(offer, l.local, media.WithCodecs(l.caller.Codec), media.WithSession(l.sessID, l.sessVer))
	if err != nil {
		return nil, media.Answer{}, err
	}
	return ans.SDP, ans, nil
}

// hangup ends the leg: BYE when LiveKit answered and the dialog still lives, then the RTP port.
func (l *leg) hangup() {
	if l.dlg.LoadState() == sip.DialogStateConfirmed {
		ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
		l.dlg.Bye(ctx)
		cancel()
	}
	l.close()
}

func (l *leg) close() {
	l.dlg.Close()
	l.media.Close()
}

func splitHostPort(addr string) (string, int) {
	host, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	return host, port
}
