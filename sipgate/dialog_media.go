package sipgate

import "time"

// mediaWatch ends a call whose caller has gone silent without a BYE (RFC 3550 §6.3.5 suggests timing out
// silent members; a phone that lost power sends nothing more), on the loop: no RTP for NoRTPTimeout ends it
// as no_rtp. A caller that holds the call (a=sendonly, a=inactive, c=0.0.0.0) or says it will not send is
// not expected to send — desk phones' hold key and mobile call waiting do this every day — so its silence
// is measured against HoldTimeout instead (Asterisk rtp_timeout_hold, FreeSWITCH media_hold_timeout).
type mediaWatch struct {
	t       *time.Timer
	held    bool
	since   time.Time // when the current hold began, or the last resume
	started bool
}

// start runs the watchdog from the dialog's confirmation on.
func (w *mediaWatch) start(c *call) {
	w.started, w.since = true, time.Now()
	w.arm(c)
}

// hold records that the caller holds the call (or stops holding it).
func (w *mediaWatch) hold(c *call, on bool) {
	if on != w.held {
		w.held, w.since = on, time.Now()
	}
	if w.started {
		w.arm(c)
	}
}

func (w *mediaWatch) arm(c *call) {
	w.stop()
	w.t = c.after(min(c.srv.cc.NoRTPTimeout/4, time.Second), func() { w.check(c) })
}

func (w *mediaWatch) stop() {
	if w.t != nil {
		w.t.Stop()
		w.t = nil
	}
}

// check ends the call when its caller has been silent, or held, too long; else it looks again later.
func (w *mediaWatch) check(c *call) {
	if w.t == nil || c.dlg.state != dialogConfirmed {
		return
	}
	cc, now := c.srv.cc, time.Now()
	switch {
	case w.held && now.Sub(w.since) > cc.HoldTimeout:
		c.log.Info("hold timeout", "held_s", int(now.Sub(w.since).Seconds()))
		c.end(OutcomeHoldTimeout)
	case !w.held && now.Sub(latest(c.media.LastReceived(), w.since)) > cc.NoRTPTimeout:
		c.end(OutcomeNoRTP)
	default:
		w.arm(c)
	}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
