package sipgate

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// transfer asks the caller's side to call LiveKit itself (REFER, RFC 3515 §2.4) and follows the progress it
// reports in NOTIFYs (§2.4.4). It reports true once the transfer succeeded: the caller is in the room, and
// sipgate's part is done (RFC 5589 §6.1: the transferor then ends its dialog). It reports false when the
// core opens no transfer (REFER is off), the carrier refuses the REFER, reports a failure, or says nothing
// final within ReferTimeout: sipgate then bridges the call itself.
//
// The Refer-To names no room: the core opens a single-use callee in LiveKit for this caller alone
// (docs/security.md, REFER mode), closed again here however the transfer ends.
func (c *call) transfer(room Room, a Admission) bool {
	s := c.srv
	if s.lk.Addr == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(c.ctx, s.lk.ReferTimeout)
	defer cancel()
	t, err := s.core.OpenTransfer(ctx, callIDSpec.value(c.callID), room.ID, a.Role)
	if err != nil {
		s.metrics.handoffs.WithLabelValues(handoffReferRefused).Inc()
		c.log.Warn("no transfer opened, bridging", "error", err)
		return false
	}
	defer c.closeTransfer(t)
	notify := make(chan int, 8)
	answered := make(chan *sip.Response, 1)
	u := s.liveKitURI(t.Target)
	target := u.String()
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

// closeTransferTimeout bounds closing a transfer; the core sweeps what is left open anyway.
const closeTransferTimeout = 2 * time.Second

// closeTransfer closes t, even when the call has ended: the carrier's call landed or never will.
func (c *call) closeTransfer(t Transfer) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), closeTransferTimeout)
	defer cancel()
	if err := c.srv.core.CloseTransfer(ctx, t.Target); err != nil {
		c.log.Warn("transfer not closed; the core removes it when it expires", "expires", t.Expires, "error", err)
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
