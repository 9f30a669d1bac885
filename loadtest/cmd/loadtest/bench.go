package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/meetline/meetline/loadtest/report"
)

// benchPattern picks the core's RPC benchmarks that have a store-only baseline (core/api/rpc_bench_test.go).
const benchPattern = "ResolvePin|CreateRoom"

// floorPattern picks sipgate/media's measure of a call's media in system calls alone, the floor under
// sipgate's CPU per call-second; 100,000 datagrams each way take about 2 s.
const floorPattern, floorTime = "^BenchmarkLoopbackFloor$", "100000x"

// spoolPattern picks the call records spool's benchmarks (sipgate/spool_test.go): one writer, then 16.
const spoolPattern = "^BenchmarkSpoolPut"

// bench runs the core's RPC benchmarks with the floor of a call's media, then the call records spool's.
func (t *loadTest) bench(ctx context.Context) {
	t.benchRPC(ctx)
	t.benchSpool(ctx)
}

// benchRPC runs, in this run and on this machine, the core's RPC benchmarks (Connect against pgx alone) and
// the floor of a call's media.
func (t *loadTest) benchRPC(ctx context.Context) {
	cctx, cancel, ok := t.benchWindow(ctx, "bench phase", benchEstimate)
	if !ok {
		return
	}
	defer cancel()
	benches, out, err := t.goBench(cctx, nil, "./core/api", benchPattern, t.cfg.benchTime)
	if err != nil {
		t.note("core benchmarks: %v", err)
	} else {
		t.rep.Bench = report.PairBenches(benches)
		t.rep.BenchOutput = out
	}
	floor, _, err := t.goBench(cctx, nil, "./sipgate/media", floorPattern, floorTime)
	if err != nil {
		t.note("the media floor's benchmark: %v", err)
		return
	}
	t.rep.Floor = report.FloorOf(floor[0])
}

// benchSpool runs the spool's benchmarks, in a directory beside sipgate's own spool (the same disk, so
// the same fsyncs): their CPU per record prices the records' lines and fsyncs in the sustained step.
func (t *loadTest) benchSpool(ctx context.Context) {
	cctx, cancel, ok := t.benchWindow(ctx, "spool benchmarks", spoolBenchEstimate)
	if !ok {
		return
	}
	defer cancel()
	var env []string
	if t.cfg.recordsDir != "" {
		tmp := filepath.Join(filepath.Dir(t.cfg.recordsDir), "loadtest-spool-bench")
		if err := os.MkdirAll(tmp, 0o700); err == nil {
			defer os.RemoveAll(tmp)
			env = append(os.Environ(), "TMPDIR="+tmp)
		}
	}
	benches, out, err := t.goBench(cctx, env, "./sipgate", spoolPattern, t.cfg.benchTime)
	if err != nil {
		t.note("spool benchmarks: %v", err)
		return
	}
	sb, ok := report.SpoolBenchFrom(benches)
	if !ok {
		t.note("spool benchmarks printed no CPU per record: %s", lastLines(out, 5))
		return
	}
	sb.Output = out
	t.spoolBench = sb
}

// benchWindow gives benchmarks expected to take estimate a context bounded at three times that, or, when
// the budget has no room for them, notes that they are skipped and reports false.
func (t *loadTest) benchWindow(ctx context.Context, what string, estimate time.Duration) (context.Context, context.CancelFunc, bool) {
	if avail := t.left() - t.reserveAfter("bench"); estimate > avail {
		t.note("%s skipped: it needs about %v, %v left in the budget", what, estimate, avail.Round(time.Second))
		return nil, nil, false
	}
	cctx, cancel := context.WithTimeout(ctx, 3*estimate)
	return cctx, cancel, true
}

// goBench runs go test's benchmarks matching pattern in pkg, with env if not nil, and returns them with the
// lines worth keeping of the output.
func (t *loadTest) goBench(ctx context.Context, env []string, pkg, pattern, benchTime string) ([]report.Bench, string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchTime, "-count", "1", pkg)
	cmd.Dir, cmd.Env = t.cfg.repo, env
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	t.log.Info("bench", "package", pkg, "pattern", pattern, "benchtime", benchTime)
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("%w: %s", err, lastLines(out.String()+stderr.String(), 5))
	}
	benches, err := report.ParseBench(bytes.NewReader(out.Bytes()))
	if err != nil || len(benches) == 0 {
		return nil, "", fmt.Errorf("printed no result: %s", lastLines(out.String(), 5))
	}
	var keep []string
	for line := range strings.SplitSeq(out.String(), "\n") {
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "cpu:") || strings.HasPrefix(line, "ok") {
			keep = append(keep, line)
		}
	}
	return benches, strings.Join(keep, "\n") + "\n", nil
}
