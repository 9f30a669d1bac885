package sipgate

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
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
