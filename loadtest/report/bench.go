package report

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Bench is one line of `go test -bench` output.
type Bench struct {
	Name        string  `json:"name"` // without the -GOMAXPROCS suffix
	Iterations  int     `json:"iterations"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
	// Metrics are the benchmark's own (b.ReportMetric), by unit: "cpu-ns/op", "fsyncs/op".
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// OpsPerSecond is the benchmark's throughput: ns/op is wall time per operation, however many goroutines
// ran them.
func (b Bench) OpsPerSecond() float64 {
	if b.NsPerOp <= 0 {
		return 0
	}
	return 1e9 / b.NsPerOp
}

// ParseBench reads the benchmark lines of `go test -bench` output and ignores everything else.
func ParseBench(r io.Reader) ([]Bench, error) {
	var out []Bench
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		b := Bench{Name: trimProcs(f[0]), Iterations: n}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				b.NsPerOp = v
			case "B/op":
				b.BytesPerOp = v
			case "allocs/op":
				b.AllocsPerOp = v
			default:
				if b.Metrics == nil {
					b.Metrics = make(map[string]float64)
				}
				b.Metrics[f[i+1]] = v
			}
		}
		if b.NsPerOp > 0 {
			out = append(out, b)
		}
	}
	return out, s.Err()
}

// trimProcs drops the "-2" go test appends to a benchmark's name for GOMAXPROCS.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// BenchPair is a Connect benchmark beside its store-only baseline at the same concurrency.
type BenchPair struct {
	Name     string `json:"name"` // e.g. BenchmarkResolvePin/c=8
	Connect  Bench  `json:"connect"`
	Baseline Bench  `json:"baseline"`
	// Ratio is the Connect throughput as a fraction of the baseline's.
	Ratio float64 `json:"ratio"`
}

// PairBenches matches every ".../connect" benchmark, and every other variant beside a ".../baseline"
// (".../connect-h2c", ".../handler": the core's handler alone), with that baseline, in the order they ran. A
// variant other than connect is named after it: "BenchmarkResolvePin/c=8 (connect-h2c)".
func PairBenches(bs []Bench) []BenchPair {
	base := make(map[string]Bench)
	for _, b := range bs {
		if p, ok := strings.CutSuffix(b.Name, "/baseline"); ok {
			base[p] = b
		}
	}
	var out []BenchPair
	for _, b := range bs {
		i := strings.LastIndexByte(b.Name, '/')
		if i < 0 {
			continue
		}
		p, variant := b.Name[:i], b.Name[i+1:]
		bl, ok := base[p]
		if !ok || variant == "baseline" {
			continue
		}
		name := p
		if variant != "connect" {
			name += " (" + variant + ")"
		}
		out = append(out, BenchPair{Name: name, Connect: b, Baseline: bl, Ratio: b.OpsPerSecond() / bl.OpsPerSecond()})
	}
	return out
}
