package sipgate

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/dtmf"
	"github.com/meetline/meetline/sipgate/media"
)

// byeTimeout bounds the BYE sipgate sends at the end of a call (a transaction times out after 64·T1
// anyway; RFC 3261 §17.1.2.2).
const byeTimeout = 5 * time.Second

// handleInvite answers a call and runs it to its end: the handler goroutine is the call's, so that the
// drain (which waits for handlers in flight) waits for live calls. A re-INVITE goes to handleReInvite.
func (s *Server) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	if hasToTag(req) {
		s.handleReInvite(req, tx)
		return
	}
	start := time.Now()
	if s.draining.Load() {
		// §21.5.4: a proxy (Kamailio) fails over to another replica on 503.
		s.reject(req, tx, outcome503, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader())
		return
	}
	timer, ok := negotiateTimer(req, 0, s.cc.MinSE)
	if !ok { // RFC 4028 §9, before the core is asked: the caller retries with Min-SE
		s.reject(req, tx, outcome422, statusIntervalTooSmall, "Session Interval Too Small", s.minSEHeader())
		return
	}
	s.trying(req, tx)
	if s.core == nil || !s.calls.reserve() {
		s.reject(req, tx, outcome503, sip.StatusServiceUnavailable, "Service Unavailable", s.retryAfterHeader())
		return
	}
	defer s.calls.release()
	s.metrics.active.Inc()
	defer s.metrics.active.Dec()

	ctx, cancel := txContext(s.base, tx)
	c, ok := s.setup(ctx, req, tx)
	cancel()
	if !ok {
		return
	}
	c.timer.set(timer)
	s.calls.add(c)
	defer s.endCall(c)
	if err := s.answer(c, start); err != nil {
		c.log.Info("call not answered", "error", err)
		s.metrics.calls.WithLabelValues(outcomeHangup).Inc()
		return
	}
	s.run(c)
}

// trying sends 100 Trying at once (§8.2.6.1, §17.2.1) rather than after sipgo's 200 ms, so that the caller
// stops retransmitting while the core is asked.
func (s *Server) trying(req *sip.Request, tx sip.ServerTransaction) {
	if err := tx.Respond(sip.NewResponseFromRequest(req, sip.StatusTrying, "Trying", nil)); err != nil {
		s.log.Debug("sip 100 failed", "call_id", callID(req), "error", err)
	}
}

// reject sends a final response to an INVITE and counts the call's outcome.
func (s *Server) reject(req *sip.Request, tx sip.ServerTransaction, outcome string, code int, reason string, hdrs ...sip.Header) {
	s.metrics.calls.WithLabelValues(outcome).Inc()
	s.respond(req, tx, code, reason, hdrs...)
}

// txContext is cancelled by a CANCEL (§9.2), when the INVITE transaction ends, or when parent is done.
// sipgo answers the CANCEL (487) at once, but the transaction ends only later, after Timer I (5 s over
// UDP) once the 487 is ACKed, or Timer H (32 s) when it is not: without OnCancel a cancelled call would keep
// its slot and go on asking the core meanwhile.
func txContext(parent context.Context, tx sip.ServerTransaction) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	if !tx.OnCancel(func(*sip.Request) { cancel() }) { // already cancelled or ended
		cancel()
	}
	go func() {
		select {
		case <-tx.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// answer sends 180 Ringing and the 200 OK with the SDP answer and the session timer (§13.3.1.4, RFC 4028
// §9), and waits for the ACK. A BYE that overtakes the ACK (sipgo issue #306) or a CANCEL ends the dialog,
// and answer returns an error.
func (s *Server) answer(c *call, start time.Time) error {
	server := sip.NewHeader("Server", s.userAgent)
	if err := c.dlg.Respond(sip.StatusRinging, "Ringing", nil, server); err != nil {
		return err
	}
	c.mu.Lock()
	res := sip.NewSDPResponseFromRequest(c.dlg.InviteRequest, c.sdp)
	c.mu.Unlock()
	for _, h := range s.okHeaders(c.timer.params()) {
		res.AppendHeader(h)
	}
	s.metrics.setup.Observe(time.Since(start).Seconds())
	s.metrics.observeResponse(sip.INVITE, sip.StatusOK)
	if err := c.dlg.WriteResponse(res); err != nil {
		return err
	}
	if c.dlg.Context().Err() != nil {
		return errors.New("dialog ended before the ACK")
	}
	return nil
}

// run is the answered call: the IVR's RTP reader, the no-RTP watchdog and the session timer beside the
// conversation (IVR, wait, hand-off), then BYE unless the caller hung up, and the outcome counted.
func (s *Server) run(c *call) {
	ctx, cancel := context.WithCancelCause(c.dlg.Context())
	defer cancel(nil)
	stop := context.AfterFunc(s.base, func() { cancel(context.Canceled) })
	defer stop()
	var wg, reader sync.WaitGroup
	rctx, stopReading := context.WithCancel(ctx)
	reader.Go(func() { c.readRTP(rctx) })
	c.stopIVR = func() { stopReading(); reader.Wait() }
	wg.Go(func() { watchRTP(ctx, cancel, c.media, s.cc.NoRTPTimeout) })
	c.timer.start(func() { s.onSessionTimer(ctx, c, cancel) })

	outcome := s.converse(ctx, c)
	cancel(nil)
	c.timer.stop() // no refresh crosses the BYE
	if errors.Is(context.Cause(ctx), errSessionExpired) {
		outcome = outcomeSessionExpired // the bridge reports connected, whatever ended it
	}
	if c.dlg.Context().Err() == nil { // the caller did not hang up
		bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), byeTimeout)
		if err := c.dlg.Bye(bctx); err != nil {
			c.log.Info("bye failed", "error", err)
		}
		bcancel()
	}
	c.media.Close() // ends a pending read
	c.stopIVR()
	wg.Wait()
	s.metrics.calls.WithLabelValues(outcome).Inc()
	s.edge.rtpForeign.Add(float64(c.media.Foreign()))
	c.log.Info("call ended", "outcome", outcome, "dtmf", c.recv.Method().String())
}

// endCall releases what setup took, whatever happened.
func (s *Server) endCall(c *call) {
	s.calls.remove(c)
	c.media.Close()
	c.recv.Close()
	c.dlg.Close()
}

// newCall builds the call of a negotiated INVITE; the session owns conn.
func (s *Server) newCall(req *sip.Request, conn *net.UDPConn, ans media.Answer, trunk Trunk, called string) *call {
	caller, trusted := callerID(req, s.cc.TrustedProxies)
	if trunk.E164 != "" {
		called = trunk.E164
	}
	return &call{
		media:   media.NewSession(conn, ans.Remote, media.WithPayloadType(ans.Codec, ans.PT)),
		recv:    dtmf.NewReceiver(dtmf.ReceiverConfig{}),
		codec:   ans.Codec,
		evPT:    ans.EventPT,
		answer:  ans,
		refer:   trunk.Refer,
		callID:  callID(req),
		called:  called,
		caller:  caller,
		trusted: trusted,
		lang:    trunk.Language,
		log: s.log.With("call_id", callID(req), "called", called, "caller", maskNumber(caller),
			"transport", req.Transport()),
		offer:   req.Body(),
		sdp:     ans.SDP,
		sessVer: 1,
	}
}

// localRTP is the address the SDP answer advertises for conn.
func (s *Server) localRTP(conn *net.UDPConn) netip.AddrPort {
	return netip.AddrPortFrom(s.cc.RTPIP, uint16(conn.LocalAddr().(*net.UDPAddr).Port))
}

func newSessionID() uint64 { return rand.Uint64() >> 2 }
