package sipgate

import (
	"context"
	"sync"
)

// inflight counts work that a drain must wait for. Today that is each request handler while it runs; once the
// IVR lands, a call holds it from INVITE to BYE, so that "live calls continue" while sipgate drains.
//
// Unlike sync.WaitGroup it can be waited on with a deadline, and it may go back up after reaching zero.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n == 0
}

func newInflight() *inflight {
	idle := make(chan struct{})
	close(idle)
	return &inflight{idle: idle}
}

func (f *inflight) begin() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
}

func (f *inflight) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	switch {
	case f.n == 0:
		close(f.idle)
	case f.n < 0:
		panic("sipgate: inflight.end without begin")
	}
}

// count reports the work in flight, for logs.
func (f *inflight) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// wait returns nil once nothing is in flight, or ctx's error if that comes first.
func (f *inflight) wait(ctx context.Context) error {
	for {
		f.mu.Lock()
		idle, n := f.idle, f.n
		f.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-idle:
			// Loop: something may have begun between the close and now.
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
