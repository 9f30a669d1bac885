package probe

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and parentheses; utime 1234, stime 566 ticks.
	line := "4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 566 0 0 20 0 12 0 100 1000000 500 18446744073709551615\n"
	self, children, err := parseStatCPU([]byte(line))
	if err != nil || self != 1800*clockTick || children != 0 {
		t.Errorf("parseStatCPU = %v, %v, %v; want 18 s and none", self, children, err)
	}
	reaper := "1 (postgres) S 1 1 1 0 -1 4194560 1000 0 0 0 100 50 700 300 20 0 12 0 100 1000000 500\n"
	if self, children, err := parseStatCPU([]byte(reaper)); err != nil || self != 150*clockTick || children != 1000*clockTick {
		t.Errorf("with reaped children: %v, %v, %v", self, children, err)
	}
	for _, bad := range []string{"", "4242 (x S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s 0 0"} {
		if _, _, err := parseStatCPU([]byte(bad)); err == nil {
			t.Errorf("parseStatCPU(%q): no error", bad)
		}
	}
}

func TestParseMachineCPU(t *testing.T) {
	in := "cpu  100 5 50 800 20 3 7 0 9 9\ncpu0 1 2 3 4 5 6 7 8 9 10\n"
	c, err := parseMachineCPU([]byte(in))
	// total = user..steal = 985; idle + iowait = 820; irq + softirq = 10; guest columns are part of user already.
	if err != nil || c.Total != 985*clockTick || c.Busy != 165*clockTick || c.IRQ != 10*clockTick {
		t.Errorf("%+v, %v", c, err)
	}
	if _, err := parseMachineCPU([]byte("intr 1 2 3\n")); err == nil {
		t.Error("no cpu line: no error")
	}
}

func TestParseSNMPAndStatus(t *testing.T) {
	snmp := "Ip: Forwarding DefaultTTL\nIp: 1 64\nUdp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n" +
		"Udp: 1000 3 7 900 5 2 0 0 0\nUdpLite: InDatagrams\nUdpLite: 0\n"
	u, err := parseSNMP([]byte(snmp))
	if err != nil || u != (UDP{InDatagrams: 1000, InErrors: 7, RcvbufErrors: 5, SndbufErrors: 2}) {
		t.Errorf("parseSNMP = %+v, %v", u, err)
	}
	if d := u.Sub(UDP{InDatagrams: 400, InErrors: 2, RcvbufErrors: 5}); d != (UDP{600, 5, 0, 2}) {
		t.Errorf("Sub = %+v", d)
	}
	rss, err := parseStatusKB([]byte("Name:\tsipgate\nVmRSS:\t   20480 kB\nThreads: 9\n"), "VmRSS:")
	if err != nil || rss != 20480*1024 {
		t.Errorf("VmRSS = %d, %v", rss, err)
	}
}

func TestParseMetrics(t *testing.T) {
	in := `# HELP sipgate_active_calls Calls in progress.
# TYPE sipgate_active_calls gauge
sipgate_active_calls 12
sipgate_calls_total{outcome="connected"} 3
sipgate_calls_total{outcome="wrong_pin"} 4
meetline_rpc_duration_seconds_sum{procedure="/a b/c"} 0.25 1700000000000
go_memstats_heap_alloc_bytes 1.5e+06
broken_line
nan_is_kept NaN
`
	m, err := ParseMetrics(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]float64{"sipgate_active_calls": 12, `sipgate_calls_total{outcome="connected"}`: 3,
		`meetline_rpc_duration_seconds_sum{procedure="/a b/c"}`: 0.25, "go_memstats_heap_alloc_bytes": 1.5e6} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if got := m.Sum("sipgate_calls_total"); got != 7 {
		t.Errorf("Sum = %v, want 7", got)
	}
}

func TestUse(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := []Sample{
		{At: t0, CPU: []time.Duration{0, time.Second}, RSS: []uint64{10, 20}, Active: 5, ResolvePinSum: 1, ResolvePinCount: 100},
		{At: t0.Add(time.Second), CPU: []time.Duration{300 * time.Millisecond, time.Second}, RSS: []uint64{30, 20}, Active: 9, SipgateFDs: 40},
		{At: t0.Add(2 * time.Second), CPU: []time.Duration{time.Second, 1500 * time.Millisecond}, RSS: []uint64{15, 25},
			Machine: CPUTimes{Busy: 3 * time.Second, Total: 4 * time.Second, IRQ: 200 * time.Millisecond}, Active: 7,
			UDP: UDP{RcvbufErrors: 3}, ResolvePinSum: 1.5, ResolvePinCount: 200},
	}
	u := Use(s)
	// Two cores (4 s of CPU time in 2 s) 75 % busy: 150 % of one core, of which the targets used 75 % and
	// interrupts 10 %.
	if u.Seconds != 2 || u.CPU[0] != 50 || u.CPU[1] != 25 || u.Machine != 75 || u.IRQ != 10 || u.Others != 65 {
		t.Errorf("CPU %v machine %v irq %v others %v over %v s", u.CPU, u.Machine, u.IRQ, u.Others, u.Seconds)
	}
	if u.PeakActive != 9 || u.PeakRSS[0] != 30 || u.PeakFDs != 40 || u.UDP.RcvbufErrors != 3 || u.ResolvePin != 5 {
		t.Errorf("peaks %+v", u)
	}
	if u := Use(s[:1]); u.Seconds != 0 || u.CPU != nil {
		t.Error("one sample makes a usage")
	}
}

func TestParseUDPDrops(t *testing.T) {
	in := "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
		" 4692: 00000000:87A7 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2272810 2 0000000051a20fc5 0\n" +
		" 6395: 0100007F:4E4E 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2345514 2 00000000f3278d79 37\n" +
		"short line\n"
	m := map[uint64]uint64{}
	parseUDPDrops([]byte(in), m)
	if len(m) != 1 || m[2345514] != 37 {
		t.Errorf("drops %v, want inode 2345514: 37", m)
	}
}

func TestSocketDropsOfThisProcess(t *testing.T) {
	// This process's own sockets are found by inode; none has drops, so the count is 0 and nothing fails.
	got := SocketDrops("/proc", []Target{{Name: "self", Pids: Pid(os.Getpid())}})
	if got["self"] != 0 {
		t.Errorf("drops %v", got)
	}
}

func TestParseGoroutines(t *testing.T) {
	in := `goroutine profile: total 12
5 @ 0x4909ae 0x451977
#	0x48fb84	internal/poll.runtime_pollWait+0x84		/usr/local/go/src/runtime/netpoll.go:351
#	0x832892	net/http.(*conn).serve+0x7f2			/usr/local/go/src/net/http/server.go:2103

4 @ 0x4909ae 0x4923f3
#	0x4923d2	sync.runtime_notifyListWait+0x192
#	0x161db8c	github.com/jackc/puddle/v2.(*Pool[...]).Acquire+0x6c	/root/go/pkg/mod/x.go:1
#	0x161db8d	github.com/jackc/pgx/v5/pgxpool.(*Pool).Acquire+0x6c	/root/go/pkg/mod/y.go:2

3 @ 0x4909ae
#	0x161db8c	github.com/valkey-io/valkey-go.(*pipe).Do+0x6c	/root/go/pkg/mod/z.go:3
`
	w, err := parseGoroutines(strings.NewReader(in))
	if err != nil || w != (Waiting{Total: 12, Postgres: 4, Valkey: 3}) {
		t.Errorf("parseGoroutines = %+v, %v", w, err)
	}
}

func TestHistogramQuantile(t *testing.T) {
	scrape := func(counts ...float64) Metrics {
		m := Metrics{}
		for i, le := range []string{"0.002", "0.008", "0.032", "2.048", "+Inf"} {
			m[`rpc_seconds_bucket{procedure="/p",le="`+le+`"}`] = counts[i]
		}
		m[`rpc_seconds_bucket{procedure="/other",le="0.002"}`] = 99
		return m
	}
	before := scrape(10, 10, 10, 10, 10).Histogram("rpc_seconds", `procedure="/p"`)
	after := scrape(60, 100, 108, 110, 110).Histogram("rpc_seconds", `procedure="/p"`)
	if len(after) != 5 || !math.IsInf(after[4].Le, 1) {
		t.Fatalf("buckets %v", after)
	}
	// 100 observations between the scrapes: 50 ≤ 2 ms, 90 ≤ 8 ms, 98 ≤ 32 ms, all ≤ 2.048 s.
	for q, want := range map[float64]float64{0.5: 0.002, 0.9: 0.008, 0.98: 0.032, 0.99: 2.048, 1: 2.048} {
		if got, n := Quantile(before, after, q); got != want || n != 100 {
			t.Errorf("Quantile(%v) = %v over %v, want %v over 100", q, got, n, want)
		}
	}
	if got, n := Quantile(after, after, 0.99); got != 0 || n != 0 {
		t.Errorf("no observations: %v, %v", got, n)
	}
	plain := Metrics{`write_seconds_bucket{le="0.001"}`: 3, `write_seconds_bucket{le="+Inf"}`: 4, `write_seconds_count`: 4}
	if b := plain.Histogram("write_seconds", ""); len(b) != 2 || b[0] != (Bucket{Le: 0.001, Count: 3}) {
		t.Errorf("a histogram without labels: %v", b)
	}
}
