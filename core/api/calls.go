package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// callService implements meetline.v1.CallService, for operators.
type callService struct {
	*Server
}

// ListCalls returns a page of call records, newest first.
func (s *callService) ListCalls(ctx context.Context, req *meetlinev1.ListCallsRequest) (*meetlinev1.ListCallsResponse, error) {
	f, err := s.callFilter(req.Filter)
	if err != nil {
		return nil, err
	}
	f.PageSize, f.PageToken = int(req.PageSize), req.PageToken
	records, next, err := s.CallRecords.FindCallRecords(ctx, f)
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.ListCallsResponse{NextPageToken: next, Calls: make([]*meetlinev1.CallRecord, len(records))}
	for i, r := range records {
		res.Calls[i] = callRecordProto(r)
	}
	return res, nil
}

// CountCalls counts calls per outcome and per hour.
func (s *callService) CountCalls(ctx context.Context, req *meetlinev1.CountCallsRequest) (*meetlinev1.CountCallsResponse, error) {
	f, err := s.callFilter(req.Filter)
	if err != nil {
		return nil, err
	}
	c, err := s.CallRecords.CountCallRecords(ctx, f)
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.CountCallsResponse{}
	for _, o := range c.Outcomes {
		res.Outcomes = append(res.Outcomes, &meetlinev1.OutcomeCount{Outcome: o.Outcome, Count: o.Count})
	}
	for _, h := range c.Hours {
		res.Hours = append(res.Hours, &meetlinev1.HourCount{Hour: timestamppb.New(h.Hour), Outcome: h.Outcome, Count: h.Count})
	}
	for _, n := range c.Numbers {
		res.Numbers = append(res.Numbers, &meetlinev1.NumberCount{CalledNumber: string(n.Called), Calls: n.Calls, WrongPin: n.WrongPIN})
	}
	return res, nil
}

// csvHeader names ExportCalls's columns.
var csvHeader = []string{"id", "start", "answer", "end", "called", "trunk_id", "caller", "caller_hash", "transport",
	"dtmf_method", "pin_outcome", "room_id", "admission", "handoff", "bridged_ms", "hangup_by", "outcome", "sip_code",
	"reason", "instance"}

// exportChunk is the size of ExportCalls's messages.
const exportChunk = 64 << 10

// ExportCalls streams the calls as CSV, oldest first, in chunks.
func (s *callService) ExportCalls(ctx context.Context, req *meetlinev1.ExportCallsRequest, st *connect.ServerStream[meetlinev1.ExportCallsResponse]) error {
	f, err := s.callFilter(req.Filter)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	flush := func(atLeast int) error {
		if w.Flush(); buf.Len() < atLeast {
			return w.Error()
		}
		err := st.Send(&meetlinev1.ExportCallsResponse{Csv: bytes.Clone(buf.Bytes())})
		buf.Reset()
		return err
	}
	w.Write(csvHeader)
	err = s.CallRecords.EachCallRecord(ctx, f, func(r core.CallRecord) error {
		w.Write(csvRow(r))
		return flush(exportChunk)
	})
	if err != nil {
		return err
	}
	return flush(1)
}

func csvRow(r core.CallRecord) []string {
	return []string{r.ID, csvTime(r.Start), csvTime(r.Answer), csvTime(r.End), string(r.Called), r.TrunkID, r.Caller,
		r.CallerID, r.Transport, r.DTMF, r.PIN, r.RoomID, r.Admission, r.Handoff, strconv.FormatInt(r.Bridged.Milliseconds(), 10),
		r.HangupBy, r.Outcome, strconv.Itoa(r.SIPCode), csvSafe(r.Reason), r.Instance}
}

// csvSafe keeps a spreadsheet from reading a field that came from a caller's header as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// callFilter checks and converts a filter.
func (s *callService) callFilter(pb *meetlinev1.CallFilter) (core.CallFilter, error) {
	if pb == nil {
		return core.CallFilter{}, nil
	}
	f := core.CallFilter{From: protoTime(pb.StartTime), To: protoTime(pb.EndTime), TrunkID: pb.TrunkId, RoomID: pb.RoomId,
		Outcome: pb.Outcome}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return f, core.Invalid("filter.end_time", "must be after start_time")
	}
	if pb.CalledNumber != "" {
		n, err := calledNumber(pb.CalledNumber, s.Telephony.DefaultRegion)
		if err != nil {
			return f, core.Invalid("filter.called_number", "is not a phone number")
		}
		f.Called = n
	}
	return f, nil
}

func callRecordProto(r core.CallRecord) *meetlinev1.CallRecord {
	pb := &meetlinev1.CallRecord{
		Id: r.ID, StartTime: timestamppb.New(r.Start), CalledNumber: string(r.Called), TrunkId: r.TrunkID,
		CallerMasked: r.Caller, CallerHash: r.CallerID, Transport: r.Transport, DtmfMethod: r.DTMF, PinOutcome: r.PIN,
		RoomId: r.RoomID, Admission: r.Admission, Handoff: r.Handoff, BridgedMs: r.Bridged.Milliseconds(),
		HangupBy: r.HangupBy, Outcome: r.Outcome, SipCode: int32(r.SIPCode), Reason: r.Reason, Instance: r.Instance,
		Final: r.Final, Phase: r.Phase,
	}
	if !r.Answer.IsZero() {
		pb.AnswerTime = timestamppb.New(r.Answer)
	}
	if !r.End.IsZero() {
		pb.EndTime = timestamppb.New(r.End)
	}
	return pb
}
