//go:build unix

package media

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The relay's benchmarks measure on loopback, so a send's CPU time includes
// the kernel's delivery to the receiving socket. Each reports a baseline
// from the same run: the same path without the relay (direct), or the CPU
// time the peers spend on the same packets.

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRelayPacket is the cost of one packet, sent by a peer and read by
// the other, through the relay both ways and directly. Toward the caller
// (relay-to-caller) the relay rewrites the header to continue the caller's
// stream.
func BenchmarkRelayPacket(b *testing.B) {
	wire := callPackets(b, 1)[0]
	b.Run("relay", func(b *testing.B) {
		br := startRelay(b)
		benchPath(b, br.carrier, br.a.LocalAddr(), br.lk, wire)
	})
	// A telephone-event toward LiveKit, shown to a keypad tap on the way
	// (WithEvents): still no allocation per packet.
	b.Run("relay-event-tap", func(b *testing.B) {
		var events atomic.Int64
		br := startRelay(b, WithEvents(101, func(uint32, uint32, []byte) { events.Add(1) }))
		benchPath(b, br.carrier, br.a.LocalAddr(), br.lk, callPackets(b, 1)[1])
		if events.Load() == 0 {
			b.Fatal("the tap saw no event")
		}
	})
	b.Run("relay-to-caller", func(b *testing.B) {
		br := startRelay(b)
		benchPath(b, br.lk, br.b.LocalAddr(), br.carrier, wire)
	})
	b.Run("direct", func(b *testing.B) {
		from, to := listen(b), listen(b)
		benchPath(b, from, addrOf(to), to, wire)
	})
}

// benchPath sends wire from from to dst, one packet at a time, and reads it
// at sink.
func benchPath(b *testing.B, from *net.UDPConn, dst netip.AddrPort, sink *net.UDPConn, wire []byte) {
	buf := make([]byte, maxDatagram)
	pass := func() {
		if _, err := from.WriteToUDPAddrPort(wire, dst); err != nil {
			b.Fatal(err)
		}
		if _, _, err := sink.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatal(err)
		}
	}
	pass() // latches the relay's leg
	b.ReportAllocs()
	cpu := cpuTime(b)
	for b.Loop() {
		pass()
	}
	b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkRelayLatency is the one-way delay of a packet through the relay
// and directly, sampled alternately: back to back, and 1 ms apart so that
// every thread has gone idle, as between real 20 ms packets (1000 pairs per
// op, for a tail worth reading at the default -benchtime).
func BenchmarkRelayLatency(b *testing.B) {
	b.Run("gap=0", func(b *testing.B) { benchLatency(b, 0, 1) })
	b.Run("gap=1ms", func(b *testing.B) { benchLatency(b, time.Millisecond, 1000) })
}

func benchLatency(b *testing.B, gap time.Duration, pairs int) {
	br := startRelay(b)
	relayed := newProbe(b, br.carrier, br.a.LocalAddr(), br.lk)
	direct := listen(b)
	plain := newProbe(b, listen(b), addrOf(direct), direct)
	relayed.once(b) // latches the relay's leg
	var viaRelay, viaDirect []time.Duration
	for b.Loop() {
		for range pairs {
			time.Sleep(gap)
			viaRelay = append(viaRelay, relayed.once(b))
			time.Sleep(gap)
			viaDirect = append(viaDirect, plain.once(b))
		}
	}
	r50, r99 := percentiles(viaRelay)
	d50, d99 := percentiles(viaDirect)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(len(viaRelay)), "samples")
	b.ReportMetric(r50, "p50-µs")
	b.ReportMetric(r99, "p99-µs")
	b.ReportMetric(d50, "direct-p50-µs")
	b.ReportMetric(d99, "direct-p99-µs")
	b.ReportMetric(r50-d50, "added-p50-µs")
	b.ReportMetric(r50/d50, "ratio-p50")
	b.ReportMetric(r99/d99, "ratio-p99")
}

// probe sends packets stamped with their send time and, on a goroutine
// blocked in the read as a real receiver would be, measures their delay.
type probe struct {
	from   *net.UDPConn
	dst    netip.AddrPort
	sink   *net.UDPConn
	wire   []byte
	base   time.Time
	delays chan time.Duration // closed when the sink fails
}

func newProbe(b *testing.B, from *net.UDPConn, dst netip.AddrPort, sink *net.UDPConn) *probe {
	p := &probe{from: from, dst: dst, sink: sink, wire: callPackets(b, 1)[0], base: time.Now(), delays: make(chan time.Duration, 1)}
	go func() {
		defer close(p.delays)
		buf := make([]byte, maxDatagram)
		for {
			n, _, err := sink.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			now := time.Since(p.base)
			if n >= 20 {
				p.delays <- now - time.Duration(binary.BigEndian.Uint64(buf[12:20]))
			}
		}
	}()
	return p
}

// once sends one stamped packet (the stamp in the payload, which the relay
// does not read) and returns its delay.
func (p *probe) once(b *testing.B) time.Duration {
	p.sink.SetReadDeadline(time.Now().Add(5 * time.Second)) // a lost packet fails the benchmark
	binary.BigEndian.PutUint64(p.wire[12:20], uint64(time.Since(p.base)))
	if _, err := p.from.WriteToUDPAddrPort(p.wire, p.dst); err != nil {
		b.Fatal(err)
	}
	d, ok := <-p.delays
	if !ok {
		b.Fatal("packet lost on loopback")
	}
	return d
}

// percentiles returns the median and the 99th percentile of ds, in µs.
func percentiles(ds []time.Duration) (p50, p99 float64) {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q int) float64 {
		return float64(s[min(len(s)*q/100, len(s)-1)]) / float64(time.Microsecond)
	}
	return at(50), at(99)
}

// BenchmarkRelayCPU is the CPU time of bridged calls. The peers (each
// call's carrier and LiveKit) run in another process, this test binary run
// as TestRelayPeersProcess, so that this process's CPU time is the relays'
// alone: each peer sends 50 packets a second, paced like 20 ms audio, for
// cpuPhase. The peers' own CPU time, to send and read the same packets,
// is the baseline.
//
// The rtcp variant runs both legs with RTCP on: port+1 sockets and
// reception statistics per packet; the reports themselves (one per leg
// every 5 s) have nowhere to go, so that the peers count RTP only.
func BenchmarkRelayCPU(b *testing.B) {
	for _, calls := range []int{100, 500} {
		b.Run(fmt.Sprintf("calls=%d", calls), func(b *testing.B) { benchCPU(b, calls, false) })
	}
	b.Run("calls=100/rtcp", func(b *testing.B) { benchCPU(b, 100, true) })
}

// benchLeg is one leg of a benchmarked call, with RTCP when rtcp.
func benchLeg(b *testing.B, rtcp bool) *Session {
	if !rtcp {
		return NewSession(listen(b), netip.AddrPort{})
	}
	s := NewSession(listen(b), netip.AddrPort{}, WithRTCP(listen(b), netip.AddrPort{}))
	b.Cleanup(func() { s.Close() })
	return s
}

const (
	cpuPhase = 2 * time.Second
	// settle lets packets in flight arrive before the peers count them.
	settle = 50 * time.Millisecond
	// peersEnv makes the test binary the peers' process, for cpuPhase.
	peersEnv = "MEDIA_RELAY_PEERS"
)

// cpuRun is what one run of the peers measured.
type cpuRun struct {
	relay, peers   time.Duration // CPU time
	sent, received uint64        // by the peers
	relayed        uint64        // both ways
}

func benchCPU(b *testing.B, n int, rtcp bool) {
	legs := make([][2]*Session, n)
	for i := range legs {
		legs[i] = [2]*Session{benchLeg(b, rtcp), benchLeg(b, rtcp)}
	}
	var total cpuRun
	for b.Loop() {
		r := runPeers(b, legs)
		total.relay += r.relay
		total.peers += r.peers
		total.sent += r.sent
		total.received += r.received
		total.relayed += r.relayed
	}
	callSeconds := float64(b.N) * float64(n) * cpuPhase.Seconds()
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(us(total.relay)/callSeconds, "cpu-µs/call-s")
	b.ReportMetric(us(total.relay)/float64(total.relayed), "cpu-µs/pkt")
	b.ReportMetric(100*total.relay.Seconds()/(float64(b.N)*cpuPhase.Seconds()), "core-%")
	b.ReportMetric(us(total.peers)/callSeconds, "peers-cpu-µs/call-s")
	b.ReportMetric(100*(1-float64(total.received)/float64(total.sent)), "loss-%")
}

// runPeers relays legs while a peers' process talks on them.
func runPeers(b *testing.B, legs [][2]*Session) cpuRun {
	cmd := exec.Command(os.Args[0], "-test.run=^TestRelayPeersProcess$")
	cmd.Env = append(os.Environ(), peersEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	w := bufio.NewWriter(stdin)
	for _, l := range legs {
		fmt.Fprintln(w, l[0].LocalAddr(), l[1].LocalAddr())
	}
	fmt.Fprintln(w)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	out := bufio.NewScanner(stdout)
	for _, l := range legs { // the peers' addresses, as their SDP would give
		addrs := scanAddrs(b, out)
		l[0].SetRemote(addrs[0])
		l[1].SetRemote(addrs[1])
	}

	ctx, cancel := context.WithCancel(context.Background())
	var (
		relays  sync.WaitGroup
		relayed atomic.Uint64
	)
	for _, l := range legs {
		relays.Go(func() {
			st := Relay(ctx, l[0], l[1])
			relayed.Add(st.AtoB.Packets + st.BtoA.Packets)
		})
	}
	start := cpuTime(b)
	fmt.Fprintln(stdin, "go")
	var r cpuRun
	if !out.Scan() {
		b.Fatalf("peers' process: %v", out.Err())
	}
	if _, err := fmt.Sscan(out.Text(), &r.sent, &r.received, &r.peers); err != nil {
		b.Fatalf("peers' process said %q: %v", out.Text(), err)
	}
	r.relay = cpuTime(b) - start
	cancel()
	relays.Wait()
	r.relayed = relayed.Load()
	return r
}

// scanAddrs reads a line of two addresses.
func scanAddrs(b testing.TB, in *bufio.Scanner) [2]netip.AddrPort {
	if !in.Scan() {
		b.Fatalf("peers' process: %v", in.Err())
	}
	return parseAddrs(b, in.Text())
}

func parseAddrs(b testing.TB, line string) (addrs [2]netip.AddrPort) {
	f := strings.Fields(line)
	if len(f) != 2 {
		b.Fatalf("line %q: want two addresses", line)
	}
	for i := range addrs {
		var err error
		if addrs[i], err = netip.ParseAddrPort(f[i]); err != nil {
			b.Fatal(err)
		}
	}
	return addrs
}

// TestRelayPeersProcess is BenchmarkRelayCPU's peers' process, and skips
// otherwise. It reads the legs' addresses, one call a line, answers with a
// carrier's and a LiveKit's socket for each, and on "go" makes both talk for
// cpuPhase, reading what they receive; then it writes how many packets they
// sent and received, and the CPU time that took.
func TestRelayPeersProcess(t *testing.T) {
	if os.Getenv(peersEnv) == "" {
		t.Skip("the peers' process of BenchmarkRelayCPU")
	}
	in := bufio.NewScanner(os.Stdin)
	var legs [][2]netip.AddrPort
	for in.Scan() && in.Text() != "" {
		legs = append(legs, parseAddrs(t, in.Text()))
	}
	var received atomic.Uint64
	peers := make([][2]*net.UDPConn, len(legs))
	for i := range peers {
		peers[i] = [2]*net.UDPConn{listen(t), listen(t)}
		go drain(peers[i][0], &received)
		go drain(peers[i][1], &received)
		fmt.Println(addrOf(peers[i][0]), addrOf(peers[i][1]))
	}
	in.Scan() // go
	start := cpuTime(t)
	var (
		talkers sync.WaitGroup
		sent    atomic.Uint64
	)
	wire := callPackets(t, 1)[0]
	for i, p := range peers {
		talkers.Go(func() { sent.Add(talk(t, p, legs[i], wire)) })
	}
	talkers.Wait()
	time.Sleep(settle)
	fmt.Println(sent.Load(), received.Load(), int64(cpuTime(t)-start))
}

// drain reads c until it is closed, counting datagrams.
func drain(c *net.UDPConn, count *atomic.Uint64) {
	buf := make([]byte, maxDatagram)
	for {
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			return
		}
		count.Add(1)
	}
}

// talk makes a call's two peers send a packet each to their leg every 20 ms
// for cpuPhase, from a random point of the first 20 ms as independent calls
// do, and returns how many they sent.
func talk(t testing.TB, peers [2]*net.UDPConn, legs [2]netip.AddrPort, wire []byte) (sent uint64) {
	time.Sleep(rand.N(frameDuration))
	tick := time.NewTicker(frameDuration)
	defer tick.Stop()
	for end := time.Now().Add(cpuPhase); time.Now().Before(end); <-tick.C {
		for i, p := range peers {
			if _, err := p.WriteToUDPAddrPort(wire, legs[i]); err != nil {
				t.Error(err)
				return sent
			}
			sent++
		}
	}
	return sent
}
