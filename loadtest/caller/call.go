package caller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Timeouts of one call's steps. Generous: under overload a late answer is a measurement, not a failure;
// only the step profile's percentiles tell how late.
const (
	setupTimeout   = 10 * time.Second // INVITE → final response
	promptTimeout  = 5 * time.Second  // ACK → the first prompt; '#' → the answer's prompt
	bridgeTimeout  = 30 * time.Second // "connecting" → own audio back (LiveKit's SIP stand-in joins a WebRTC room first)
	requestTimeout = 5 * time.Second  // INFO, BYE
)

// call is one call in progress.
type call struct {
	a      *Agent
	m      *Media
	p      Plan
	res    Result
	stream *Stream
	sess   *sipgo.DialogClientSession
	hungUp bool // the caller sent BYE
	// ended is set when the run, not the plan, ended the call (released or cut): thousands of callers
	// then hang up within a second of each other rather than all at once.
	ended bool
}

// Call places one call as p says and returns what it measured. ctx ends it early: the caller hangs up and,
// before the outcome, the call counts as Cut. release ends a HoldUntilReleased hold. seed numbers its RTP.
func (a *Agent) Call(ctx, release context.Context, m *Media, p Plan, seed uint64) Result {
	c := &call{a: a, m: m, p: p, res: Result{Kind: p.Kind, Method: p.Method, Expected: p.Expected()}}
	c.stream = m.open(seed)
	defer c.stream.stop()
	c.res.Outcome = c.run(ctx, release, seed)
	c.hangUp()
	c.res.End = time.Now()
	c.res.RTP = c.stream.counts()
	c.res.Heard = c.stream.heardAll()
	if c.sess != nil {
		if id := c.sess.InviteRequest.CallID(); id != nil {
			c.res.ByeReason = c.a.byeReason(id.Value())
		}
	}
	return c.res
}

// run is the call from the INVITE to its outcome and hold, and returns the outcome.
func (c *call) run(ctx, release context.Context, seed uint64) Outcome {
	if o := c.dial(ctx, seed); o != "" {
		return o
	}
	if o := c.await(ctx, PromptEnterPIN, promptTimeout, time.Time{}); o != "" {
		return o
	}
	hash, o := c.typePIN(ctx)
	if o != "" {
		return o
	}
	if c.p.Kind == Abandon {
		return c.abandon(ctx)
	}
	c.res.Hash = hash
	want := PromptConnecting
	switch c.p.Kind {
	case Invalid:
		want = PromptInvalidPIN
	case Wait:
		want = PromptWaitingForHost
	case Lobby:
		want = PromptWaitingForAdmission
	}
	if o := c.await(ctx, want, promptTimeout, hash); o != "" {
		if o == WrongPrompt {
			c.listenOut(ctx)
		}
		return o
	}
	if c.p.Bridge {
		if o := c.bridged(ctx, hash); o != "" {
			return o
		}
	}
	return c.hold(ctx, release)
}

// dial sends the INVITE, waits for the answer, starts the RTP stream and ACKs. It returns "" once the call
// is up, else the outcome.
func (c *call) dial(ctx context.Context, seed uint64) Outcome {
	body := offer(c.m.ip, c.stream.localPort(), seed>>2)
	c.res.Start = time.Now()
	sess, err := c.a.invite(ctx, c.p.Number, c.p.Caller, body)
	if err != nil {
		return NoAnswer
	}
	c.sess = sess
	wctx, cancel := context.WithTimeout(ctx, setupTimeout)
	err = sess.WaitAnswer(wctx, sipgo.AnswerOptions{})
	cancel()
	if err != nil {
		var rerr *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &rerr):
			c.res.Status = rerr.Res.StatusCode
			if c.res.Status == sip.StatusServiceUnavailable {
				return Busy
			}
			return Refused
		case ctx.Err() != nil:
			return Cut
		}
		return NoAnswer
	}
	c.res.Setup, c.res.Status = time.Since(c.res.Start), sess.InviteResponse.StatusCode
	ans, err := parseAnswer(sess.InviteResponse.Body())
	if err != nil {
		_ = sess.Ack(ctx)
		return Failed
	}
	c.stream.start(ans.addr, ans.eventPT)
	if err := sess.Ack(ctx); err != nil {
		return Failed
	}
	return ""
}

// await waits for prompt, heard after since, for at most limit. The first other prompt heard after since
// is a WrongPrompt.
func (c *call) await(ctx context.Context, prompt string, limit time.Duration, since time.Time) Outcome {
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		select {
		case h := <-c.stream.heard:
			if h.At.Before(since) {
				continue // a prompt that began before the key: not the answer
			}
			if h.Prompt != prompt {
				c.res.Prompt = h.Prompt
				return WrongPrompt
			}
			if !since.IsZero() {
				c.res.PINToOutcome = h.At.Sub(since)
			}
			return ""
		case <-t.C:
			if since.IsZero() {
				return NoPrompt
			}
			return NoOutcome
		case <-c.sess.Context().Done():
			return Dropped
		case <-ctx.Done():
			return Cut
		}
	}
}

// typePIN waits as long as the caller listens, then types the keys with their gaps. It returns when the
// last key ('#' for a complete entry) was sent.
func (c *call) typePIN(ctx context.Context) (time.Time, Outcome) {
	if o := c.pause(ctx, c.p.Listen); o != "" {
		return time.Time{}, o
	}
	var last time.Time
	for i := range len(c.p.Keys) {
		if i > 0 {
			if o := c.pause(ctx, c.p.Gaps[i-1]); o != "" {
				return time.Time{}, o
			}
		}
		at, err := c.key(ctx, c.p.Keys[i])
		switch {
		case c.sess.Context().Err() != nil:
			return time.Time{}, Dropped
		case ctx.Err() != nil:
			return time.Time{}, Cut
		case err != nil && c.p.Method == INFO:
			c.res.Detail = fmt.Sprintf("key %d of %d: %v", i+1, len(c.p.Keys), err)
			return time.Time{}, KeyRefused
		case err != nil:
			return time.Time{}, Failed
		}
		last = at
	}
	return last, ""
}

// key sends one key by the plan's method and returns when sipgate could take it.
func (c *call) key(ctx context.Context, k byte) (time.Time, error) {
	if c.p.Method == RFC4733 {
		return c.stream.press(ctx, k, c.p.Press)
	}
	contact := c.sess.InviteResponse.Contact()
	if contact == nil {
		return time.Now(), errors.New("caller: INFO: the 200 OK had no Contact")
	}
	req := sip.NewRequest(sip.INFO, contact.Address)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody(fmt.Appendf(nil, "Signal=%c\r\nDuration=%d\r\n", k, c.p.Press.Milliseconds()))
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	at := time.Now()
	res, err := c.sess.Do(rctx, req)
	if err != nil {
		return at, fmt.Errorf("caller: INFO: %w", err)
	}
	if res.StatusCode != sip.StatusOK {
		return at, fmt.Errorf("caller: INFO answered %d", res.StatusCode)
	}
	return at, nil
}

// pause waits d unless the call ends first.
func (c *call) pause(ctx context.Context, d time.Duration) Outcome {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return ""
	case <-c.sess.Context().Done():
		return Dropped
	case <-ctx.Done():
		return Cut
	}
}

// abandon hangs up mid-entry, after the plan's last pause.
func (c *call) abandon(ctx context.Context) Outcome {
	if o := c.pause(ctx, c.p.Gaps[len(c.p.Gaps)-1]); o != "" {
		return o
	}
	if c.bye() != nil {
		return ByeUnanswered
	}
	return Abandoned
}

// bridged waits for the caller's own audio to come back: sipgate relays it to LiveKit's SIP stand-in,
// which echoes it.
func (c *call) bridged(ctx context.Context, hash time.Time) Outcome {
	t := time.NewTimer(bridgeTimeout)
	defer t.Stop()
	select {
	case <-c.stream.echoed:
		c.stream.rmu.Lock()
		c.res.PINToBridge = c.stream.echoedAt.Sub(hash)
		c.stream.rmu.Unlock()
		return ""
	case <-t.C:
		return NoBridge
	case <-c.sess.Context().Done():
		return Dropped
	case <-ctx.Done():
		return Cut
	}
}

// hold keeps the call up after its outcome: for the plan's hold, or until released. The run stopping it
// meanwhile is the end of the hold, not a cut: the outcome is known.
func (c *call) hold(ctx, release context.Context) Outcome {
	expected := c.p.Expected()
	var timeout <-chan time.Time
	switch {
	case c.p.Hold == 0:
		return expected
	case c.p.Hold > 0:
		t := time.NewTimer(c.p.Hold)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
	case <-release.Done():
		c.ended = true
	case <-ctx.Done():
		c.ended = true
	case <-c.sess.Context().Done():
		return Dropped
	}
	return expected
}

// listenOut waits, as a person would, for sipgate to end a call that went another way than planned
// ("temporarily unavailable, please call again"), at most listenOutLimit: the result then has sipgate's
// own BYE and its Reason rather than the caller's.
func (c *call) listenOut(ctx context.Context) {
	t := time.NewTimer(listenOutLimit)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.sess.Context().Done():
	case <-ctx.Done():
	}
}

// listenOutLimit bounds listenOut: sipgate's prompts last a few seconds.
const listenOutLimit = 8 * time.Second

// bye hangs up.
func (c *call) bye() error {
	return c.byeWithin(requestTimeout)
}

// byeWithin hangs up, waiting at most limit for the answer.
func (c *call) byeWithin(limit time.Duration) error {
	c.hungUp = true
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	return c.sess.Bye(ctx)
}

// hangUp ends the dialog unless it has ended: BYE once answered, nothing before (a call that got no final
// answer has no dialog to end; sipgo cancels an INVITE whose wait was cancelled).
func (c *call) hangUp() {
	if c.sess == nil {
		return
	}
	defer c.sess.Close()
	if c.hungUp || c.sess.Context().Err() != nil || c.sess.InviteResponse == nil || !c.sess.InviteResponse.IsSuccess() {
		return
	}
	limit := requestTimeout
	if c.ended || c.res.Outcome == Cut {
		// The run is ending: spread the hang-ups over a second (by the call's random SSRC), and wait less
		// for an overloaded gateway's answer.
		time.Sleep(time.Duration(c.stream.ssrc%1000) * time.Millisecond)
		limit = 3 * time.Second
	}
	_ = c.byeWithin(limit)
}

// seedFor derives a call's RTP numbering and plan randomness from the run's seed and the call's index.
func seedFor(run, index uint64) (*rand.Rand, uint64) {
	rng := rand.New(rand.NewPCG(run, index))
	return rng, rng.Uint64()
}
