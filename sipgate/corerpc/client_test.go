package corerpc

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meetline/meetline/core/app"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
	"github.com/meetline/meetline/sipgate"
)

// flakyCore answers Unavailable to its first `failures` calls, then NotFound for unknown numbers and a
// trunk otherwise; ResolvePin always answers after the failures.
type flakyCore struct {
	meetlinev1connect.UnimplementedTelephonyServiceHandler
	failures int32
	calls    atomic.Int32
	last     atomic.Pointer[meetlinev1.ResolvePinRequest]
	reports  atomic.Pointer[meetlinev1.ReportHandoffFailureRequest] // the last hand-off failure reported
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
	f.last.Store(req)
	switch req.Pin {
	case testPIN:
		return &meetlinev1.ResolvePinResponse{RoomId: "r1", LivekitRoom: "r1"}, nil
	case "0000":
		return nil, connect.NewError(connect.CodeResourceExhausted, errors.New("locked"))
	case "2222": // a number under attack: the tarpit
		err := connect.NewError(connect.CodeNotFound, errors.New("wrong"))
		d, _ := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(testTarpit)})
		err.AddDetail(d)
		return nil, err
	case "3333": // paced twice, then found
		if f.calls.Load() < 3 {
			return &meetlinev1.ResolvePinResponse{RetryAfter: durationpb.New(testTarpit)}, nil
		}
		return &meetlinev1.ResolvePinResponse{RoomId: "r3", LivekitRoom: "r3"}, nil
	}
	return nil, connect.NewError(connect.CodeNotFound, errors.New("wrong"))
}

// JoinRoom streams "waiting for the host" then, for rooms r1, "cut" and "hang", "admitted"; for room "down"
// it is always Unavailable, for "bug" Internal, for another room NotFound. A failing call sends "waiting" first, then breaks
// the stream: with Unavailable, as a core shutting down does, or, in room "cut", by dropping the
// connection mid-stream, as a core killed (SIGKILL, OOM) does. In room "hang" the first stream stops after
// "waiting" and stays open, as a core cut off by a partition would leave it.
func (f *flakyCore) JoinRoom(ctx context.Context, req *meetlinev1.JoinRoomRequest, st *connect.ServerStream[meetlinev1.JoinRoomResponse]) error {
	switch req.RoomId {
	case "down":
		return connect.NewError(connect.CodeUnavailable, errors.New("down"))
	case "bug":
		return connect.NewError(connect.CodeInternal, errors.New("a bug in the core"))
	case "r1", "cut", "hang":
	default:
		return connect.NewError(connect.CodeNotFound, errors.New("no room"))
	}
	if err := st.Send(&meetlinev1.JoinRoomResponse{Status: meetlinev1.CallStatus_CALL_STATUS_WAITING_FOR_HOST}); err != nil {
		return err
	}
	if req.RoomId == "hang" && f.calls.Add(1) == 1 {
		<-ctx.Done()
		return ctx.Err()
	}
	if err := f.fail(ctx); err != nil {
		if req.RoomId == "cut" {
			panic(http.ErrAbortHandler) // net/http drops the connection without ending the response
		}
		return err
	}
	return st.Send(&meetlinev1.JoinRoomResponse{Status: meetlinev1.CallStatus_CALL_STATUS_ADMITTED, LivekitRoom: "lk-r1"})
}

// ReportHandoffFailure keeps the report, or answers InvalidArgument for a reason the core would refuse.
func (f *flakyCore) ReportHandoffFailure(ctx context.Context, req *meetlinev1.ReportHandoffFailureRequest) (*meetlinev1.ReportHandoffFailureResponse, error) {
	if err := f.fail(ctx); err != nil {
		return nil, err
	}
	if len(req.Reason) > 256 {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("reason too long"))
	}
	f.reports.Store(req)
	return &meetlinev1.ReportHandoffFailureResponse{}, nil
}

// PhoneCommand answers a muted caller with two people in the meeting, for call "c1" in room "r1".
func (f *flakyCore) PhoneCommand(ctx context.Context, req *meetlinev1.PhoneCommandRequest) (*meetlinev1.PhoneCommandResponse, error) {
	if err := f.fail(ctx); err != nil {
		return nil, err
	}
	if req.CallId != "c1" || req.RoomId != "r1" || req.Command != meetlinev1.KeypadCommand_KEYPAD_COMMAND_TOGGLE_MUTE {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("no such call"))
	}
	return &meetlinev1.PhoneCommandResponse{Muted: true, Participants: 2}, nil
}

// serveLikeCore serves h as the core serves its handler: HTTP/1.1 and h2c, with the core's HTTP/2 settings.
func serveLikeCore(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	hs := httptest.NewUnstartedServer(h)
	hs.Config.Protocols, hs.Config.HTTP2 = app.Protocols(), app.HTTP2()
	hs.Start()
	t.Cleanup(hs.Close)
	return hs
}

// newFlakyClient is a client of a flakyCore served as the core serves (HTTP/1.1 and h2c), speaking HTTP/2.
func newFlakyClient(t *testing.T, failures int32) (*Client, *flakyCore) {
	t.Helper()
	return newFlakyClientHTTP(t, failures, sipgate.CoreHTTP2)
}

// newFlakyClientHTTP is newFlakyClient speaking version.
func newFlakyClientHTTP(t *testing.T, failures int32, version string) (*Client, *flakyCore) {
	t.Helper()
	f := &flakyCore{failures: failures}
	_, h := meetlinev1connect.NewTelephonyServiceHandler(f)
	c := New(sipgate.CoreConfig{URL: serveLikeCore(t, h).URL, Token: "tok", ResolveTimeout: time.Second, HTTP: version})
	c.backoff, c.outage = time.Millisecond, 200*time.Millisecond
	return c, f
}

func TestRetriesUnavailable(t *testing.T) {
	ctx := context.Background()
	c, f := newFlakyClient(t, 2)
	if _, err := c.ResolvePin(ctx, testNumber, testPIN, sipgate.PINCaller{}); err != nil {
		t.Fatalf("ResolvePin after two Unavailable: %v", err)
	}
	if got := f.calls.Load(); got != 3 {
		t.Errorf("calls = %d, want 3 (two retries)", got)
	}

	c, f = newFlakyClient(t, 3)
	if _, err := c.ResolvePin(ctx, testNumber, testPIN, sipgate.PINCaller{}); !errors.Is(err, sipgate.ErrCoreUnavailable) {
		t.Fatalf("ResolvePin after three Unavailable = %v, want sipgate.ErrCoreUnavailable", err)
	}
	if got := f.calls.Load(); got != 3 {
		t.Errorf("calls = %d, want 3 (no fourth attempt)", got)
	}
}

// The number and PIN flakyCore knows.
const (
	testNumber = "+33199000001"
	testPIN    = "1234"
	testTarpit = 30 * time.Millisecond
)

// The tarpit of a wrong PIN is waited out before sipgate.ErrWrongPIN; a paced attempt is submitted again when told;
// the caller's trust and call id reach the core.
func TestHonoursDelays(t *testing.T) {
	ctx := context.Background()
	c, f := newFlakyClient(t, 0)
	from := sipgate.PINCaller{ID: "+33611111111", Trusted: true, CallID: "abc@carrier"}
	start := time.Now()
	if _, err := c.ResolvePin(ctx, testNumber, "2222", from); !errors.Is(err, sipgate.ErrWrongPIN) || time.Since(start) < testTarpit {
		t.Errorf("tarpitted wrong PIN: %v after %v, want sipgate.ErrWrongPIN after %v", err, time.Since(start), testTarpit)
	}
	if r := f.last.Load(); r.CallerId != from.ID || !r.CallerTrusted || r.CallId != from.CallID {
		t.Errorf("request %v, want the caller %+v", r, from)
	}
	room, err := c.ResolvePin(ctx, testNumber, "3333", from)
	if err != nil || room.ID != "r3" || f.calls.Load() != 3 {
		t.Errorf("paced PIN: %v, %v after %d calls; want r3 after 3", room, err, f.calls.Load())
	}
	short, cancel := context.WithTimeout(ctx, testTarpit/3)
	defer cancel()
	if _, err := c.ResolvePin(short, testNumber, "2222", from); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("call ended during the tarpit: %v", err)
	}
}

// TestCoreClientPhoneCommand: the answer is mapped; a toggle is tried once, never retried, since the core
// may have applied it.
func TestPhoneCommand(t *testing.T) {
	ctx := context.Background()
	c, f := newFlakyClient(t, 0)
	if st, err := c.PhoneCommand(ctx, "c1", "r1", sipgate.KeypadToggleMute); err != nil || st != (sipgate.PhoneState{Muted: true, Participants: 2}) {
		t.Errorf("PhoneCommand = %+v, %v", st, err)
	}
	if _, err := c.PhoneCommand(ctx, "c2", "r1", sipgate.KeypadToggleMute); err == nil || errors.Is(err, sipgate.ErrCoreUnavailable) {
		t.Errorf("a call not in the room: %v", err)
	}
	if _, err := c.PhoneCommand(ctx, "c1", "r1", sipgate.KeypadNone); err == nil || f.calls.Load() != 2 {
		t.Errorf("no command: %v after %d calls, want an error without asking", err, f.calls.Load())
	}
	c, f = newFlakyClient(t, 1)
	if _, err := c.PhoneCommand(ctx, "c1", "r1", sipgate.KeypadToggleMute); !errors.Is(err, sipgate.ErrCoreUnavailable) || f.calls.Load() != 1 {
		t.Errorf("PhoneCommand when Unavailable = %v after %d calls, want sipgate.ErrCoreUnavailable after 1", err, f.calls.Load())
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	c, _ := newFlakyClient(t, 0)
	if _, err := c.ResolvePin(ctx, testNumber, "1111", sipgate.PINCaller{}); !errors.Is(err, sipgate.ErrWrongPIN) {
		t.Errorf("wrong PIN: %v", err)
	}
	if _, err := c.ResolvePin(ctx, testNumber, "0000", sipgate.PINCaller{}); !errors.Is(err, sipgate.ErrLimited) {
		t.Errorf("locked out: %v", err)
	}
	down := New(sipgate.CoreConfig{URL: "http://127.0.0.1:1", Token: "tok", ResolveTimeout: time.Second})
	down.backoff = time.Millisecond
	if _, err := down.LookupNumber(ctx, testNumber); !errors.Is(err, sipgate.ErrCoreUnavailable) {
		t.Errorf("core down: %v, want sipgate.ErrCoreUnavailable", err)
	}
}

func TestCachesLookups(t *testing.T) {
	ctx := context.Background()
	c, f := newFlakyClient(t, 0)
	for range 3 {
		if tr, err := c.LookupNumber(ctx, testNumber); err != nil || tr.Language != "fr-fr" {
			t.Fatalf("LookupNumber = %+v, %v", tr, err)
		}
		if _, err := c.LookupNumber(ctx, "+33999999999"); !errors.Is(err, sipgate.ErrUnknownNumber) {
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
	c.put("a", sipgate.Trunk{}, nil, now)
	c.put("b", sipgate.Trunk{}, nil, now)
	c.put("c", sipgate.Trunk{}, nil, now)
	if len(c.entries) > 2 {
		t.Errorf("cache holds %d entries, want at most 2", len(c.entries))
	}
	if _, _, ok := c.get("c", now.Add(2*time.Minute)); ok {
		t.Error("expired entry returned")
	}
}

// TestJoinRoom runs over HTTP/2 and HTTP/1.1: a core that breaks a stream cuts the connection over
// HTTP/1.1 and resets the stream over HTTP/2, and both are opened again.
func TestJoinRoom(t *testing.T) {
	tests := []struct {
		name     string
		failures int32
		room     string
		want     []sipgate.AdmissionStatus
		err      error
	}{
		{"admitted", 0, "r1", []sipgate.AdmissionStatus{sipgate.WaitingForHost, sipgate.Admitted}, nil},
		{"reconnects after a broken stream", 2, "r1", []sipgate.AdmissionStatus{sipgate.WaitingForHost, sipgate.WaitingForHost, sipgate.WaitingForHost, sipgate.Admitted}, nil},
		{"reconnects after a cut stream", 2, "cut", []sipgate.AdmissionStatus{sipgate.WaitingForHost, sipgate.WaitingForHost, sipgate.WaitingForHost, sipgate.Admitted}, nil},
		{"gives up after the outage bound", 0, "down", nil, sipgate.ErrCoreUnavailable},
		{"unknown room", 0, "r2", nil, nil},
		{"the core's own Internal error", 0, "bug", nil, nil},
	}
	for _, version := range []string{sipgate.CoreHTTP2, sipgate.CoreHTTP1} {
		for _, tt := range tests {
			t.Run(version+"/"+tt.name, func(t *testing.T) {
				c, _ := newFlakyClientHTTP(t, tt.failures, version)
				var got []sipgate.AdmissionStatus
				var last sipgate.Admission
				err := c.JoinRoom(context.Background(), sipgate.JoinRequest{RoomID: tt.room, Caller: "+33612345678", CallID: "c1"}, func(a sipgate.Admission) {
					got, last = append(got, a.Status), a
				})
				switch {
				case tt.room == "r2", tt.room == "bug":
					if err == nil || errors.Is(err, sipgate.ErrCoreUnavailable) {
						t.Fatalf("err = %v, want the core's answer", err)
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
}

func TestReportHandoffFailure(t *testing.T) {
	ctx := context.Background()
	c, f := newFlakyClient(t, 2)
	long := strings.Repeat("é", 200) // 400 bytes: cut to 256, on a rune boundary
	if err := c.ReportHandoffFailure(ctx, sipgate.HandoffFailure{LiveKitRoom: "r1", CallID: "c1", SIPStatus: 404, Reason: long}); err != nil {
		t.Fatalf("after two Unavailable: %v", err)
	}
	got := f.reports.Load()
	if got == nil || got.LivekitRoom != "r1" || got.CallId != "c1" || got.SipStatus != 404 || len(got.Reason) != 256 ||
		!strings.HasPrefix(long, got.Reason) {
		t.Errorf("core got %v", got)
	}
	c, _ = newFlakyClient(t, 3)
	if err := c.ReportHandoffFailure(ctx, sipgate.HandoffFailure{SIPStatus: 503}); !errors.Is(err, sipgate.ErrCoreUnavailable) {
		t.Errorf("core down: %v, want sipgate.ErrCoreUnavailable", err)
	}
}

// RecordCalls refuses a batch holding a record without an id, as the core refuses an invalid one.
func (f *flakyCore) RecordCalls(ctx context.Context, req *meetlinev1.RecordCallsRequest) (*meetlinev1.RecordCallsResponse, error) {
	if err := f.fail(ctx); err != nil {
		return nil, err
	}
	for _, r := range req.Records {
		if r.Id == "" {
			return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("record without an id"))
		}
	}
	return &meetlinev1.RecordCallsResponse{}, nil
}

// TestRecordCalls: an invalid record is ErrRecordRefused (the shipper drops it), an absent core is
// ErrCoreUnavailable (the shipper keeps it).
func TestRecordCalls(t *testing.T) {
	ctx := context.Background()
	c, f := newFlakyClient(t, 1)
	if err := c.RecordCalls(ctx, []sipgate.CallRecord{{ID: "r1"}}); err != nil || f.calls.Load() != 2 {
		t.Errorf("RecordCalls = %v after %d calls, want nil after a retry", err, f.calls.Load())
	}
	if err := c.RecordCalls(ctx, []sipgate.CallRecord{{ID: "r1"}, {}}); !errors.Is(err, sipgate.ErrRecordRefused) {
		t.Errorf("invalid record: %v, want ErrRecordRefused", err)
	}
	c, _ = newFlakyClient(t, 3)
	if err := c.RecordCalls(ctx, []sipgate.CallRecord{{ID: "r1"}}); !errors.Is(err, sipgate.ErrCoreUnavailable) || errors.Is(err, sipgate.ErrRecordRefused) {
		t.Errorf("core down: %v, want ErrCoreUnavailable", err)
	}
}

// TestSendsToken checks that unary calls and the JoinRoom stream both carry the service
// token, which the client sets on each call's headers.
// TestSendsToken: every call carries the service token, over the HTTP version asked for.
func TestSendsToken(t *testing.T) {
	for _, tt := range []struct {
		version string
		proto   string
	}{{sipgate.CoreHTTP2, "HTTP/2.0"}, {sipgate.CoreHTTP1, "HTTP/1.1"}} {
		t.Run(tt.version, func(t *testing.T) {
			var seen sync.Map // procedure → Authorization header
			_, h := meetlinev1connect.NewTelephonyServiceHandler(&flakyCore{})
			hs := serveLikeCore(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen.Store(r.URL.Path, r.Header.Get("Authorization"))
				if r.Proto != tt.proto {
					t.Errorf("%s over %s, want %s", r.URL.Path, r.Proto, tt.proto)
				}
				h.ServeHTTP(w, r)
			}))
			c := New(sipgate.CoreConfig{URL: hs.URL, Token: "tok", ResolveTimeout: time.Second, HTTP: tt.version})
			ctx := context.Background()
			if _, err := c.ResolvePin(ctx, testNumber, testPIN, sipgate.PINCaller{}); err != nil {
				t.Fatal(err)
			}
			if err := c.JoinRoom(ctx, sipgate.JoinRequest{RoomID: "r1", CallID: "c"}, func(sipgate.Admission) {}); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{meetlinev1connect.TelephonyServiceResolvePinProcedure, meetlinev1connect.TelephonyServiceJoinRoomProcedure} {
				if got, _ := seen.Load(p); got != "Bearer tok" {
					t.Errorf("%s: Authorization %q, want \"Bearer tok\"", p, got)
				}
			}
		})
	}
}
