package sipgate

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/media"
)

// Session timers (RFC 4028) on the caller's dialog: the session is refreshed by a re-INVITE or an UPDATE
// within the interval the caller's INVITE asked for, and a call whose refreshes stop is hung up, so that a
// caller that vanished without a BYE does not hold a call slot, an RTP port and a room seat for ever.

// statusIntervalTooSmall refuses a Session-Expires under sipgate's Min-SE (RFC 4028 §6).
const statusIntervalTooSmall = 422

// optionTimer is the option tag of session timers (RFC 4028 §3), in Supported and Require.
const optionTimer = "timer"

// sessionParams is the session timer that one request from the caller and sipgate's 2xx agree on (RFC 4028
// §9), seen from sipgate.
type sessionParams struct {
	interval  time.Duration // the session interval; 0 when there is no session timer
	refresh   bool          // sipgate is the refresher, not the caller
	supported bool          // the request listed timer in Supported
}

// negotiateTimer decides, as RFC 4028 §9 has the UAS do, the session timer of the 2xx to req, the caller's
// INVITE, re-INVITE or UPDATE; current is the interval in force (0 before the first). ok is false when req
// asks for less than minSE: it then gets 422 with Min-SE.
//
// The interval asked for is granted as it is: §9 forbids raising it, and shortening it would only add
// refreshes. A request without Session-Expires keeps the interval in force (§9 lets the UAS ask for one in
// its 2xx), so that a re-INVITE without the header does not switch the timer off. sipgate never volunteers
// to refresh: the caller does, unless it asked sipgate to (refresher=uas) or cannot, for want of timer in
// its Supported (a proxy asked for the timer) — the cases where §9's table makes the UAS the refresher.
func negotiateTimer(req *sip.Request, current, minSE time.Duration) (p sessionParams, ok bool) {
	interval, refresher, found := sessionExpires(req)
	if found && interval < minSE {
		return sessionParams{}, false
	}
	if !found {
		interval = current
	}
	supported := listed(req, optionTimer, "Supported", "k")
	return sessionParams{interval: interval, refresh: !supported || refresher == "uas", supported: supported}, true
}

// headers are the session-timer header fields of the 2xx that grants p (RFC 4028 §9): Session-Expires with
// the refresher as seen from the request (uac is the caller), and Require: timer when the caller supports
// timers, which §9 makes a MUST when the caller refreshes and a SHOULD when sipgate does.
func (p sessionParams) headers() []sip.Header {
	if p.interval == 0 {
		return nil
	}
	refresher := "uac"
	if p.refresh {
		refresher = "uas"
	}
	hdrs := []sip.Header{sip.NewHeader("Session-Expires", seconds(p.interval)+";refresher="+refresher)}
	if p.supported {
		hdrs = append(hdrs, sip.NewHeader("Require", optionTimer))
	}
	return hdrs
}

// answered is p after the caller's 2xx to sipgate's own refresh, where sipgate is the UAC (RFC 4028 §7.2):
// the caller may shorten the interval, though not under minSE (sent as Min-SE), or take the refreshing over
// with refresher=uas. A 2xx without Session-Expires changes nothing: such a caller does not do session
// timers, a proxy asked for them, and sipgate goes on refreshing for that proxy.
func (p sessionParams) answered(res *sip.Response, minSE time.Duration) sessionParams {
	if interval, refresher, ok := sessionExpires(res); ok {
		p.interval, p.refresh = max(interval, minSE), refresher != "uas"
	}
	return p
}

// sessionExpires reads the Session-Expires header field of a request or response (compact form x; RFC 4028
// §4): the interval and the refresher parameter, lower-cased ("" when absent). ok is false when there is
// no such field or its delta-seconds do not parse.
func sessionExpires(m interface{ GetHeader(string) sip.Header }) (interval time.Duration, refresher string, ok bool) {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x")
	}
	if h == nil {
		return 0, "", false
	}
	delta, params, _ := strings.Cut(h.Value(), ";")
	n, err := strconv.ParseUint(strings.TrimSpace(delta), 10, 32)
	if err != nil {
		return 0, "", false
	}
	for param := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(param, "=")
		if strings.EqualFold(strings.TrimSpace(name), "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(value))
		}
	}
	return time.Duration(n) * time.Second, refresher, true
}

// listed reports whether token is among the comma-separated values of req's header fields named by names
// (a header field and its compact form; RFC 3261 §7.3.1).
func listed(req *sip.Request, token string, names ...string) bool {
	for _, name := range names {
		for _, h := range req.GetHeaders(name) {
			for v := range strings.SplitSeq(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(v), token) {
					return true
				}
			}
		}
	}
	return false
}

// seconds writes d as delta-seconds.
func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

func (s *Server) minSEHeader() sip.Header { return sip.NewHeader("Min-SE", seconds(s.cc.MinSE)) }

// sessionTimer is a call's session timer: one time.Timer, armed for the call's conversation and re-armed by
// each refresh, so that a refresh costs a Reset and no goroutine. When it goes off, sipgate sends a refresh
// if it is the refresher; otherwise the session has expired.
type sessionTimer struct {
	mu      sync.Mutex
	p       sessionParams
	expires time.Time   // when the session expires unless refreshed
	fire    func()      // what the timer runs, from start on
	timer   *time.Timer // nil until first armed
	stopped bool
	firing  sync.WaitGroup // a fire under way, which stop waits for
}

// params returns the session timer in force.
func (t *sessionTimer) params() sessionParams {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.p
}

// set puts p in force as of now: a refresh starts the session interval again (RFC 4028 §10).
func (t *sessionTimer) set(p sessionParams) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p, t.expires = p, time.Now().Add(p.interval)
	t.arm(t.due())
}

// start arms the timer, which runs fire, on a goroutine of its own, each time it goes off.
func (t *sessionTimer) start(fire func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fire = fire
	t.arm(t.due())
}

// due is when the timer goes off next (RFC 4028 §10): halfway through the interval for the refresher; for
// the other side, before the session expires by the smaller of 32 seconds and a third of the interval.
func (t *sessionTimer) due() time.Time {
	if t.p.refresh {
		return t.expires.Add(-t.p.interval / 2)
	}
	return t.expires.Add(-min(32*time.Second, t.p.interval/3))
}

// retry re-arms the timer halfway to the expiry after sipgate's refresh was refused without ending the
// dialog (a 491 after crossing re-INVITEs, RFC 3261 §14.1, or a 5xx). It reports false when less than two
// seconds are left: the session then expires.
func (t *sessionTimer) retry() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	left := time.Until(t.expires)
	if left < 2*time.Second {
		return false
	}
	t.arm(time.Now().Add(left / 2))
	return true
}

// arm sets the timer to go off at when, with t.mu held; not before start, after stop, or without a session
// timer.
func (t *sessionTimer) arm(when time.Time) {
	switch {
	case t.fire == nil || t.stopped:
	case t.p.interval == 0:
		if t.timer != nil {
			t.timer.Stop()
		}
	case t.timer == nil:
		t.timer = time.AfterFunc(time.Until(when), t.run)
	default:
		t.timer.Reset(time.Until(when))
	}
}

// run is the timer going off.
func (t *sessionTimer) run() {
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return
	}
	t.firing.Add(1)
	fire := t.fire
	t.mu.Unlock()
	defer t.firing.Done()
	fire()
}

// stop disarms the timer for good and waits for a fire under way, so that no refresh leaves after the call's
// BYE.
func (t *sessionTimer) stop() {
	t.mu.Lock()
	t.stopped = true
	if t.timer != nil {
		t.timer.Stop()
	}
	t.mu.Unlock()
	t.firing.Wait()
}

// onSessionTimer is c's session timer going off (RFC 4028 §10). When the caller is the refresher, no
// refresh came in time: the session has expired, and end ends the call, whatever its phase. When sipgate is,
// it refreshes the session; a timeout, a 408 or a 481 ends the call as §10 says, and another refusal is
// tried again while the session lasts. ctx is the call's context.
func (s *Server) onSessionTimer(ctx context.Context, c *call, end context.CancelCauseFunc) {
	if !c.timer.params().refresh {
		end(errSessionExpired)
		return
	}
	code, err := s.refreshSession(ctx, c)
	switch {
	case ctx.Err() != nil: // the call ended meanwhile
	case err == nil && code/100 == 2:
	case err == nil && code != sip.StatusRequestTimeout && code != sip.StatusCallTransactionDoesNotExists &&
		c.timer.retry():
		c.log.Info("session refresh refused, trying again", "status", code)
	default:
		c.log.Info("session refresh failed", "status", code, "error", err)
		end(errSessionExpired)
	}
}

// refreshSession sends c's caller a session refresh and returns the final status; a 2xx puts the session
// timer it carries in force. The refresh is an UPDATE without an offer when the caller's INVITE allows
// UPDATE (RFC 3311 §5.1), as it leaves the media alone; otherwise a re-INVITE offering the last answer
// unchanged, with the same version (RFC 3264 §8), whose 2xx is acknowledged. Either names sipgate the
// refresher: sipgate is the UAC of that request.
func (s *Server) refreshSession(ctx context.Context, c *call) (int, error) {
	target := *c.dlg.InviteRequest.Contact().Address.Clone()
	method := sip.INVITE
	if listed(c.dlg.InviteRequest, string(sip.UPDATE), "Allow") {
		method = sip.UPDATE
	}
	req := sip.NewRequest(method, target)
	req.AppendHeader(sip.NewHeader("Session-Expires", seconds(c.timer.params().interval)+";refresher=uac"))
	req.AppendHeader(s.minSEHeader())
	req.AppendHeader(sip.NewHeader("Supported", optionTimer))
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	req.AppendHeader(sip.NewHeader("User-Agent", s.userAgent))
	if method == sip.INVITE {
		c.mu.Lock()
		req.SetBody(c.sdp)
		c.mu.Unlock()
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res, err := c.dlg.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	if !res.IsSuccess() {
		return res.StatusCode, nil
	}
	c.timer.set(c.timer.params().answered(res, s.cc.MinSE))
	if method == sip.INVITE {
		err = s.ackRefresh(c, res, target)
	}
	return res.StatusCode, err
}

// ackRefresh acknowledges the caller's 2xx to sipgate's refresh re-INVITE (RFC 3261 §13.2.2.4), after
// applying its answer: it may move or hold the stream. The offer mirrored the caller's codec and payload
// types, as a bridge offer does, so the answer reads as the answer to one; one that does not read leaves
// the stream as it was.
func (s *Server) ackRefresh(c *call, res *sip.Response, target sip.Uri) error {
	if ans, err := media.ParseBridgeAnswer(res.Body(), c.answer); err == nil {
		c.media.SetRemote(ans.Remote)
		c.media.SetHold(ans.Hold)
	}
	return c.dlg.WriteRequest(sip.NewRequest(sip.ACK, target))
}
