package sipgate

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/dtmf"
	"github.com/meetline/meetline/sipgate/media"
)

// call is one caller's call: its dialog, its media and its script. Two goroutines carry it:
//
//   - the loop owns the dialog (dialog_*.go): every in-dialog request of the caller and of the LiveKit leg,
//     every ACK, every response to sipgate's own requests and every timer reaches it through the inbox and
//     is handled one at a time, requests in CSeq order, so that no two of them ever interleave;
//   - the script (call_*.go) is the conversation, top to bottom: set up, answer, PIN, admission, hand-off,
//     relay. It blocks on media and on the core; it asks the loop for dialog work (answer, BYE, REFER) by
//     posting to the inbox, and learns that the dialog ended from its context.
//
// The media session and the DTMF receiver are safe for both.
type call struct {
	srv *Server
	log *slog.Logger
	tx  sip.ServerTransaction // the INVITE's

	inbox chan func()
	quit  chan struct{} // closed when the call is released: the loop stops and posts fail

	ctx       context.Context // the script's: ends, with an outcomeError cause, when the call must end
	cancel    context.CancelCauseFunc
	confirmed chan struct{} // closed on the ACK of the 200 (or when §13.3.1.4 gives up on it)
	gone      chan struct{} // closed when the dialog has ended: no BYE left to send or to wait for

	// Set by the script before the 200 is sent, read-only after.
	media   *media.Session
	recv    *dtmf.Receiver
	first   media.Answer // the first negotiation: the call's codec and payload types, for good
	evPT    atomic.Uint32
	callID  string
	called  string
	caller  string
	trusted bool // the caller id was asserted by a trusted proxy (number.go)
	lang    string
	refer   bool
	timer0  sessionParams // the session timer the INVITE asked for

	// The loop's alone (dialog_*.go).
	dlg       *dialog
	sdp       offerAnswer
	ack       *pendingAck  // sipgate's 2xx awaiting its ACK
	uac       *uacRequest  // sipgate's own re-INVITE or UPDATE under way
	queue     reorderQueue // the caller's requests that came ahead of their turn
	timer     sessionTimer
	watch     mediaWatch
	byeLater  Outcome     // end was asked for before the ACK: BYE once it comes (§15)
	notify    chan<- int  // status codes of a transfer's NOTIFYs, while one is under way
	cancelled atomic.Bool // a CANCEL reached the INVITE (set by sipgo's goroutine)

	rec       CallRecord             // the script's, for the call record (callrecord.go)
	callerBye atomic.Pointer[string] // the Reason of the caller's BYE, set by the loop
}

// newCall builds the call of an INVITE; nothing runs until run.
func (s *Server) newCall(req *sip.Request, tx sip.ServerTransaction, timer sessionParams) (*call, error) {
	d, err := newDialog(req, s.dialogFor(req).ContactHDR)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(s.base)
	c := &call{
		srv:       s,
		tx:        tx,
		dlg:       d,
		inbox:     make(chan func(), 64),
		quit:      make(chan struct{}),
		ctx:       ctx,
		cancel:    cancel,
		confirmed: make(chan struct{}),
		gone:      make(chan struct{}),
		callID:    callID(req),
		timer0:    timer,
		rec:       CallRecord{ID: newRecordID(), Start: time.Now(), Transport: strings.ToLower(req.Transport())},
		log:       s.log.With("call_id", callID(req), "transport", req.Transport()),
	}
	c.caller, c.trusted = callerID(req, s.cc.TrustedProxies)
	c.timer.c = c
	return c, nil
}

// run is the call from the INVITE to its release: the loop beside the script, then BYE (unless the caller
// hung up) and the wait for its answer, then the outcome counted and everything released.
func (c *call) run() {
	s := c.srv
	defer s.inflight.end()
	defer s.calls.release()
	s.metrics.active.Inc()
	defer s.metrics.active.Dec()
	go c.loop()

	outcome := c.script()
	if cause := (outcomeError{}); errors.As(context.Cause(c.ctx), &cause) && cause.outcome != OutcomeHangup {
		outcome = cause.outcome // what ended the call (session expiry, no RTP, no ACK…) names it
	}
	c.post(func() { c.finish(outcome) })
	select {
	case <-c.gone:
	case <-time.After(64 * s.cc.T1): // a BYE nobody answers: its transaction is over by now (§17.1.2.2)
	}
	c.recordEnded(outcome)
	s.metrics.calls.WithLabelValues(outcome.String()).Inc()
	if c.media != nil {
		s.edge.rtpForeign.Add(float64(c.media.Foreign()))
	}
	c.log.Info("call ended", "outcome", outcome.String(), "dtmf", c.dtmfMethod())
	c.release()
}

// script is the conversation, in the order a caller lives it; it returns the call's outcome.
func (c *call) script() Outcome {
	if o, ok := c.setup(); !ok {
		return o
	}
	c.enterPhase("ringing") // accepted: the operators see it before the caller's ACK
	if err := c.answer(); err != nil {
		return c.endedOutcome()
	}
	c.recordStarted()
	stopIVR := c.readDigits()
	defer stopIVR()
	room, o := c.runIVR()
	if o != 0 {
		return o
	}
	c.rec.RoomID = room.ID
	a, o := c.admit(room)
	if o != 0 {
		return o
	}
	c.say(c.ctx, media.Connecting)
	if c.ctx.Err() != nil {
		return c.endedOutcome()
	}
	if c.refer && c.transfer(room, a) {
		return OutcomeTransferred
	}
	return c.handOff(room, a, stopIVR)
}

// finish is the end of the script, on the loop: the call ends with o, and an INVITE the script never
// answered is over — a CANCEL got its 487 from sipgo, anything else (sipgate stopping during the setup)
// gets 503 here.
func (c *call) finish(o Outcome) {
	c.end(o)
	if c.dlg.state == dialogEarly {
		if !c.cancelled.Load() {
			c.srv.respond(c.dlg.invite, c.tx, sip.StatusServiceUnavailable, "Service Unavailable", c.srv.retryAfterHeader())
		}
		c.over()
	}
}

// release gives back what the call took, once the dialog is over.
func (c *call) release() {
	c.srv.calls.remove(c)
	c.exec(func() {
		c.timer.stop()
		c.watch.stop()
		c.queue.stop() // the requests still waiting get 481 from their handlers, once quit is closed
	})
	close(c.quit)
	c.cancel(context.Canceled)
	if c.media != nil {
		c.media.Close()
	}
	if c.recv != nil {
		c.recv.Close()
	}
}

// loop handles the inbox until the call is released.
func (c *call) loop() {
	for {
		select {
		case f := <-c.inbox:
			f()
		case <-c.quit:
			return
		}
	}
}

// post hands f to the loop; false once the call is released.
func (c *call) post(f func()) bool {
	select {
	case c.inbox <- f:
		return true
	case <-c.quit:
		return false
	}
}

// exec runs f on the loop and waits for it; false once the call is released.
func (c *call) exec(f func()) bool {
	done := make(chan struct{})
	if !c.post(func() { f(); close(done) }) {
		return false
	}
	select {
	case <-done:
		return true
	case <-c.quit:
		return false
	}
}

// after runs f on the loop in d, unless the call is released by then.
func (c *call) after(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() { c.post(f) })
}

// endedOutcome names why the script's context ended (outcomeOf).
func (c *call) endedOutcome() Outcome { return outcomeOf(c.ctx) }

func (c *call) dtmfMethod() string {
	if c.recv == nil {
		return dtmf.Method(0).String()
	}
	return c.recv.Method().String()
}
