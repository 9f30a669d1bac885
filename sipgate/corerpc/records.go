package corerpc

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/sipgate"
)

// RecordCalls stores records in the core (TelephonyService.RecordCalls), retrying while it is
// unavailable.
func (c *Client) RecordCalls(ctx context.Context, records []sipgate.CallRecord) error {
	req := &meetlinev1.RecordCallsRequest{Records: make([]*meetlinev1.CallRecord, len(records))}
	for i, r := range records {
		req.Records[i] = recordProto(r)
	}
	err := c.retry(ctx, func(ctx context.Context) error {
		_, err := c.rpc.RecordCalls(ctx, req)
		return err
	})
	if connect.CodeOf(err) == connect.CodeInvalidArgument {
		return fmt.Errorf("%w: %v", sipgate.ErrRecordRefused, err)
	}
	if err != nil {
		return coreError(err)
	}
	return nil
}

func recordProto(r sipgate.CallRecord) *meetlinev1.CallRecord {
	return &meetlinev1.CallRecord{
		Id: r.ID, StartTime: timestamp(r.Start), AnswerTime: timestamp(r.Answer), EndTime: timestamp(r.End),
		CalledNumber: r.Called, TrunkId: r.TrunkID, CallerMasked: r.CallerMasked, CallerHash: r.CallerHash,
		Transport: r.Transport, DtmfMethod: r.DTMF, PinOutcome: r.PIN, RoomId: r.RoomID, Admission: r.Admission,
		Handoff: r.Handoff, BridgedMs: r.Bridged.Milliseconds(), HangupBy: r.HangupBy, Outcome: r.Outcome,
		SipCode: int32(r.SIPCode), Reason: r.Reason, Instance: r.Instance, Final: r.Final, Phase: r.Phase,
	}
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
