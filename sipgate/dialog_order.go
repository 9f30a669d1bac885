package sipgate

import (
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The caller's in-dialog requests are taken in CSeq order (RFC 3261 §12.2.2). sipgo hands each request to a
// goroutine of its own, and the network reorders and loses datagrams, so a request can reach the loop ahead
// of one with a lower CSeq: an SBC flushing buffered INFO digits, an UPDATE overtaking a lost INFO. Such a
// request waits in the call's reorder queue until the gap fills or T1 passes — the lost request's first
// retransmission is due T1 after it was sent (§17.1.2.2) — and a request below the last one taken is out of
// order for good: 500 (§12.2.2).

// maxQueued bounds the requests a call holds for their turn; one more flushes the queue.
const maxQueued = 32

// inbound is an in-dialog request of the caller waiting for its turn.
type inbound struct {
	req *sip.Request
	tx  sip.ServerTransaction
}

func (in inbound) seq() uint32 { return in.req.CSeq().SeqNo }

// reorderQueue holds requests that came ahead of their turn, lowest CSeq first.
type reorderQueue struct {
	waiting []inbound
	timer   *time.Timer // T1 after the oldest request waiting came
	gen     uint64      // which arming of timer counts: a stale one that fires changes nothing
}

func (q *reorderQueue) stop() {
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
	q.gen++
}

// receive takes one in-dialog request of the caller into the dialog, in its turn. On the loop.
func (c *call) receive(in inbound) {
	d := c.dlg
	switch seq := in.seq(); {
	case d.state == dialogEnded:
		c.srv.respond(in.req, in.tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	case seq <= d.remoteCSeq:
		c.srv.respond(in.req, in.tx, sip.StatusInternalServerError, "Out of Order", c.srv.retryAfterHeader())
	case seq == d.remoteCSeq+1:
		c.take(in)
		c.takeQueued(false)
	default:
		c.enqueue(in)
	}
}

// enqueue holds in until its turn, or T1.
func (c *call) enqueue(in inbound) {
	q := &c.queue
	i, found := slices.BinarySearchFunc(q.waiting, in.seq(), func(w inbound, seq uint32) int { return int(int64(w.seq()) - int64(seq)) })
	if found { // the same CSeq twice in a new transaction: the later one is out of order
		c.srv.respond(in.req, in.tx, sip.StatusInternalServerError, "Out of Order", c.srv.retryAfterHeader())
		return
	}
	q.waiting = slices.Insert(q.waiting, i, in)
	if len(q.waiting) > maxQueued {
		c.takeQueued(true)
		return
	}
	if q.timer == nil {
		gen := q.gen
		q.timer = c.after(c.srv.cc.T1, func() {
			if q.gen == gen {
				c.takeQueued(true)
			}
		})
	}
}

// takeQueued takes the queued requests whose turn has come; with skipGaps, all of them in order, the gaps
// given up on.
func (c *call) takeQueued(skipGaps bool) {
	q := &c.queue
	for len(q.waiting) > 0 && (skipGaps || q.waiting[0].seq() == c.dlg.remoteCSeq+1) {
		in := q.waiting[0]
		q.waiting = q.waiting[1:]
		c.take(in)
	}
	if len(q.waiting) == 0 {
		q.stop()
	}
}

// take handles a request in its turn.
func (c *call) take(in inbound) {
	c.dlg.remoteCSeq = in.seq()
	if c.dlg.state == dialogEnded {
		c.srv.respond(in.req, in.tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	switch in.req.Method {
	case sip.BYE:
		c.onBye(in)
	case sip.INVITE, sip.UPDATE:
		c.onModify(in)
	case sip.INFO:
		c.onInfo(in)
	case sip.NOTIFY:
		c.onNotify(in)
	case sip.OPTIONS:
		c.srv.answerOptions(in.req, in.tx)
	default:
		c.srv.handleNotAllowed(in.req, in.tx)
	}
}
