//go:build linux

package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
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
// does. The readers: ReadPacket in a loop, or Receive.
// generatorSlot is how loadtest/caller spreads its callers' frames: each
// 20 ms in four slots.
const generatorSlot = 5 * time.Millisecond

func BenchmarkPlateau(b *testing.B) {
	for _, rtcp := range []bool{false, true} {
		name := "rtp"
		if rtcp {
			name = "rtp+rtcp"
		}
		for _, reader := range []string{"ReadPacket", "Receive"} {
			for _, calls := range []int{200, 1000} {
				b.Run(fmt.Sprintf("%s/%s/calls=%d", name, reader, calls), func(b *testing.B) {
					benchPlateau(b, calls, rtcp, reader, generatorSlot, false)
				})
			}
		}
	}
}

// BenchmarkPlateauApart is BenchmarkPlateau's 1,000 calls with RTCP, the
// caller in a process of its own (TestPlateauCaller), so that cpu-ms/call-s
// is sipgate's side alone, as make loadtest measures it; the loopback's
// delivery is the caller's (its softirq runs in the sender). Slot is how the
// caller spreads its frames: 5 ms as the load generator, 1 ms closer to
// callers who each send at their own time.
func BenchmarkPlateauApart(b *testing.B) {
	for _, slot := range []time.Duration{generatorSlot, time.Millisecond} {
		b.Run(fmt.Sprintf("Receive/slot=%v", slot), func(b *testing.B) {
			benchPlateau(b, 1000, true, "Receive", slot, true)
		})
	}
}

func benchPlateau(b *testing.B, calls int, rtcp bool, reader string, slot time.Duration, apart bool) {
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
			if reader == "Receive" {
				_ = s.Receive(ctx, count)
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
	if !apart {
		wg.Go(func() { drainBatch(ctx, caller) })
	}
	time.Sleep(100 * time.Millisecond) // every reader parked, every track playing
	goroutines := runtime.NumGoroutine() - before
	addrs := make([]net.UDPAddr, len(ss))
	for i, s := range ss {
		addrs[i] = *net.UDPAddrFromAddrPort(s.LocalAddr())
	}

	b.ResetTimer()
	cpu, read := cpuTime(b), got.Load()
	d := time.Duration(b.N) * time.Second / time.Duration(calls)
	var sent int
	if apart {
		sent = callApart(b, caller, addrs, d, slot)
	} else {
		sent = sendFrames(b, caller, addrs, d, slot)
	}
	for wait := time.Now(); got.Load()-read < int64(sent) && time.Since(wait) < time.Second; {
		time.Sleep(time.Millisecond) // the last packets' reading counts too
	}
	used := cpuTime(b) - cpu
	b.StopTimer()
	b.ReportMetric(float64(used)/float64(time.Millisecond)/float64(b.N), "cpu-ms/call-s")
	b.ReportMetric(float64(goroutines)/float64(calls), "goroutines/call")
	b.ReportMetric(1-float64(got.Load()-read)/float64(sent), "lost")
	b.ReportMetric(0, "ns/op")
}

// sendFrames sends each session a frame every 20 ms for d, by sendmmsg, in
// slots: every slot (5 ms, as the load generator; 1 ms, closer to callers
// who each send at their own time) the sessions whose turn it is. It
// catches up when it falls behind, and returns how many frames it sent.
func sendFrames(b testing.TB, c *net.UDPConn, addrs []net.UDPAddr, d, slot time.Duration) (sent int) {
	pc := ipv4.NewPacketConn(c)
	const batch = 64
	msgs := make([]ipv4.Message, batch)
	bufs := make([][172]byte, batch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{bufs[i][:]}
	}
	slots := int(frameDuration / slot)
	start := time.Now()
	for tick := range int(d / slot) {
		n := 0
		for i := tick % slots; i < len(addrs); i += slots {
			frame := uint32(tick / slots)
			p := bufs[n][:]
			p[0], p[1] = 0x80, 0
			binary.BigEndian.PutUint16(p[2:], uint16(frame))
			binary.BigEndian.PutUint32(p[4:], frame*FrameSamples)
			binary.BigEndian.PutUint32(p[8:], uint32(i+1))
			msgs[n].Addr = &addrs[i]
			sent++
			if n++; n == batch {
				writeAll(b, pc, msgs[:n])
				n = 0
			}
		}
		writeAll(b, pc, msgs[:n])
		if w := time.Until(start.Add(time.Duration(tick+1) * slot)); w > 0 {
			time.Sleep(w)
		}
	}
	return sent
}

func writeAll(b testing.TB, pc *ipv4.PacketConn, msgs []ipv4.Message) {
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

// callApart runs sendFrames in a process of its own (TestPlateauCaller) on
// the caller's socket, and returns how many frames it sent.
func callApart(b *testing.B, caller *net.UDPConn, addrs []net.UDPAddr, d, slot time.Duration) int {
	f, err := caller.File()
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ports := make([]string, len(addrs))
	for i, a := range addrs {
		ports[i] = strconv.Itoa(a.Port)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPlateauCaller$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("PLATEAU_CALLER=%d %d %s", d, slot, strings.Join(ports, ",")))
	cmd.ExtraFiles = []*os.File{f}
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("caller: %v\n%s", err, out)
	}
	var sent int
	if i := bytes.Index(out, []byte("sent ")); i < 0 {
		b.Fatalf("caller said %q", out)
	} else if _, err := fmt.Sscan(string(out[i+5:]), &sent); err != nil {
		b.Fatal(err)
	}
	return sent
}

// TestPlateauCaller is BenchmarkPlateauApart's caller, run by it in a
// process of its own: it sends the frames from the socket it inherited,
// reads the music, and prints how many it sent.
func TestPlateauCaller(t *testing.T) {
	cfg := os.Getenv("PLATEAU_CALLER")
	if cfg == "" {
		t.Skip("BenchmarkPlateauApart runs it")
	}
	var d, slot time.Duration
	var list string
	if _, err := fmt.Sscan(cfg, (*int64)(&d), (*int64)(&slot), &list); err != nil {
		t.Fatal(err)
	}
	var addrs []net.UDPAddr
	for _, p := range strings.Split(list, ",") {
		port, _ := strconv.Atoi(p)
		addrs = append(addrs, net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	}
	pc, err := net.FilePacketConn(os.NewFile(3, "caller"))
	if err != nil {
		t.Fatal(err)
	}
	c := pc.(*net.UDPConn)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go drainBatch(ctx, c)
	fmt.Printf("sent %d\n", sendFrames(t, c, addrs, d, slot))
}
