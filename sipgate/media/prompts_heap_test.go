//go:build unix

package media

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkHoldHeap proves that music on hold is one encoded stream read
// by every call, not a copy per call: it starts Loop on 1,000 calls and
// reports the heap each playing call adds (heap-B/call, which must stay far
// below the recording's size, music-B) next to that size. One op is one
// round of calls started, played for 100 ms and stopped.
func BenchmarkHoldHeap(b *testing.B) {
	const calls = 1000
	ps, err := LoadPrompts()
	if err != nil {
		b.Fatal(err)
	}
	music, _ := ps.Get("en-us", MusicOnHold)
	sink := listen(b)
	ss := make([]*Session, calls)
	for i := range ss {
		ss[i] = NewSession(listen(b), addrOf(sink))
	}
	var perCall float64
	b.ResetTimer()
	for range b.N {
		before := heapInUse()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, s := range ss {
			wg.Go(func() { Loop(ctx, s, music, PCMU) })
		}
		time.Sleep(100 * time.Millisecond) // every call has sent a few frames
		perCall = float64(heapInUse()-before) / calls
		cancel()
		wg.Wait()
	}
	b.ReportMetric(perCall, "heap-B/call")
	b.ReportMetric(float64(2*len(music.Frames(PCMU))*FrameSamples), "music-B")
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
