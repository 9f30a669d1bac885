package standin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/rpc"
)

// rpcTimeout bounds each question to livekit-server.
const rpcTimeout = 5 * time.Second

// sipCall describes the INVITE to livekit-server as LiveKit's SIP service
// does (livekit/sip processInvite): LiveKit's own call id, the packet's
// source IP (trunks match on it, never on the spoofable Via or From host),
// the Request-URI, From, To and Via. src is the request's transport source.
func sipCall(req *sip.Request, src netip.AddrPort) *rpc.SIPCall {
	c := &rpc.SIPCall{
		LkCallId: newCallID(),
		SourceIp: src.Addr().Unmap().String(),
		Address:  sipURI(req.Recipient),
		From:     &livekit.SIPUri{},
		To:       &livekit.SIPUri{},
	}
	if h := req.From(); h != nil {
		c.From = sipURI(h.Address)
	}
	if h := req.To(); h != nil {
		c.To = sipURI(h.Address)
	}
	if h := req.CallID(); h != nil {
		c.SipCallId = h.Value()
	}
	for _, h := range req.GetHeaders("Via") {
		if v, ok := h.(*sip.ViaHeader); ok {
			c.Via = append(c.Via, &livekit.SIPUri{Host: v.Host, Port: uint32(v.Port)})
		}
	}
	return c
}

func sipURI(u sip.Uri) *livekit.SIPUri {
	return &livekit.SIPUri{User: u.User, Host: u.Host, Port: uint32(u.Port)}
}

// newCallID returns a call id in LiveKit's form (SCL_ + random).
func newCallID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "SCL_" + hex.EncodeToString(b)
}

// trunkAuth asks livekit-server which trunk the call matches and which
// credentials it demands. protocol v1.54 marks IOInfo's SIP methods
// deprecated in favour of the IOInfoSIP service, which livekit-server v1.13
// does not serve yet: IOInfo is what the server answers.
func (s *Server) trunkAuth(ctx context.Context, call *rpc.SIPCall) (*rpc.GetSIPTrunkAuthenticationResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	res, err := s.io.GetSIPTrunkAuthentication(ctx, &rpc.GetSIPTrunkAuthenticationRequest{Call: call})
	if err != nil {
		return nil, fmt.Errorf("standin: trunk authentication: %w", err)
	}
	return res, nil
}

// dispatch asks livekit-server where the call goes: the same
// EvaluateSIPDispatchRules request LiveKit's SIP service sends, with the
// trunk found at authentication.
func (s *Server) dispatch(ctx context.Context, trunkID string, call *rpc.SIPCall) (*rpc.EvaluateSIPDispatchRulesResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	res, err := s.io.EvaluateSIPDispatchRules(ctx, &rpc.EvaluateSIPDispatchRulesRequest{SipTrunkId: trunkID, Call: call})
	if err != nil {
		return nil, fmt.Errorf("standin: dispatch: %w", err)
	}
	return res, nil
}

// refusal returns the SIP status for a dispatch result other than ACCEPT.
func refusal(r rpc.SIPDispatchResult) (int, string) {
	switch r {
	case rpc.SIPDispatchResult_REQUEST_PIN:
		return sip.StatusForbidden, "PIN rules are not supported by the stand-in"
	case rpc.SIPDispatchResult_REJECT, rpc.SIPDispatchResult_DROP:
		return sip.StatusNotFound, "Does not match Trunks or Dispatch Rules"
	default:
		return sip.StatusNotImplemented, "Unexpected dispatch result " + r.String()
	}
}

// attributes returns the participant's attributes: those LiveKit returned,
// plus the INVITE headers the trunk maps (HeadersToAttributes, and all or
// the X- headers as sip.h.<name> when IncludeHeaders says so), which the SIP
// service applies, not livekit-server (livekit/sip HeadersToAttrs).
func attributes(res *rpc.EvaluateSIPDispatchRulesResponse, req *sip.Request) map[string]string {
	attrs := make(map[string]string, len(res.ParticipantAttributes)+len(res.HeadersToAttributes))
	for k, v := range res.ParticipantAttributes {
		attrs[k] = v
	}
	if opt := res.IncludeHeaders; opt != livekit.SIPHeaderOptions_SIP_NO_HEADERS {
		for _, h := range req.Headers() {
			name := strings.ToLower(h.Name())
			if opt == livekit.SIPHeaderOptions_SIP_ALL_HEADERS || strings.HasPrefix(name, "x-") {
				attrs[livekit.AttrSIPHeaderPrefix+name] = h.Value()
			}
		}
	}
	for hdr, attr := range res.HeadersToAttributes {
		if h := req.GetHeader(hdr); h != nil {
			attrs[attr] = h.Value()
		}
	}
	attrs[livekit.AttrSIPCallStatus] = "active"
	return attrs
}
