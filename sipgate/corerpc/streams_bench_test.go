package corerpc

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/meetline/meetline/sipgate"
)

// benchCallers is how many calls the benchmark runs at once.
const benchCallers = 8

// BenchmarkResolvePinBesideStreams compares, in one run, sipgate's client over HTTP/1.1 and over HTTP/2
// on the real core (in this process) while calls keep streams open, as they do when sipgate fills up: 300
// bridged calls' WatchCall streams are open, then each op is one new call, 8 at a time: its ResolvePin,
// timed, then its own WatchCall stream, which stays open. Over HTTP/1.1 the new stream takes the
// connection the ResolvePin left idle, so the next ResolvePin dials. Reported per protocol: ResolvePin's
// mean and p99, the process's CPU per call (client and core), connections dialled per call; then the
// HTTP/2 to HTTP/1.1 ratios.
//
//	go test -run '^$' -bench ResolvePinBesideStreams -benchtime 500x ./sipgate/corerpc/
func BenchmarkResolvePinBesideStreams(b *testing.B) {
	url, pin := realCore(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // every stream
	type figures struct{ mean, p99, cpu, dials float64 }
	var got [2]figures
	b.ResetTimer()
	for i, version := range []string{sipgate.CoreHTTP1, sipgate.CoreHTTP2} {
		b.StopTimer()
		c, dials := countingClient(url, version)
		if err := openWatches(ctx, c, busyStreams); err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, b.N)
		d0, cpu0 := dials.n.Load(), processCPU(b)
		b.StartTimer()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range benchCallers {
			wg.Go(func() {
				for j := next.Add(1) - 1; j < int64(b.N); j = next.Add(1) - 1 {
					start := time.Now()
					_, err := c.ResolvePin(ctx, testNumber, pin, sipgate.PINCaller{ID: "+33612345678", CallID: uuid.NewString()})
					lat[j] = time.Since(start)
					if err == nil {
						err = openWatches(ctx, c, 1)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		n := float64(b.N)
		got[i] = figures{cpu: float64(processCPU(b)-cpu0) / n / 1e3, dials: float64(dials.n.Load()-d0) / n}
		got[i].mean, got[i].p99 = meanP99(lat)
	}
	b.StopTimer()
	for i, name := range []string{"http1", "h2"} {
		b.ReportMetric(got[i].mean, name+"-resolve-µs")
		b.ReportMetric(got[i].p99, name+"-resolve-p99-µs")
		b.ReportMetric(got[i].cpu, name+"-cpu-µs/call")
		b.ReportMetric(got[i].dials, name+"-dials/call")
	}
	b.ReportMetric(got[1].mean/got[0].mean, "h2/http1-resolve")
	b.ReportMetric(got[1].p99/got[0].p99, "h2/http1-resolve-p99")
	b.ReportMetric(got[1].cpu/got[0].cpu, "h2/http1-cpu")
}

// meanP99 is the mean and the 99th percentile of lat, in µs.
func meanP99(lat []time.Duration) (mean, p99 float64) {
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	return float64(sum) / float64(len(lat)) / 1e3, float64(lat[len(lat)*99/100]) / 1e3
}

// processCPU is the CPU time this process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
