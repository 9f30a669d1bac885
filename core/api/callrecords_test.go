package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

func TestRecordCalls(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	tel := s.clients(sipgateToken).telephony
	start := time.Now()
	good := func(id string) *meetlinev1.CallRecord {
		return &meetlinev1.CallRecord{Id: id, StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Minute)),
			CalledNumber: "+33123456789", CallerMasked: "+33 6•• ••• •42", CallerHash: strings.Repeat("0f", 32),
			Transport: "udp", DtmfMethod: "rfc4733", PinOutcome: "ok", Outcome: "connected", HangupBy: "caller",
			SipCode: 200, Reason: "Q.850;cause=16", Instance: "sipgate-a", Final: true}
	}
	inProgress := func(id string) *meetlinev1.CallRecord {
		r := good(id)
		r.EndTime, r.Final, r.Outcome, r.HangupBy, r.Reason, r.Phase = nil, false, "", "", "", "typing"
		return r
	}
	bad := func(f func(*meetlinev1.CallRecord)) []*meetlinev1.CallRecord {
		r := good("bad")
		f(r)
		return []*meetlinev1.CallRecord{good("fine"), r}
	}
	tests := []struct {
		name    string
		records []*meetlinev1.CallRecord
		field   string // of the InvalidArgument; "" for success
	}{
		{"empty", nil, "records"},
		{"too many", make([]*meetlinev1.CallRecord, 501), "records"},
		{"no id", bad(func(r *meetlinev1.CallRecord) { r.Id = "" }), "records[1].id"},
		{"no start", bad(func(r *meetlinev1.CallRecord) { r.StartTime = nil }), "records[1].start_time"},
		{"final without end", bad(func(r *meetlinev1.CallRecord) { r.EndTime = nil }), "records[1].end_time"},
		{"end before start", bad(func(r *meetlinev1.CallRecord) { r.EndTime = timestamppb.New(start.Add(-time.Second)) }), "records[1].end_time"},
		{"clear caller", bad(func(r *meetlinev1.CallRecord) { r.CallerMasked = "+33612345642" }), "records[1].caller_masked"},
		{"bad hash", bad(func(r *meetlinev1.CallRecord) { r.CallerHash = "+33612345642" }), "records[1].caller_hash"},
		{"bad outcome", bad(func(r *meetlinev1.CallRecord) { r.Outcome = "DROP TABLE" }), "records[1].outcome"},
		{"negative bridge", bad(func(r *meetlinev1.CallRecord) { r.BridgedMs = -1 }), "records[1].bridged_ms"},
		{"two records", []*meetlinev1.CallRecord{good("one"), good("two")}, ""},
		{"the same again", []*meetlinev1.CallRecord{good("one"), good("two")}, ""},
		{"a call in progress", []*meetlinev1.CallRecord{inProgress("three")}, ""},
	}
	for _, tt := range tests {
		res, err := tel.RecordCalls(ctx, &meetlinev1.RecordCallsRequest{Records: tt.records})
		if tt.field == "" {
			if err != nil || len(res.Ids) != len(tt.records) {
				t.Errorf("%s: %v, %v", tt.name, res, err)
			}
			continue
		}
		if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: %v, want InvalidArgument on %s", tt.name, err, tt.field)
		}
	}
	var n int
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM call_records`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d records stored (%v), want 3: a failed batch stores none", n, err)
	}
	final, phase := counter(t, s.server.Registry, "meetline_call_records_stored_total", "final"),
		counter(t, s.server.Registry, "meetline_call_records_stored_total", "phase")
	if final != 4 || phase != 1 {
		t.Errorf("meetline_call_records_stored_total final %v, phase %v; want 4 (two sent twice) and 1", final, phase)
	}
}
