package api

import (
	"context"
	"fmt"
	"time"

	"github.com/meetline/meetline/core"
)

// expiryBatch is how many recordings one expiry pass takes at most: a pass
// holds their rows while it deletes their files.
const expiryBatch = 100

// ExpireRecordings deletes the files of the recordings older than
// RECORDING_EXPIRATION_DAYS, permanent ones excepted, and marks them
// expired; the rows stay, so organisers see what became of them. The core
// runs it periodically on every replica; the one holding the expiry lock
// does the work. It is idempotent: a file already gone counts as deleted,
// and one that could not be deleted is tried again on the next run. It
// needs Handler to have been called (for its metrics).
func (s *Server) ExpireRecordings(ctx context.Context) error {
	days := s.Recording.ExpirationDays
	if days <= 0 {
		return nil
	}
	cutoff := time.Now().AddDate(0, 0, -days)
	for {
		pass, err := s.Recordings.ExpireRecordings(ctx, cutoff, expiryBatch, s.removeExpired)
		if err != nil {
			s.metrics.expiries.WithLabelValues("error").Inc()
			return err
		}
		s.metrics.expiries.WithLabelValues("expired").Add(float64(pass.Expired))
		s.metrics.expiries.WithLabelValues("failed").Add(float64(pass.Failed))
		if pass.Expired > 0 || pass.Failed > 0 {
			s.Logger.Info("recordings expired", "expired", pass.Expired, "failed", pass.Failed)
		}
		// A full batch may have more behind it; one with failures only
		// would be the same batch again.
		if pass.Expired == 0 || pass.Expired+pass.Failed < expiryBatch {
			return nil
		}
	}
}

func (s *Server) removeExpired(ctx context.Context, rec *core.Recording) error {
	if err := s.Bucket.Remove(ctx, rec.Key()); err != nil {
		s.Logger.Warn("expired recording not deleted", "recording", rec.ID, "err", err)
		return fmt.Errorf("remove %s: %w", rec.Key(), err)
	}
	return nil
}
