package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/meetline/meetline/loadtest/report"
)

// benchPattern picks the core's RPC benchmarks that have a store-only baseline (core/api/rpc_bench_test.go).
const benchPattern = "ResolvePin|CreateRoom"

// bench runs the core's RPC benchmarks, then the call records spool's.
func (t *loadTest) bench(ctx context.Context) {
	t.benchRPC(ctx)
	t.benchSpool(ctx)
}

// benchRPC runs the core's RPC benchmarks, Connect against pgx alone, in this run and on this machine.
func (t *loadTest) benchRPC(ctx context.Context) {
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

// spoolPattern picks the call records spool's benchmarks (sipgate/spool_test.go): one writer, then 16.
const spoolPattern = "^BenchmarkSpoolPut"

// benchSpool runs the spool's benchmarks, in a directory beside sipgate's own spool (the same disk, so
// the same fsyncs): their CPU per record prices the records' lines and fsyncs in the sustained step.
func (t *loadTest) benchSpool(ctx context.Context) {
	if avail := t.left() - t.reserveAfter("bench"); spoolBenchEstimate > avail {
		t.note("spool benchmarks skipped: they need about %v, %v left in the budget", spoolBenchEstimate, avail.Round(time.Second))
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 3*spoolBenchEstimate)
	defer cancel()
	cmd := exec.CommandContext(cctx, "go", "test", "-run", "^$", "-bench", spoolPattern, "-benchtime", t.cfg.benchTime, "-count", "1", "./sipgate")
	cmd.Dir = t.cfg.repo
	if t.cfg.recordsDir != "" {
		tmp := filepath.Join(filepath.Dir(t.cfg.recordsDir), "loadtest-spool-bench")
		if err := os.MkdirAll(tmp, 0o700); err == nil {
			defer os.RemoveAll(tmp)
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		}
	}
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	t.log.Info("bench", "pattern", spoolPattern, "benchtime", t.cfg.benchTime)
	if err := cmd.Run(); err != nil {
		t.note("spool benchmarks failed: %v: %s", err, lastLines(out.String()+stderr.String(), 5))
		return
	}
	benches, _ := report.ParseBench(bytes.NewReader(out.Bytes()))
	sb, ok := report.SpoolBenchFrom(benches)
	if !ok {
		t.note("spool benchmarks printed no CPU per record: %s", lastLines(out.String(), 5))
		return
	}
	var keep []string
	for line := range strings.SplitSeq(out.String(), "\n") {
		if strings.HasPrefix(line, "Benchmark") {
			keep = append(keep, line)
		}
	}
	sb.Output = strings.Join(keep, "\n") + "\n"
	t.spoolBench = sb
}
