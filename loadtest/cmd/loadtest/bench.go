package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"time"

	"github.com/meetline/meetline/loadtest/report"
)

// benchPattern picks the core's RPC benchmarks that have a store-only baseline (core/api/rpc_bench_test.go).
const benchPattern = "ResolvePin|CreateRoom"

// bench runs the core's RPC benchmarks, Connect against pgx alone, in this run and on this machine.
func (t *loadTest) bench(ctx context.Context) {
	if avail := t.left() - t.reserveAfter("bench"); benchEstimate > avail {
		t.note("bench phase skipped: it needs about %v, %v left in the budget", benchEstimate, avail.Round(time.Second))
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 3*benchEstimate)
	defer cancel()
	cmd := exec.CommandContext(cctx, "go", "test", "-run", "^$", "-bench", benchPattern, "-benchtime", t.cfg.benchTime,
		"-count", "1", "./core/api")
	cmd.Dir = t.cfg.repo
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	t.log.Info("bench", "pattern", benchPattern, "benchtime", t.cfg.benchTime)
	if err := cmd.Run(); err != nil {
		t.note("core benchmarks failed: %v: %s", err, lastLines(out.String()+stderr.String(), 5))
		return
	}
	benches, err := report.ParseBench(bytes.NewReader(out.Bytes()))
	if err != nil || len(benches) == 0 {
		t.note("core benchmarks printed no result: %s", lastLines(out.String(), 5))
		return
	}
	t.rep.Bench = report.PairBenches(benches)
	var keep []string
	for line := range strings.SplitSeq(out.String(), "\n") {
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "cpu:") || strings.HasPrefix(line, "ok") {
			keep = append(keep, line)
		}
	}
	t.rep.BenchOutput = strings.Join(keep, "\n") + "\n"
}
