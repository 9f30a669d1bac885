package sipgate

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// flakyCore answers Unavailable to its first `failures` calls, then NotFound for unknown numbers and a
// trunk otherwise; ResolvePin always answers after the failures.
type flakyCore struct {
	failures int32
	calls    atomic.Int32
}

func (f *flakyCore) fail(ctx context.Context) error {
	if f.calls.Add(1) <= f.failures {
		return connect.NewError(connect.CodeUnavailable, errors.New("restarting"))
	}
	return nil
}

func (f *flakyCore) LookupNumber(ctx context.Context, req *meetlinev1.LookupNumberRequest) (*meetlinev1.LookupNumberResponse, error) {
	if err := f.fail(ctx); err != nil {
		return nil, err
	}
	if req.CalledNumber != testNumber {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("no trunk"))
	}
	return &meetlinev1.LookupNumberResponse{E164: testNumber, TrunkId: "t1", Language: "fr-fr"}, nil
}

func (f *flakyCore) ResolvePin(ctx context.Context, req *meetlinev1.ResolvePinRequest) (*meetlinev1.ResolvePinResponse, error) {
	if err := f.fail(ctx); err != nil {
		return nil, err
	}
	switch req.Pin {
	case testPIN:
		return &meetlinev1.ResolvePinResponse{RoomId: "r1", LivekitRoom: "r1"}, nil
	case "0000":
		return nil, connect.NewError(connect.CodeResourceExhausted, errors.New("locked"))
	}
	return nil, connect.NewError(connect.CodeNotFound, errors.New("wrong"))
}

func newFlakyClient(t *testing.T, failures int32) (*CoreClient, *flakyCore) {
	t.Helper()
	f := &flakyCore{failures: failures}
	_, h := meetlinev1connect.NewTelephonyServiceHandler(f)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	c := NewCoreClient(CoreConfig{URL: hs.URL, Token: "tok", ResolveTimeout: time.Second})
	c.backoff = time.Millisecond
	return c, f
}

func TestCoreClientRetriesUnavailable(t *testing.T) {
	ctx := context.Background()
	c, f := newFlakyClient(t, 2)
	if _, err := c.ResolvePin(ctx, testNumber, testPIN, ""); err != nil {
		t.Fatalf("ResolvePin after two Unavailable: %v", err)
	}
	if got := f.calls.Load(); got != 3 {
		t.Errorf("calls = %d, want 3 (two retries)", got)
	}

	c, f = newFlakyClient(t, 3)
	if _, err := c.ResolvePin(ctx, testNumber, testPIN, ""); !errors.Is(err, ErrCoreUnavailable) {
		t.Fatalf("ResolvePin after three Unavailable = %v, want ErrCoreUnavailable", err)
	}
	if got := f.calls.Load(); got != 3 {
		t.Errorf("calls = %d, want 3 (no fourth attempt)", got)
	}
}

func TestCoreClientErrors(t *testing.T) {
	ctx := context.Background()
	c, _ := newFlakyClient(t, 0)
	if _, err := c.ResolvePin(ctx, testNumber, "1111", ""); !errors.Is(err, ErrWrongPIN) {
		t.Errorf("wrong PIN: %v", err)
	}
	if _, err := c.ResolvePin(ctx, testNumber, "0000", ""); !errors.Is(err, ErrLimited) {
		t.Errorf("locked out: %v", err)
	}
	down := NewCoreClient(CoreConfig{URL: "http://127.0.0.1:1", Token: "tok", ResolveTimeout: time.Second})
	down.backoff = time.Millisecond
	if _, err := down.LookupNumber(ctx, testNumber); !errors.Is(err, ErrCoreUnavailable) {
		t.Errorf("core down: %v, want ErrCoreUnavailable", err)
	}
}

func TestCoreClientCachesLookups(t *testing.T) {
	ctx := context.Background()
	c, f := newFlakyClient(t, 0)
	for range 3 {
		if tr, err := c.LookupNumber(ctx, testNumber); err != nil || tr.Language != "fr-fr" {
			t.Fatalf("LookupNumber = %+v, %v", tr, err)
		}
		if _, err := c.LookupNumber(ctx, "+33999999999"); !errors.Is(err, ErrUnknownNumber) {
			t.Fatalf("unknown number: %v", err)
		}
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("calls = %d, want 2 (one per number, NotFound cached too)", got)
	}
}

func TestLookupCacheBounded(t *testing.T) {
	now := time.Now()
	c := newLookupCache(time.Minute, 2)
	c.put("a", Trunk{}, nil, now)
	c.put("b", Trunk{}, nil, now)
	c.put("c", Trunk{}, nil, now)
	if len(c.entries) > 2 {
		t.Errorf("cache holds %d entries, want at most 2", len(c.entries))
	}
	if _, _, ok := c.get("c", now.Add(2*time.Minute)); ok {
		t.Error("expired entry returned")
	}
}
