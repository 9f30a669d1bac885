package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestCallService: records sipgate sent, as operators list, count and export them.
func TestCallService(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	base := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	var records []*meetlinev1.CallRecord
	for i := range 25 {
		outcome, called, room, pin := "connected", "+33123456789", "room-a", "ok"
		if i%5 == 0 {
			outcome, room, pin = "wrong_pin", "", "wrong"
		}
		if i >= 20 {
			called = "+33987654321"
		}
		start := base.Add(time.Duration(i) * 10 * time.Minute) // 09:00 to 13:00
		records = append(records, &meetlinev1.CallRecord{Id: fmt.Sprintf("call-%02d", i), StartTime: timestamppb.New(start),
			EndTime: timestamppb.New(start.Add(time.Minute)), CalledNumber: called, RoomId: room, Outcome: outcome, PinOutcome: pin,
			CallerMasked: "+33 6•• ••• •42", Reason: "=HYPERLINK()", Final: true})
	}
	if _, err := s.clients(sipgateToken).telephony.RecordCalls(ctx, &meetlinev1.RecordCallsRequest{Records: records}); err != nil {
		t.Fatal(err)
	}
	calls := s.clients(operatorToken).calls

	t.Run("list and page", func(t *testing.T) {
		var ids []string
		token := ""
		for range 10 {
			res, err := calls.ListCalls(ctx, &meetlinev1.ListCallsRequest{PageSize: 7, PageToken: token,
				Filter: &meetlinev1.CallFilter{CalledNumber: "01 23 45 67 89"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range res.Calls {
				ids = append(ids, c.Id)
			}
			if token = res.NextPageToken; token == "" {
				break
			}
		}
		if len(ids) != 20 || ids[0] != "call-19" || ids[19] != "call-00" {
			t.Errorf("listed %v, want call-19 … call-00", ids)
		}
	})
	filters := []struct {
		name   string
		filter *meetlinev1.CallFilter
		want   int
	}{
		{"everything", nil, 25},
		{"outcome", &meetlinev1.CallFilter{Outcome: "wrong_pin"}, 5},
		{"room", &meetlinev1.CallFilter{RoomId: "room-a"}, 20},
		{"time range", &meetlinev1.CallFilter{StartTime: timestamppb.New(base.Add(time.Hour)), EndTime: timestamppb.New(base.Add(2 * time.Hour))}, 6},
		{"number", &meetlinev1.CallFilter{CalledNumber: "+33987654321"}, 5},
		{"trunk", &meetlinev1.CallFilter{TrunkId: "none"}, 0},
	}
	for _, tt := range filters {
		res, err := calls.ListCalls(ctx, &meetlinev1.ListCallsRequest{PageSize: 100, Filter: tt.filter})
		if err != nil || len(res.Calls) != tt.want {
			t.Errorf("%s: %d calls (%v), want %d", tt.name, len(res.GetCalls()), err, tt.want)
		}
	}

	t.Run("count", func(t *testing.T) {
		res, err := calls.CountCalls(ctx, &meetlinev1.CountCallsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, o := range res.Outcomes {
			got[o.Outcome] = o.Count
		}
		if got["connected"] != 20 || got["wrong_pin"] != 5 || len(got) != 2 {
			t.Errorf("per outcome %v", got)
		}
		var nine int64
		for _, h := range res.Hours {
			if h.Hour.AsTime().Equal(base) {
				nine += h.Count
			}
		}
		if nine != 6 || len(res.Hours) != 9 { // 9:00 to 13:00, with a wrong PIN in all but 13:00
			t.Errorf("9:00 has %d calls (want 6); %d hour buckets (want 9)", nine, len(res.Hours))
		}
		var numbers []string
		for _, n := range res.Numbers {
			numbers = append(numbers, fmt.Sprintf("%s:%d/%d", n.CalledNumber, n.WrongPin, n.Calls))
		}
		if got := strings.Join(numbers, " "); got != "+33123456789:4/20 +33987654321:1/5" {
			t.Errorf("wrong PINs per number %q, want the most wrong first", got)
		}
	})

	t.Run("export", func(t *testing.T) {
		st, err := calls.ExportCalls(ctx, &meetlinev1.ExportCallsRequest{Filter: &meetlinev1.CallFilter{Outcome: "wrong_pin"}})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		for st.Receive() {
			buf.Write(st.Msg().Csv)
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 6 || rows[0][0] != "id" || rows[1][0] != "call-00" || rows[5][0] != "call-20" {
			t.Fatalf("CSV rows %v", rows)
		}
		if reason := rows[1][18]; !strings.HasPrefix(reason, "'") {
			t.Errorf("reason %q would be a spreadsheet formula", reason)
		}
	})

	invalid := []struct {
		name string
		req  *meetlinev1.ListCallsRequest
	}{
		{"bad token", &meetlinev1.ListCallsRequest{PageToken: "!!"}},
		{"token without id", &meetlinev1.ListCallsRequest{PageToken: "MTIz"}},
		{"end before start", &meetlinev1.ListCallsRequest{Filter: &meetlinev1.CallFilter{StartTime: timestamppb.New(base), EndTime: timestamppb.New(base)}}},
		{"bad number", &meetlinev1.ListCallsRequest{Filter: &meetlinev1.CallFilter{CalledNumber: "not a number"}}},
	}
	for _, tt := range invalid {
		if _, err := calls.ListCalls(ctx, tt.req); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", tt.name, err)
		}
	}
	if _, err := calls.CountCalls(ctx, &meetlinev1.CountCallsRequest{Filter: invalid[2].req.Filter}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("CountCalls, end before start: %v", err)
	}
	st, _ := calls.ExportCalls(ctx, &meetlinev1.ExportCallsRequest{Filter: invalid[3].req.Filter})
	for st.Receive() {
	}
	if connect.CodeOf(st.Err()) != connect.CodeInvalidArgument {
		t.Errorf("ExportCalls, bad number: %v", st.Err())
	}
}

// TestWatchCalls: the calls in progress on two sipgate replicas, as their phases change and they end.
func TestWatchCalls(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tel := s.clients(sipgateToken).telephony
	start := time.Now()
	send := func(id, instance, phase string, final bool) {
		t.Helper()
		r := &meetlinev1.CallRecord{Id: id, StartTime: timestamppb.New(start), Instance: instance, Phase: phase, Final: final}
		if final {
			r.EndTime, r.Outcome = timestamppb.Now(), "connected"
		}
		if _, err := tel.RecordCalls(ctx, &meetlinev1.RecordCallsRequest{Records: []*meetlinev1.CallRecord{r}}); err != nil {
			t.Fatal(err)
		}
	}
	send("a", "sipgate-0", "typing", false)
	send("b", "sipgate-1", "lobby", false)
	send("old", "sipgate-1", "bridged", false) // started long ago: lost, not live
	if _, err := s.db.Pool.Exec(ctx, `UPDATE call_records SET started_at = now() - interval '13 hours' WHERE id = 'old'`); err != nil {
		t.Fatal(err)
	}
	st, err := s.clients(operatorToken).calls.WatchCalls(ctx, &meetlinev1.WatchCallsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	next := func() string {
		t.Helper()
		if !st.Receive() {
			t.Fatalf("stream ended: %v", st.Err())
		}
		var calls []string
		for _, c := range st.Msg().Calls {
			calls = append(calls, c.Id+"@"+c.Instance+":"+c.Phase)
		}
		return strings.Join(calls, " ")
	}
	steps := []struct {
		change func()
		want   string
	}{
		{func() {}, "a@sipgate-0:typing b@sipgate-1:lobby"},
		{func() { send("a", "sipgate-0", "bridged", false) }, "a@sipgate-0:bridged b@sipgate-1:lobby"},
		{func() { send("b", "sipgate-1", "", true) }, "a@sipgate-0:bridged"},
	}
	for i, step := range steps {
		step.change()
		if got := next(); got != step.want {
			t.Fatalf("step %d: live calls %q, want %q", i, got, step.want)
		}
	}
}
