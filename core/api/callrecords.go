package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/meetline/meetline/core"
	"google.golang.org/protobuf/types/known/timestamppb"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// RecordCalls stores a batch of sipgate's call records, all or none: the
// first invalid one fails the batch, so that sipgate keeps it in its spool
// and the operator sees the error in its logs.
func (s *telephonyService) RecordCalls(ctx context.Context, req *meetlinev1.RecordCallsRequest) (*meetlinev1.RecordCallsResponse, error) {
	if n := len(req.Records); n == 0 || n > core.MaxCallRecordBatch {
		return nil, core.Invalid("records", "must hold 1 to %d records", core.MaxCallRecordBatch)
	}
	records := make([]core.CallRecord, len(req.Records))
	ids := make([]string, len(req.Records))
	for i, pb := range req.Records {
		records[i] = callRecordFromProto(pb)
		if err := records[i].Validate(); err != nil {
			if e := (*core.Error)(nil); errors.As(err, &e) {
				e.Field = fmt.Sprintf("records[%d].%s", i, e.Field)
			}
			return nil, err
		}
		ids[i] = pb.Id
	}
	if err := s.CallRecords.RecordCalls(ctx, records); err != nil {
		return nil, err
	}
	final := 0
	for _, r := range records {
		if r.Final {
			final++
		}
	}
	s.metrics.recordsFinal.Add(float64(final))
	s.metrics.recordsPhase.Add(float64(len(records) - final))
	return &meetlinev1.RecordCallsResponse{Ids: ids}, nil
}

func callRecordFromProto(pb *meetlinev1.CallRecord) core.CallRecord {
	return core.CallRecord{
		ID: pb.Id, Start: protoTime(pb.StartTime), Answer: protoTime(pb.AnswerTime), End: protoTime(pb.EndTime),
		Called: core.PhoneNumber(pb.CalledNumber), TrunkID: pb.TrunkId, Caller: pb.CallerMasked, CallerID: pb.CallerHash,
		Transport: pb.Transport, DTMF: pb.DtmfMethod, PIN: pb.PinOutcome, RoomID: pb.RoomId, Admission: pb.Admission,
		Handoff: pb.Handoff, Bridged: time.Duration(pb.BridgedMs) * time.Millisecond, HangupBy: pb.HangupBy,
		Outcome: pb.Outcome, SIPCode: int(pb.SipCode), Reason: pb.Reason, Instance: pb.Instance, Final: pb.Final, Phase: pb.Phase,
	}
}

// protoTime is t, or the zero time for an unset timestamp.
func protoTime(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}
