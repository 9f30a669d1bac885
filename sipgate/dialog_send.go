package sipgate

import (
	"context"

	"github.com/emiago/sipgo/sip"
)

// send starts a client transaction for req, a request sipgate makes within the caller's dialog, and hands
// what it brings to on, on the loop: the final response, then, for an INVITE, every retransmission of its
// 2xx (each wants its ACK again, §13.2.2.4; the transaction passes them on until Timer M, RFC 6026 §7.2), or
// the error that ended the transaction without one. Called on the loop.
func (c *call) send(req *sip.Request, on func(*sip.Response, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), 64*c.srv.cc.T1)
	tx, err := c.srv.client.TransactionRequest(ctx, req, addVia)
	if err != nil {
		cancel()
		on(nil, err)
		return
	}
	c.srv.metrics.observe(req.Method, "sent")
	if req.IsInvite() {
		tx.OnRetransmission(func(res *sip.Response) { c.post(func() { on(res, nil) }) })
	}
	go func() {
		defer cancel()
		for {
			select {
			case res := <-tx.Responses():
				if res.IsProvisional() {
					continue
				}
				c.post(func() { on(res, nil) })
				if !req.IsInvite() || !res.IsSuccess() {
					tx.Terminate()
				}
				return
			case <-tx.Done():
				err := tx.Err()
				c.post(func() { on(nil, err) })
				return
			case <-c.quit:
				tx.Terminate()
				return
			}
		}
	}()
}
