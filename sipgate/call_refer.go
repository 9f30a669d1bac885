package sipgate

import (
	"context"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// transfer asks the caller's side to call LiveKit itself (REFER, RFC 3515 §2.4) and follows the progress it
// reports in NOTIFYs (§2.4.4). It reports true once the transfer succeeded: the caller is in the room, and
// sipgate's part is done (RFC 5589 §6.1: the transferor then ends its dialog). It reports false when the
// carrier refuses the REFER, reports a failure, or says nothing final within ReferTimeout: sipgate then
// bridges the call itself.
func (c *call) transfer(room Room, a Admission) bool {
	s := c.srv
	if s.lk.Addr == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(c.ctx, s.lk.ReferTimeout)
	defer cancel()
	notify := make(chan int, 8)
	answered := make(chan *sip.Response, 1)
	target := c.referTarget(room, a)
	c.exec(func() {
		c.notify = notify
		req := c.dlg.request(sip.REFER)
		req.AppendHeader(sip.NewHeader("Refer-To", "<"+target+">"))
		req.AppendHeader(sip.NewHeader("Referred-By", "<"+c.dlg.contact.Address.String()+">"))
		c.send(req, func(res *sip.Response, err error) { answered <- res })
	})
	defer c.exec(func() { c.notify = nil })
	select {
	case res := <-answered:
		if res == nil || !res.IsSuccess() {
			c.referFailed("refer refused", res)
			return false
		}
	case <-ctx.Done():
		c.referFailed("refer unanswered", nil)
		return false
	}
	for {
		select {
		case code := <-notify:
			if code < 200 {
				continue
			}
			if code < 300 {
				s.metrics.handoffs.WithLabelValues(handoffTransferred).Inc()
				c.log.Info("transferred by refer")
				return true
			}
			c.log.Info("refer failed, bridging", "status", code)
		case <-ctx.Done():
			c.log.Info("refer unanswered, bridging")
		}
		s.metrics.handoffs.WithLabelValues(handoffReferRefused).Inc()
		return false
	}
}

func (c *call) referFailed(msg string, res *sip.Response) {
	c.srv.metrics.handoffs.WithLabelValues(handoffReferRefused).Inc()
	status := 0
	if res != nil {
		status = res.StatusCode
	}
	c.log.Info(msg+", bridging", "status", status)
}

// referTarget is the URI the carrier calls: the same one sipgate's own leg would dial, with the headers of
// that leg embedded (RFC 3261 §19.1.1), which the carrier copies into its INVITE (RFC 3515 §2.1).
func (c *call) referTarget(room Room, a Admission) string {
	u := c.srv.liveKitURI(a.LiveKitRoom)
	var b strings.Builder
	b.WriteString(u.String())
	for i, h := range meetHeaders(room.ID, a.Role, c.callID) {
		b.WriteByte("?&"[min(i, 1)])
		b.WriteString(h[0])
		b.WriteByte('=')
		b.WriteString(escapeHeaderValue(h[1]))
	}
	return b.String()
}

// escapeHeaderValue escapes a URI header value (RFC 3261 §25.1 hvalue: unreserved and hnv-unreserved
// characters stay, everything else is %-encoded).
func escapeHeaderValue(v string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("-_.!~*'()[]/:+$", ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[ch>>4])
		b.WriteByte(hex[ch&15])
	}
	return b.String()
}

// parseSipfrag returns the status code of a message/sipfrag body (RFC 3420) that starts with a SIP status
// line ("SIP/2.0 200 OK"), as REFER's NOTIFYs carry.
func parseSipfrag(body []byte) (int, bool) {
	line, _, _ := strings.Cut(string(body), "\n")
	proto, rest, ok := strings.Cut(strings.TrimSpace(line), " ")
	if !ok || !strings.EqualFold(proto, "SIP/2.0") || len(rest) < 3 {
		return 0, false
	}
	code := 0
	for _, d := range rest[:3] {
		if d < '0' || d > '9' {
			return 0, false
		}
		code = code*10 + int(d-'0')
	}
	if code < 100 || (len(rest) > 3 && rest[3] != ' ') {
		return 0, false
	}
	return code, true
}
