package sipgate

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
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
	meetlinev1connect.UnimplementedTelephonyServiceHandler
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

// JoinRoom streams "waiting for the host" then, for room r1, "admitted"; for room "down" it is always
// Unavailable, for another room NotFound. A failing call sends "waiting" first, then breaks the stream
// with Unavailable, as a restarting core does.
func (f *flakyCore) JoinRoom(ctx context.Context, req *meetlinev1.JoinRoomRequest, st *connect.ServerStream[meetlinev1.JoinRoomResponse]) error {
	switch req.RoomId {
	case "down":
		return connect.NewError(connect.CodeUnavailable, errors.New("down"))
	case "r1":
	default:
		return connect.NewError(connect.CodeNotFound, errors.New("no room"))
	}
	if err := st.Send(&meetlinev1.JoinRoomResponse{Status: meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST}); err != nil {
		return err
	}
	if err := f.fail(ctx); err != nil {
		return err
	}
	return st.Send(&meetlinev1.JoinRoomResponse{Status: meetlinev1.CallStatus_CALL_STATUS_ADMITTED, LivekitRoom: "lk-r1"})
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

func TestCoreClientJoinRoom(t *testing.T) {
	tests := []struct {
		name     string
		failures int32
		room     string
		want     []AdmissionStatus
		err      error
	}{
		{"admitted", 0, "r1", []AdmissionStatus{WaitingForHost, Admitted}, nil},
		{"reconnects after a broken stream", 2, "r1", []AdmissionStatus{WaitingForHost, WaitingForHost, WaitingForHost, Admitted}, nil},
		{"gives up after repeated failures", 0, "down", nil, ErrCoreUnavailable},
		{"unknown room", 0, "r2", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newFlakyClient(t, tt.failures)
			var got []AdmissionStatus
			var last Admission
			err := c.JoinRoom(context.Background(), JoinRequest{RoomID: tt.room, Caller: "+33612345678", CallID: "c1"}, func(a Admission) {
				got, last = append(got, a.Status), a
			})
			switch {
			case tt.room == "r2":
				if err == nil || errors.Is(err, ErrCoreUnavailable) {
					t.Fatalf("err = %v, want the core's NotFound", err)
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
			default:
				if err != nil || !slices.Equal(got, tt.want) || last.LiveKitRoom != "lk-r1" || last.Role != "guest" {
					t.Fatalf("statuses %v, last %+v, err %v; want %v", got, last, err, tt.want)
				}
			}
		})
	}
}
