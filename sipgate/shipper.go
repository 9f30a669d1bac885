package sipgate

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// RecordSink takes call records (package corerpc sends them to the core). It returns nil only once every
// record is stored, and an error matching [ErrRecordRefused] for records that are invalid.
type RecordSink interface {
	RecordCalls(ctx context.Context, records []CallRecord) error
}

// Shipping policy: batches of up to shipBatch records; after a failure, a wait that doubles from
// shipRetryMin to shipRetryMax; a look at the spool at least every shipPoll.
const (
	shipBatch    = 200
	shipRetryMin = 500 * time.Millisecond
	shipRetryMax = 30 * time.Second
	shipPoll     = 5 * time.Second
)

// Ship sends the spooled records to sink until ctx ends, oldest first, and marks in the spool what sink
// stored. Records are sent at least once: the core ignores a record it already has.
//
// A batch the core refuses as invalid is sent again a record at a time, and a record the core refuses
// alone is dropped with an error log: one bad record must not hold back every other.
func (r *Records) Ship(ctx context.Context, sink RecordSink, log *slog.Logger) {
	wait, size := time.Duration(0), shipBatch
	for {
		if wait > 0 || len(r.spool.Pending(1)) == 0 {
			d := wait
			if d == 0 {
				d = shipPoll
			}
			select {
			case <-ctx.Done():
				return
			case <-r.wake:
			case <-time.After(d):
			}
		}
		batch := r.spool.Pending(size)
		if len(batch) == 0 {
			continue
		}
		err := r.send(ctx, sink, batch)
		switch refused := errors.Is(err, ErrRecordRefused); {
		case err == nil:
			wait, size = 0, shipBatch
		case ctx.Err() != nil:
			return
		case refused && len(batch) > 1:
			size = 1
		case refused:
			log.Error("call record refused by the core: dropped", "id", batch[0].ID, "error", err)
			if err := r.spool.Ack(batch); err != nil {
				log.Error("call records spool", "error", err)
			} else {
				r.metrics.dropped.Inc()
			}
			size = shipBatch
		default:
			wait = min(max(2*wait, shipRetryMin), shipRetryMax)
			log.Warn("call records not shipped", "records", len(batch), "retry_in", wait, "error", err)
		}
	}
}

// Flush sends what the spool holds until it is empty, sink fails or ctx ends: a replica that stops
// ships the records of its last calls before it goes (a replica that will not come back leaves nothing
// behind).
func (r *Records) Flush(ctx context.Context, sink RecordSink) error {
	for {
		batch := r.spool.Pending(shipBatch)
		if len(batch) == 0 {
			return nil
		}
		if err := r.send(ctx, sink, batch); err != nil {
			return err
		}
	}
}

// send has sink store batch, then settles it in the spool, and counts both.
func (r *Records) send(ctx context.Context, sink RecordSink, batch []CallRecord) error {
	start := time.Now()
	err := sink.RecordCalls(ctx, batch)
	r.metrics.ship.Observe(time.Since(start).Seconds())
	if err != nil {
		return err
	}
	if err := r.spool.Ack(batch); err != nil {
		return err
	}
	r.metrics.shipped.Add(float64(len(batch)))
	return nil
}
