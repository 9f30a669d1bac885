//go:build linux

package media

import (
	"context"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkLoopbackFloor measures what a call's media costs in system calls
// alone on this machine, the floor under sipgate's CPU per call-second: one
// op is one datagram each way, a sendto from one of 1,000 call sockets to a
// caller (the pacer's frame) and a recvfrom of a datagram already queued on
// a call socket (the digit reader's frame), each timed on a locked thread by
// that thread's own CPU clock, with no Go scheduling, no network poller and
// no work on the payload. On loopback, sendto also pays the delivery into the
// caller's socket and the wake-up of its reader; a call-second at 20 ms
// frames is 50 of each, reported as floor-ms/call-s, the figure make
// loadtest divides sipgate's plateau CPU by.
func BenchmarkLoopbackFloor(b *testing.B) {
	const calls = 1000
	caller := listen(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go drainBatch(ctx, caller)
	socks := make([]*net.UDPConn, calls)
	fds := make([]int, calls)
	for i := range socks {
		socks[i] = listen(b)
		defer socks[i].Close()
		fds[i] = rawFD(b, socks[i])
	}
	to := addrOf(caller)
	dst := &syscall.SockaddrInet4{Port: int(to.Port()), Addr: to.Addr().As4()}
	frame := make([]byte, 172)
	buf := make([]byte, maxDatagram)

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	start := threadCPU(b)
	for i := range b.N {
		if err := syscall.Sendto(fds[i%calls], frame, 0, dst); err != nil {
			b.Fatal(err)
		}
		if i%calls == calls-1 {
			time.Sleep(time.Millisecond) // let the caller drain, as 20 ms frames would
		}
	}
	send := threadCPU(b) - start

	feeder, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer syscall.Close(feeder)
	var recv time.Duration
	for done := 0; done < b.N; done += calls {
		n := min(calls, b.N-done)
		for i := range n {
			ap := addrOf(socks[i])
			if err := syscall.Sendto(feeder, frame, 0, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
				b.Fatal(err)
			}
		}
		start := threadCPU(b)
		for i := range n {
			if _, _, err := syscall.Recvfrom(fds[i], buf, syscall.MSG_DONTWAIT); err != nil {
				b.Fatal(err)
			}
		}
		recv += threadCPU(b) - start
	}
	b.StopTimer()
	perSend, perRecv := float64(send)/float64(b.N), float64(recv)/float64(b.N)
	b.ReportMetric(perSend, "send-ns/pkt")
	b.ReportMetric(perRecv, "recv-ns/pkt")
	b.ReportMetric(50*(perSend+perRecv)/1e6, "floor-ms/call-s")
}

// threadCPU is the calling thread's CPU time, user and system.
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rusageThread is RUSAGE_THREAD of getrusage(2), which package syscall lacks.
const rusageThread = 1

// rawFD is c's descriptor, valid while c is open.
func rawFD(b *testing.B, c *net.UDPConn) int {
	raw, err := c.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	fd := -1
	if err := raw.Control(func(f uintptr) { fd = int(f) }); err != nil {
		b.Fatal(err)
	}
	return fd
}
