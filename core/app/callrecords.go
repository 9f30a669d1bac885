package app

import (
	"context"
	"time"
)

// callRecordsInterval is how often lost calls are closed and expired months
// dropped: an hour's delay on either matters to nobody.
const callRecordsInterval = time.Hour

// maintainCallRecords closes lost calls and drops expired partitions at
// start, then every callRecordsInterval, until ctx ends.
func (a *App) maintainCallRecords(ctx context.Context) {
	for {
		a.MaintainCallRecords(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-time.After(callRecordsInterval):
		}
	}
}

// MaintainCallRecords does one round at now: calls open for longer than
// LostAfter become lost, months older than Retention are dropped.
func (a *App) MaintainCallRecords(ctx context.Context, now time.Time) {
	s, set := a.Server.CallRecords, a.Config.CallRecords
	if n, err := s.CloseLost(ctx, now.Add(-set.LostAfter)); err != nil && ctx.Err() == nil {
		a.Log.Warn("closing lost calls failed", "err", err)
	} else if n > 0 {
		a.Log.Info("calls closed as lost", "count", n)
	}
	if n, err := s.DropBefore(ctx, now.Add(-set.Retention)); err != nil && ctx.Err() == nil {
		a.Log.Warn("dropping expired call records failed", "err", err)
	} else if n > 0 {
		a.Log.Info("expired call records dropped", "months", n)
	}
}
