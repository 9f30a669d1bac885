package mail

import (
	"context"
	"errors"
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/mock"
)

// TestObjectTransport: only recordings' keys are deleted; anything else is a
// permanent failure, kept for inspection rather than retried.
func TestObjectTransport(t *testing.T) {
	var removed []string
	tr := ObjectTransport{Bucket: &mock.RecordingBucket{RemoveFn: func(_ context.Context, key string) error {
		removed = append(removed, key)
		return nil
	}}}
	errs := tr.Send(context.Background(), core.ObjectDeletion("recordings/a.mp4"),
		core.ObjectDeletion("avatars/x.png"), core.ObjectDeletion("recordings/../secret"))
	var p *permanentError
	if errs[0] != nil || !errors.As(errs[1], &p) || !errors.As(errs[2], &p) {
		t.Fatalf("errors = %v", errs)
	}
	if len(removed) != 1 || removed[0] != "recordings/a.mp4" {
		t.Fatalf("removed %v", removed)
	}
}
