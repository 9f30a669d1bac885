//go:build linux

package media

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"golang.org/x/net/ipv4"
)

// BenchmarkPlateau is sipgate's IVR and hold plateau in one process, as make
// loadtest drives it: each of 1,000 calls has a session whose reader (the
// IVR's digit reader) reads the caller while the pacer loops music to it, and
// a caller sends every session a 20 ms PCMU frame every 20 ms, in four
// phases of 5 ms, by sendmmsg, and reads the music by recvmmsg (the load
// generator's design). One op is one call-second. cpu-ms/call-s is the
// process's CPU time (user and system, both ends of the loopback included)
// per call-second; goroutines/call is what the calls add. "rtp" binds the
// RTP port only; "rtp+rtcp" binds the pair and terminates RTCP, as sipgate
// does. The readers: ReadPacket in a loop; ReceiveEach, a reader woken per
// packet (Relay's, and Receive's before the poller); Receive, the poller.
func BenchmarkPlateau(b *testing.B) {
	for _, rtcp := range []bool{false, true} {
		name := "rtp"
		if rtcp {
			name = "rtp+rtcp"
		}
		for _, reader := range []string{"ReadPacket", "ReceiveEach", "Receive"} {
			for _, calls := range []int{200, 1000} {
				b.Run(fmt.Sprintf("%s/%s/calls=%d", name, reader, calls), func(b *testing.B) {
					benchPlateau(b, calls, rtcp, reader)
				})
			}
		}
	}
}

func benchPlateau(b *testing.B, calls int, rtcp bool, reader string) {
	ports, err := NewPortRange(netip.MustParseAddr("127.0.0.1"), 30000, 39999)
	if err != nil {
		b.Fatal(err)
	}
	caller := listen(b)
	to := addrOf(caller)
	music := NewPrompt("test", "music", tone(time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	before := runtime.NumGoroutine()
	var got atomic.Int64 // packets read
	ss := make([]*Session, calls)
	for i := range ss {
		var opts []SessionOption
		var conn *net.UDPConn
		if rtcp {
			rc, cc, err := ports.AllocatePair()
			if err != nil {
				b.Fatal(err)
			}
			conn, opts = rc, append(opts, WithRTCP(cc, netip.AddrPortFrom(to.Addr(), to.Port()+1)))
		} else if conn, err = ports.Allocate(); err != nil {
			b.Fatal(err)
		}
		s := NewSession(conn, to, opts...)
		defer s.Close()
		ss[i] = s
		count := func([]byte, *rtp.Packet) bool { got.Add(1); return true }
		wg.Go(func() {
			switch reader {
			case "Receive":
				_ = s.Receive(ctx, count)
				return
			case "ReceiveEach":
				_ = s.receiveEach(ctx, count)
				return
			}
			for {
				if _, err := s.ReadPacket(ctx); err != nil {
					return
				}
				got.Add(1)
			}
		})
		wg.Go(func() { _ = Loop(ctx, s, music, PCMU) })
	}
	wg.Go(func() { drainBatch(ctx, caller) })
	time.Sleep(100 * time.Millisecond) // every reader parked, every track playing
	goroutines := runtime.NumGoroutine() - before

	b.ResetTimer()
	cpu, read := cpuTime(b), got.Load()
	sendFrames(b, caller, ss, time.Duration(b.N)*time.Second/time.Duration(calls))
	used := cpuTime(b) - cpu
	b.StopTimer()
	b.ReportMetric(float64(used)/float64(time.Millisecond)/float64(b.N), "cpu-ms/call-s")
	b.ReportMetric(float64(goroutines)/float64(calls), "goroutines/call")
	b.ReportMetric(float64(got.Load()-read), "packets-read")
	b.ReportMetric(0, "ns/op")
}

// sendFrames sends each session a frame every 20 ms for d, a quarter of
// the sessions every 5 ms, by sendmmsg.
func sendFrames(b *testing.B, c *net.UDPConn, ss []*Session, d time.Duration) {
	pc := ipv4.NewPacketConn(c)
	const batch = 64
	msgs := make([]ipv4.Message, batch)
	bufs := make([][172]byte, batch)
	addrs := make([]net.UDPAddr, len(ss))
	for i, s := range ss {
		addrs[i] = *net.UDPAddrFromAddrPort(s.LocalAddr())
	}
	for i := range msgs {
		msgs[i].Buffers = [][]byte{bufs[i][:]}
	}
	const period = frameDuration / phases
	start := time.Now()
	for tick := 0; time.Since(start) < d; tick++ {
		n := 0
		for i := tick % phases; i < len(ss); i += phases {
			frame := uint32(tick / phases)
			p := bufs[n][:]
			p[0], p[1] = 0x80, 0
			binary.BigEndian.PutUint16(p[2:], uint16(frame))
			binary.BigEndian.PutUint32(p[4:], frame*FrameSamples)
			binary.BigEndian.PutUint32(p[8:], uint32(i+1))
			msgs[n].Addr = &addrs[i]
			if n++; n == batch {
				writeAll(b, pc, msgs[:n])
				n = 0
			}
		}
		writeAll(b, pc, msgs[:n])
		if w := time.Until(start.Add(time.Duration(tick+1) * period)); w > 0 {
			time.Sleep(w)
		}
	}
}

func writeAll(b *testing.B, pc *ipv4.PacketConn, msgs []ipv4.Message) {
	for len(msgs) > 0 {
		n, err := pc.WriteBatch(msgs, 0)
		if err != nil {
			b.Fatal(err)
		}
		msgs = msgs[n:]
	}
}

// drainBatch reads what the sessions send, by recvmmsg, until ctx is done.
func drainBatch(ctx context.Context, c *net.UDPConn) {
	context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
	pc := ipv4.NewPacketConn(c)
	msgs := make([]ipv4.Message, 64)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, maxDatagram)}
	}
	for {
		if _, err := pc.ReadBatch(msgs, 0); err != nil && (ctx.Err() != nil || errors.Is(err, net.ErrClosed)) {
			return
		}
	}
}
