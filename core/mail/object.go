package mail

import (
	"context"
	"errors"
	"strings"

	"github.com/meetline/meetline/core"
)

// ObjectTransport deletes the recording files queued for deletion (kind
// core.KindObjectDeletion, the key in Text) from the bucket. An S3 error is
// an ordinary failure: the worker tries again with backoff.
type ObjectTransport struct {
	Bucket core.RecordingBucket
}

func (t ObjectTransport) Send(ctx context.Context, msgs ...*core.Message) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		if !strings.HasPrefix(m.Text, core.RecordingFolder+"/") || strings.Contains(m.Text, "..") {
			errs[i] = permanent(errors.New("object deletion: not a recording's key"))
			continue
		}
		errs[i] = t.Bucket.Remove(ctx, m.Text)
	}
	return errs
}
