//go:build unix

package caller

import (
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func listenUDP(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func addrPort(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSendBatchDelivers sends more frames than one batch holds to several destinations: each arrives
// once, where its stream sends, and each stream counts what it sent.
func TestSendBatchDelivers(t *testing.T) {
	m := &Media{voice: voice()}
	sh := &shard{m: m, conn: listenUDP(t)}
	sh.batch = newBatchConn(sh.conn)
	sinks := []*net.UDPConn{listenUDP(t), listenUDP(t), listenUDP(t)}
	const streams = batchSize*2 + 5
	var ss []*Stream
	for i := range streams {
		s := &Stream{sh: sh, ssrc: uint32(i + 1), remote: addrPort(sinks[i%len(sinks)])}
		s.audio.Store(true)
		ss = append(ss, s)
	}
	b := newSendBatch(sh.batch)
	var pkt rtp.Packet
	for _, s := range ss {
		b.add(s, s.audioFrame(&pkt, b.next(), m.voice))
	}
	b.flush()
	for i, sink := range sinks {
		want := map[uint32]bool{}
		for j := i; j < streams; j += len(sinks) {
			want[uint32(j+1)] = true
		}
		buf := make([]byte, 1500)
		for range len(want) {
			sink.SetReadDeadline(time.Now().Add(time.Second))
			n, err := sink.Read(buf)
			if err != nil {
				t.Fatalf("sink %d: %v", i, err)
			}
			var p rtp.Packet
			if err := p.Unmarshal(buf[:n]); err != nil {
				t.Fatal(err)
			}
			if !want[p.SSRC] {
				t.Errorf("sink %d: SSRC %d not expected (or twice)", i, p.SSRC)
			}
			delete(want, p.SSRC)
		}
	}
	for _, s := range ss {
		if n := s.sent.Load(); n != 1 {
			t.Errorf("stream %d: sent %d, want 1", s.ssrc, n)
		}
	}
}

// BenchmarkShardSend is the generator's cost of one audio packet to 1,000 calls per tick, with one
// sendto per packet (the baseline, as before batch.go) and with sendmmsg. cpu-ns/packet is the process's
// CPU time (loopback delivery included) per packet; x-baseline divides it by the baseline's in the same
// run.
func BenchmarkShardSend(b *testing.B) {
	const calls = 1000
	var baseline float64
	for _, mode := range []string{"sendto", "sendmmsg"} {
		b.Run(mode, func(b *testing.B) {
			m := &Media{voice: voice()}
			sh := &shard{m: m, conn: listenUDP(b)}
			sh.batch = newBatchConn(sh.conn)
			sinks := []*net.UDPConn{listenUDP(b), listenUDP(b), listenUDP(b), listenUDP(b)}
			ss := make([]*Stream, calls)
			for i := range ss {
				ss[i] = &Stream{sh: sh, ssrc: uint32(i), remote: addrPort(sinks[i%len(sinks)])}
				ss[i].audio.Store(true)
			}
			batch := newSendBatch(sh.batch)
			var pkt rtp.Packet
			var buf [maxFrame]byte
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			for i := 0; i < b.N; {
				for _, s := range ss {
					if mode == "sendto" {
						n := s.audioFrame(&pkt, buf[:], m.voice)
						if _, err := sh.conn.WriteToUDPAddrPort(buf[:n], s.remote); err == nil {
							s.sent.Add(1)
						}
					} else {
						batch.add(s, s.audioFrame(&pkt, batch.next(), m.voice))
					}
					if i++; i == b.N {
						break
					}
				}
				batch.flush()
			}
			per := float64(cpuTime(b)-cpu) / float64(b.N)
			if mode == "sendto" {
				baseline = per
			}
			b.ReportMetric(per, "cpu-ns/packet")
			b.ReportMetric(per/baseline, "x-baseline")
		})
	}
}

// BenchmarkShardRead is the generator's cost of reading one packet from sipgate, with one recvfrom per
// packet (the baseline) and with recvmmsg, while another socket sends them in batches.
func BenchmarkShardRead(b *testing.B) {
	var baseline float64
	for _, mode := range []string{"recvfrom", "recvmmsg"} {
		b.Run(mode, func(b *testing.B) {
			rc, sc := listenUDP(b), listenUDP(b)
			_ = rc.SetReadBuffer(socketBuffer)
			send := newSendBatch(newBatchConn(sc))
			to := &Stream{remote: addrPort(rc)}
			rb := newReadBatch()
			conn := newBatchConn(rc)
			buf := make([]byte, maxDatagram)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			for got := 0; got < b.N; {
				for range min(batchSize, b.N-got) { // no more than the socket buffer holds
					send.add(to, 172)
				}
				send.flush()
				for want := got + min(batchSize, b.N-got); got < want; {
					rc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
					if mode == "recvfrom" {
						if _, _, err := rc.ReadFromUDPAddrPort(buf); err != nil {
							b.Fatal(err)
						}
						got++
						continue
					}
					n, err := rb.read(conn)
					if err != nil {
						b.Fatal(err)
					}
					got += n
				}
			}
			per := float64(cpuTime(b)-cpu) / float64(b.N)
			if mode == "recvfrom" {
				baseline = per
			}
			b.ReportMetric(per, "cpu-ns/packet")
			b.ReportMetric(per/baseline, "x-baseline")
		})
	}
}
