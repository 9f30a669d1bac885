package api

import (
	"context"
	"slices"
	"time"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// watchCallsInterval is how often WatchCalls looks at the calls in progress: the records of every sipgate
// replica meet in Postgres, so one query a second serves a page that an operator or two keep open.
const watchCallsInterval = time.Second

// WatchCalls sends the calls in progress, then again whenever a call starts, changes phase or ends.
func (s *callService) WatchCalls(ctx context.Context, _ *meetlinev1.WatchCallsRequest, st *connect.ServerStream[meetlinev1.WatchCallsResponse]) error {
	var last []core.CallRecord
	first := true
	for {
		calls, err := s.CallRecords.LiveCalls(ctx, time.Now().Add(-s.CallRecordSettings.LostAfter))
		if err != nil {
			return err
		}
		if first || !slices.EqualFunc(calls, last, sameLiveCall) {
			res := &meetlinev1.WatchCallsResponse{Calls: make([]*meetlinev1.CallRecord, len(calls))}
			for i, c := range calls {
				res.Calls[i] = callRecordProto(c)
			}
			if err := st.Send(res); err != nil {
				return err
			}
		}
		first, last = false, calls
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(watchCallsInterval):
		}
	}
}

func sameLiveCall(a, b core.CallRecord) bool { return a.ID == b.ID && a.Phase == b.Phase }
