package report

import (
	"math"
	"strings"
	"testing"
)

const benchOutput = `goos: linux
goarch: amd64
pkg: github.com/meetline/meetline/core/api
cpu: Oxide Virtual Turin-like Processor             
BenchmarkResolvePin/c=1/connect-2         	    2173	    507176 ns/op	   15194 B/op	     203 allocs/op
BenchmarkResolvePin/c=1/baseline-2        	   17362	     66669 ns/op	    1939 B/op	      33 allocs/op
BenchmarkResolvePin/c=8/connect-2         	    3505	    363279 ns/op	   15306 B/op	     204 allocs/op
BenchmarkResolvePin/c=8/connect-h2c-2     	    3000	    400000 ns/op	   20306 B/op	     224 allocs/op
BenchmarkResolvePin/c=8/handler-2         	   10000	    100000 ns/op	    5306 B/op	      74 allocs/op
BenchmarkResolvePin/c=8/baseline-2        	   15400	     85506 ns/op	    2116 B/op	      36 allocs/op
BenchmarkCreateRoom/c=1/connect-2         	     343	   3443662 ns/op
BenchmarkOrphan/connect-2                 	     100	   1000 ns/op
BenchmarkLoopbackFloor-2   	   50000	     19270 ns/op	         0.3073 floor-ms/call-s	      2154 recv-ns/pkt	      3992 send-ns/pkt
BenchmarkSpoolPutParallel-2   	   51330	     28145 ns/op	     18724 cpu-ns/op	         0.06334 fsyncs/op
--- BENCH: something
PASS
ok  	github.com/meetline/meetline/core/api	25.247s
`

func TestParseBench(t *testing.T) {
	bs, err := ParseBench(strings.NewReader(benchOutput))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 10 {
		t.Fatalf("%d benchmarks, want 10: %+v", len(bs), bs)
	}
	if f := FloorOf(bs[8]); f == nil || f.SendNs != 3992 || f.RecvNs != 2154 || f.MsPerCallSecond != 0.3073 {
		t.Errorf("floor %+v from %+v", f, bs[8])
	}
	if f := FloorOf(bs[0]); f != nil {
		t.Errorf("a benchmark without the floor's metrics gave %+v", f)
	}
	if m := bs[9].Metrics; bs[9].NsPerOp != 28145 || m["cpu-ns/op"] != 18724 || m["fsyncs/op"] != 0.06334 || len(m) != 2 {
		t.Errorf("a benchmark's own metrics: %+v", bs[9])
	}
	if bs[0].Metrics != nil {
		t.Errorf("metrics of a benchmark that reports none: %v", bs[0].Metrics)
	}
	if b := bs[0]; b.Name != "BenchmarkResolvePin/c=1/connect" || b.Iterations != 2173 || b.NsPerOp != 507176 ||
		b.BytesPerOp != 15194 || b.AllocsPerOp != 203 {
		t.Errorf("first benchmark %+v", b)
	}
	pairs := PairBenches(bs)
	var names []string
	for _, p := range pairs {
		names = append(names, p.Name)
	}
	// A Connect benchmark without baseline has none; the other variants are named after theirs.
	if want := "BenchmarkResolvePin/c=1 BenchmarkResolvePin/c=8 BenchmarkResolvePin/c=8 (connect-h2c) BenchmarkResolvePin/c=8 (handler)"; strings.Join(names, " ") != want {
		t.Fatalf("pairs %q, want %q", names, want)
	}
	if p := pairs[3]; p.Connect.AllocsPerOp != 74 || math.Abs(p.Ratio-85506.0/100000.0) > 1e-9 {
		t.Errorf("handler pair %+v", p)
	}
	if p := pairs[0]; p.Name != "BenchmarkResolvePin/c=1" || math.Abs(p.Ratio-66669.0/507176.0) > 1e-9 {
		t.Errorf("pair %+v", p)
	}
	if got := bs[0].OpsPerSecond(); math.Abs(got-1e9/507176) > 1e-6 {
		t.Errorf("ops/s %v", got)
	}
}

func TestTrimProcs(t *testing.T) {
	for in, want := range map[string]string{"BenchmarkX-2": "BenchmarkX", "BenchmarkX/c=8/connect-16": "BenchmarkX/c=8/connect",
		"BenchmarkX": "BenchmarkX", "BenchmarkX/a-b": "BenchmarkX/a-b"} {
		if got := trimProcs(in); got != want {
			t.Errorf("trimProcs(%q) = %q, want %q", in, got, want)
		}
	}
}
