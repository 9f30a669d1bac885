package api_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/google/uuid"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// BenchmarkWatchCallStreams measures what an open WatchCall stream costs the core, to size one stream per
// bridged call: b.N streams over HTTP/1.1, as sipgate's client opens them, then the core's goroutines
// (connection, its background read, handler) and the whole process's live heap (the test's client side
// included: an upper bound) per stream.
//
//	go test -run '^$' -bench WatchCallStreams -benchtime 1000x ./core/api/
func BenchmarkWatchCallStreams(b *testing.B) {
	s := newStack(b)
	cs := s.clients(sipgateToken)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	heap0, g0 := liveHeap(), serverGoroutines()
	b.ResetTimer()
	for range b.N {
		st, err := cs.telephony.WatchCall(ctx, &meetlinev1.WatchCallRequest{CallId: uuid.NewString()})
		if err != nil {
			b.Fatal(err)
		}
		if !st.Receive() { // the watch is in place
			b.Fatal(st.Err())
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(serverGoroutines()-g0)/float64(b.N), "core-goroutines/stream")
	b.ReportMetric(float64(liveHeap()-heap0)/float64(b.N), "heap-B/stream")
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// serverGoroutines counts the goroutines of the HTTP server's side.
func serverGoroutines() int {
	buf := make([]byte, 64<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	n := 0
	for g := range strings.SplitSeq(stacks, "\n\n") {
		if strings.Contains(g, "net/http.(*conn).serve") || strings.Contains(g, "backgroundRead") ||
			strings.Contains(g, "http2.(*serverConn)") {
			n++
		}
	}
	return n
}
