package probe

import (
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and parentheses; utime 1234, stime 566 ticks.
	line := "4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 566 0 0 20 0 12 0 100 1000000 500 18446744073709551615\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil || got != 1800*clockTick {
		t.Errorf("parseStatCPU = %v, %v; want 18 s", got, err)
	}
	for _, bad := range []string{"", "4242 (x S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		if _, err := parseStatCPU([]byte(bad)); err == nil {
			t.Errorf("parseStatCPU(%q): no error", bad)
		}
	}
}

func TestParseMachineCPU(t *testing.T) {
	in := "cpu  100 5 50 800 20 3 7 0 9 9\ncpu0 1 2 3 4 5 6 7 8 9 10\n"
	busy, total, err := parseMachineCPU([]byte(in))
	// total = user..steal = 985; idle + iowait = 820; guest columns are part of user already.
	if err != nil || total != 985*clockTick || busy != 165*clockTick {
		t.Errorf("busy %v total %v err %v", busy, total, err)
	}
	if _, _, err := parseMachineCPU([]byte("intr 1 2 3\n")); err == nil {
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
		{At: t0, CPU: []time.Duration{0, time.Second}, RSS: []uint64{10, 20}, Busy: 0, Total: 0, Active: 5, ResolvePinSum: 1, ResolvePinCount: 100},
		{At: t0.Add(time.Second), CPU: []time.Duration{300 * time.Millisecond, time.Second}, RSS: []uint64{30, 20}, Active: 9, SipgateFDs: 40},
		{At: t0.Add(2 * time.Second), CPU: []time.Duration{time.Second, 1500 * time.Millisecond}, RSS: []uint64{15, 25},
			Busy: 3 * time.Second, Total: 4 * time.Second, Active: 7, UDP: UDP{RcvbufErrors: 3}, ResolvePinSum: 1.5, ResolvePinCount: 200},
	}
	u := Use(s)
	// Two cores (4 s of CPU time in 2 s) 75 % busy: 150 % of one core, of which the targets used 75 %.
	if u.Seconds != 2 || u.CPU[0] != 50 || u.CPU[1] != 25 || u.Machine != 75 || u.Others != 75 {
		t.Errorf("CPU %v machine %v others %v over %v s", u.CPU, u.Machine, u.Others, u.Seconds)
	}
	if u.PeakActive != 9 || u.PeakRSS[0] != 30 || u.PeakFDs != 40 || u.UDP.RcvbufErrors != 3 || u.ResolvePin != 5 {
		t.Errorf("peaks %+v", u)
	}
	if u := Use(s[:1]); u.Seconds != 0 || u.CPU != nil {
		t.Error("one sample makes a usage")
	}
}
