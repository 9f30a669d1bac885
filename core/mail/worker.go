package mail

import (
	"context"
	"time"

	"github.com/meetline/meetline/core"
)

// Transport delivers messages; *Sender is the real one.
type Transport interface {
	// Send returns one error per message, nil for those delivered.
	Send(ctx context.Context, msgs ...*core.Message) []error
}

// Worker drains the outbox: it claims due messages, sends them and records
// how it went, retrying failures with exponential backoff until MaxAttempts.
// Any number of workers, in one process or in several core replicas, can
// share an outbox: a claim leases its rows (see core.Outbox).
//
// Delivery is at least once: a worker that dies after the server accepted a
// message and before recording it sends it again when its lease ends, with
// the same Message-ID, which lets receiving systems drop the copy.
type Worker struct {
	outbox  core.Outbox
	send    Transport
	cfg     workerConfig
	wake    chan struct{}
	metrics *metrics
}

// NewWorker returns a worker that sends outbox's messages through t.
func NewWorker(outbox core.Outbox, t Transport, opts ...WorkerOption) *Worker {
	cfg := defaultWorkerConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return &Worker{outbox: outbox, send: t, cfg: cfg, wake: make(chan struct{}, 1), metrics: newMetrics(cfg.registerer)}
}

// Notify wakes the worker now instead of at its next poll; call it after
// committing a transaction that enqueued mail. It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends due messages until ctx ends, then returns. A full batch is
// followed at once by the next; otherwise it waits for the poll interval or
// Notify. Database errors are logged and retried at the next poll.
func (w *Worker) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-w.wake:
		}
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.cfg.log.Error("mail: outbox", "error", core.RedactAddresses(err.Error()))
		}
		next := w.cfg.poll
		if n == w.cfg.batch && err == nil {
			next = 0
		}
		timer.Reset(next)
	}
}

// RunOnce claims one batch of due messages, sends it and records the
// outcome of each message. It returns how many messages it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	msgs, err := w.outbox.ClaimDue(ctx, w.cfg.batch, w.cfg.lease)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	errs := w.send.Send(ctx, msgs...)
	// Record outcomes even when ctx ends during the batch: a message sent
	// and not marked would be sent again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var first error
	for i, m := range msgs {
		if err := w.record(rctx, ctx, m, errs[i]); err != nil && first == nil {
			first = err
		}
	}
	return len(msgs), first
}

// record marks m sent or failed after an attempt that ended in sendErr.
func (w *Worker) record(ctx, runCtx context.Context, m *core.Message, sendErr error) error {
	if sendErr == nil {
		w.metrics.sent.Inc()
		return w.outbox.MarkSent(ctx, m.ID)
	}
	if runCtx.Err() != nil {
		// Shutting down: hand the message back at once, not after the lease.
		return w.outbox.MarkFailed(ctx, m.ID, sendErr, time.Now(), false)
	}
	final := Permanent(sendErr) || m.Attempts >= w.cfg.maxAttempts
	w.metrics.failed(final).Inc()
	w.cfg.log.Warn("mail: send failed", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts, "final", final,
		"error", core.RedactAddresses(sendErr.Error()))
	return w.outbox.MarkFailed(ctx, m.ID, sendErr, time.Now().Add(w.cfg.backoff(m.Attempts)), final)
}
