//go:build linux

package media

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// paceTimer is how prompts were paced before the shared pacer, one timer and
// one goroutine wake-up per call and frame: the pacer benchmarks' baseline.
func paceTimer(ctx context.Context, s *Session, pt uint8, frames [][]byte) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	s.StartTalkspurt()
	start := time.Now()
	for i := range frames {
		due := start.Add(time.Duration(i) * frameDuration)
		if late := time.Since(due); late > maxLag {
			start, due = start.Add(late), due.Add(late)
		}
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
		}
		if err := s.WriteFrame(pt, frames[i], FrameSamples); err != nil {
			return err
		}
	}
	return nil
}

// probes is how many of a benchmark's calls send to a reader that measures
// their timing at the receiver; the others send to a socket nobody reads
// (loopback still delivers each datagram, on the sender's CPU time).
const probes = 8

// BenchmarkPacer is the cost of one frame of a prompt played to each of
// 100 and 1,000 calls at once, and the timing error at the receiver, for the
// timer-per-call baseline and the shared pacer (one per process, one per
// core). One op is one frame sent. cpu-ns/frame is the process's CPU time
// (user+system, the kernel's loopback delivery included) per frame;
// x-baseline divides it by the baseline's from the same run; jitter-p99-ms
// is the 99th percentile of |inter-arrival − 20 ms| over the probe calls,
// timed by the kernel as the datagrams reach the probes' socket.
func BenchmarkPacer(b *testing.B) {
	for _, calls := range []int{100, 1000} {
		benchPacer(b, calls)
	}
}

func benchPacer(b *testing.B, calls int) {
	var baseline float64
	modes := []struct {
		name string
		play func(context.Context, *Session, [][]byte) error
	}{
		{"timer-per-call", func(ctx context.Context, s *Session, f [][]byte) error { return paceTimer(ctx, s, 0, f) }},
		{"pacer-per-process", playOn(newPacers(1))},
		{"pacer-per-core", playOn(newPacers(runtime.GOMAXPROCS(0)))},
	}
	for _, m := range modes {
		b.Run(fmt.Sprintf("%s/calls=%d", m.name, calls), func(b *testing.B) {
			cpu := benchPlay(b, calls, m.play)
			if m.name == "timer-per-call" { // the last, longest run of it
				baseline = cpu
			}
			b.ReportMetric(cpu, "cpu-ns/frame")
			b.ReportMetric(cpu/baseline, "x-baseline")
		})
	}
}

func playOn(set *pacerSet) func(context.Context, *Session, [][]byte) error {
	return func(ctx context.Context, s *Session, f [][]byte) error {
		return set.play(ctx, &track{s: s, pt: 0, frames: f, n: len(f), done: make(chan struct{})})
	}
}

// benchPlay plays b.N frames in all, spread over calls sessions started
// together, and returns the CPU time per frame.
func benchPlay(b *testing.B, calls int, play func(context.Context, *Session, [][]byte) error) float64 {
	n := max(b.N/calls, 10)
	frames := NewPrompt("test", "tone", tone(time.Duration(n)*frameDuration)).Frames(PCMU)
	sink, probe := listen(b), listen(b)
	ss := make([]*Session, calls)
	for i := range ss {
		to := addrOf(sink)
		if i < probes {
			to = addrOf(probe)
		}
		ss[i] = NewSession(listen(b), to)
	}
	arrivals := make(chan map[uint16][]time.Time, 1)
	go readArrivals(probe, probes*n, arrivals)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	for _, s := range ss {
		wg.Go(func() {
			if err := play(context.Background(), s, frames); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	used := cpuTime(b) - cpu
	b.StopTimer()
	b.ReportMetric(jitterP99(<-arrivals), "jitter-p99-ms")
	return float64(used) / float64(calls*n)
}

// readArrivals records when each probe's packets arrived, by source port,
// until want packets or a quiet second. The times are the kernel's
// (SO_TIMESTAMPNS), taken as each datagram reached the socket: the reader's
// own scheduling delays do not count.
func readArrivals(c *net.UDPConn, want int, out chan<- map[uint16][]time.Time) {
	got := make(map[uint16][]time.Time)
	defer func() { out <- got }()
	raw, err := c.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	})
	if err != nil {
		return
	}
	buf, oob := make([]byte, maxDatagram), make([]byte, 128)
	for range want {
		c.SetReadDeadline(time.Now().Add(time.Second))
		_, oobn, _, from, err := c.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			return
		}
		if at, ok := kernelTime(oob[:oobn]); ok {
			got[from.Port()] = append(got[from.Port()], at)
		}
	}
}

// kernelTime returns the SCM_TIMESTAMPNS in a datagram's control messages.
func kernelTime(oob []byte) (time.Time, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			ts := (*syscall.Timespec)(unsafe.Pointer(&m.Data[0]))
			return time.Unix(ts.Unix()), true
		}
	}
	return time.Time{}, false
}

// jitterP99 returns the 99th percentile of how far each inter-arrival time
// is from 20 ms, in milliseconds.
func jitterP99(arrivals map[uint16][]time.Time) float64 {
	var errs []time.Duration
	for _, at := range arrivals {
		for i := 1; i < len(at); i++ {
			errs = append(errs, (at[i].Sub(at[i-1]) - frameDuration).Abs())
		}
	}
	if len(errs) == 0 {
		return 0
	}
	slices.Sort(errs)
	return float64(errs[len(errs)*99/100]) / float64(time.Millisecond)
}

// BenchmarkPromptStart is how long a prompt takes to start, from Play to its
// first datagram at the caller, while the pacer plays music to 1,000 other
// calls: what a caller waits for "connecting" after the '#' on top of the
// core's answer. A new track joins the pacer's next pass, so the delay is
// bounded by a pass's period (frameDuration/phases) plus scheduling. One op
// is one prompt started; start-p50-ms and start-p99-ms are the delays.
func BenchmarkPromptStart(b *testing.B) {
	const calls = 1000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink, probe := listen(b), listen(b)
	music := NewPrompt("test", "music", tone(time.Second))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for range calls {
		s := NewSession(listen(b), addrOf(sink))
		wg.Go(func() { _ = Loop(ctx, s, music, PCMU) })
	}
	s := NewSession(listen(b), addrOf(probe))
	prompt := NewPrompt("test", "connecting", tone(frameDuration))
	buf := make([]byte, maxDatagram)
	delays := make([]time.Duration, 0, b.N)
	time.Sleep(100 * time.Millisecond) // every track playing
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		time.Sleep(rand.N(frameDuration)) // a '#' comes at any time, not just after a pass
		b.StartTimer()
		played := make(chan error, 1)
		start := time.Now()
		go func() { played <- Play(ctx, s, prompt, PCMU) }()
		if _, _, err := probe.ReadFrom(buf); err != nil {
			b.Fatal(err)
		}
		delays = append(delays, time.Since(start))
		if err := <-played; err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	slices.Sort(delays)
	ms := func(q float64) float64 {
		return float64(delays[int(q*float64(len(delays)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.5), "start-p50-ms")
	b.ReportMetric(ms(0.99), "start-p99-ms")
}
