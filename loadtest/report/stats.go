// Package report turns a load test's measurements into loadtest/out/report.md and report.json: latency
// percentiles, the step profile's chart (SVG, drawn here), the RPC benchmarks' ratios, sipp's figures,
// and which targets were met.
package report

import (
	"math"
	"slices"
	"time"
)

// Latency summarises durations in milliseconds.
type Latency struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
}

// Summarize computes the percentiles of ds (nearest rank, so every figure is a duration that was
// measured, never an interpolation between two).
func Summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Latency{N: len(s), Mean: ms(sum / time.Duration(len(s))), P50: ms(Percentile(s, 50)),
		P90: ms(Percentile(s, 90)), P99: ms(Percentile(s, 99)), Max: ms(s[len(s)-1])}
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the nearest-rank method: the
// smallest value with at least p % of the values at or below it. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
