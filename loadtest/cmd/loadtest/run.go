package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
	"github.com/meetline/meetline/loadtest/fixture"
	"github.com/meetline/meetline/loadtest/probe"
	"github.com/meetline/meetline/loadtest/report"
)

// loadTest is one run: the stack it talks to, the callers, what it watches and what it found.
type loadTest struct {
	cfg      config
	log      *slog.Logger
	http     *http.Client
	deadline time.Time
	start    time.Time

	sampler *probe.Sampler
	targets []probe.Target
	fx      *fixture.Fixtures
	runner  *caller.Runner
	rec     *caller.Recognizer

	mu    sync.Mutex // guards rep where a phase's probes write it from a goroutine of their own
	rep   report.Report
	calls []phaseResult // every call, for calls.csv
	warm  bool          // the warm-up ran
	// spoolBench is the call records spool's benchmarks (bench phase), for the records' cost.
	spoolBench report.SpoolBench
}

// phaseResult is one call's result and the phase that placed it.
type phaseResult struct {
	phase string
	caller.Result
}

// record keeps results for calls.csv.
func (t *loadTest) record(phase string, results []caller.Result) {
	for _, r := range results {
		t.calls = append(t.calls, phaseResult{phase, r})
	}
}

// Estimates of the phases, reserved when an earlier one is planned.
const (
	benchEstimate = 25 * time.Second
	// spoolBenchEstimate: building sipgate's tests (cached after make test) and two short benchmarks.
	spoolBenchEstimate = 15 * time.Second
	sippOverhead       = 14 * time.Second // waiting for sipgate to be idle, the last calls' length
	setupEstimate      = 5 * time.Second
	warmUpEstimate     = 8 * time.Second
	// minBudget is the least a run gets; maxSetUp what `make up` takes when nothing is to be installed.
	minBudget = 120 * time.Second
	maxSetUp  = 20 * time.Second
)

func run(ctx context.Context, cfg config, log *slog.Logger) error {
	t := &loadTest{cfg: cfg, log: log, http: &http.Client{Timeout: 90 * time.Second}, start: time.Now()}
	t.deadline = cfg.start.Add(cfg.budget)
	t.rep = report.Report{Started: t.start, Settings: cfg.flags, SustainIndex: -1,
		Machine: report.Machine{CPUs: runtime.NumCPU(), Model: cpuModel(), Go: runtime.Version(),
			SipgateMaxCalls: cfg.maxCalls, SipgateRTPPorts: cfg.rtpPorts}}
	if since := time.Since(cfg.start); cfg.budget-since < minBudget {
		// `make up` installed the stack this time: the three minutes are for a stack already installed.
		t.deadline = time.Now().Add(cfg.budget - maxSetUp)
		t.note("the run began %v before the load test (a first `make up` installs everything): the budget counts from now", since.Round(time.Second))
	}
	if err := t.preflight(ctx); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(cfg.out, "profiles"), 0o755); err != nil {
		return err
	}
	sctx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	t.startSampler(sctx)
	if err := t.setUp(ctx); err != nil {
		return err
	}
	defer t.tearDown()
	t.background(ctx)
	phases := map[string]func(context.Context){"bench": t.bench, "concurrency": t.concurrency, "ramp": t.ramp, "sipp": t.sipp}
	for _, p := range phaseNames {
		if !cfg.phases[p] || ctx.Err() != nil {
			continue
		}
		if p != "bench" && !t.warm {
			t.warmUp(ctx)
		}
		phases[p](ctx)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	stopSampling()
	return t.write(ctx)
}

// preflight checks that the stack answers, so that a run against nothing fails at once and says why.
func (t *loadTest) preflight(ctx context.Context) error {
	for _, u := range []string{"http://" + t.cfg.sipgateHTTP + "/healthz", t.cfg.coreURL + "/readyz"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		res, err := t.http.Do(req)
		if err != nil {
			return fmt.Errorf("%s: %w (run make up)", u, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s (run make up)", u, res.Status)
		}
	}
	return nil
}

// startSampler watches the stack's processes and sipgate's metrics every half second.
func (t *loadTest) startSampler(ctx context.Context) {
	pid := func(name string) int {
		b, err := os.ReadFile(filepath.Join(t.cfg.runDir, name+".pid"))
		if err != nil {
			return 0
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	named := func(name string) func() []int { return probe.Named("/proc", name, 2*time.Second) }
	t.targets = []probe.Target{
		{Name: "sipgate", Pids: probe.Pid(pid("sipgate"))},
		{Name: "core", Pids: probe.Pid(pid("core"))},
		{Name: "postgres", Pids: named("postgres"), Reaped: true},
		{Name: "valkey", Pids: probe.Pid(pid("valkey"))},
		{Name: "livekit", Pids: probe.Pid(pid("livekit"))},
		{Name: "lksip-standin", Pids: probe.Pid(pid("lksip-standin"))},
		{Name: "generator", Pids: probe.Pid(os.Getpid())},
	}
	for _, tg := range t.targets {
		t.rep.Components = append(t.rep.Components, tg.Name)
	}
	t.rep.Components = append(t.rep.Components, kernelIRQ, others)
	t.sampler = &probe.Sampler{Proc: "/proc", Targets: t.targets, SipgatePID: pid("sipgate"),
		SipgateURL: "http://" + t.cfg.sipgateHTTP + "/metrics", CoreURL: t.cfg.coreAdminURL + "/metrics", HTTP: &http.Client{Timeout: 2 * time.Second},
		InFlight: func() int64 {
			if t.runner == nil {
				return 0
			}
			return t.runner.InFlight()
		}, Every: 500 * time.Millisecond}
	go t.sampler.Run(ctx)
}

// setUp makes the fixtures and the callers' user agents and sockets.
func (t *loadTest) setUp(ctx context.Context) error {
	token := t.cfg.userToken
	if token == "" {
		out, err := exec.CommandContext(ctx, filepath.Join(t.cfg.repo, "bin", "core"), "token", "--sub", "loadtest",
			"--email", "loadtest@example.org").Output()
		if err != nil {
			return fmt.Errorf("a user token from bin/core token (set LOADTEST_USER_TOKEN instead): %w", err)
		}
		token = strings.TrimSpace(string(out))
	}
	fx, err := fixture.Setup(ctx, fixture.Config{CoreURL: t.cfg.coreURL, OperatorToken: t.cfg.operatorToken, UserToken: token,
		Trunk: "loadtest", Numbers: t.cfg.numbers, OpenRooms: t.cfg.rooms, WaitRooms: t.cfg.waitRooms}, t.log)
	t.fx = fx
	if err != nil {
		return err
	}
	t.rep.Fixtures = report.Fixtures{TrunkNumbers: len(fx.Book.Wrong), OpenRooms: len(fx.Book.Open), WaitRooms: len(fx.Book.Wait),
		Elsewhere: fx.Elsewhere}
	t.log.Info("fixtures ready", "trunk_numbers", len(fx.Book.Wrong), "open_rooms", len(fx.Book.Open),
		"wait_rooms", len(fx.Book.Wait), "rooms_in_other_trunks", fx.Elsewhere)
	if t.rec, err = caller.NewRecognizer(); err != nil {
		return err
	}
	quiet := slog.New(slog.DiscardHandler) // sipgo's own logs: a failed call shows in its Result
	t.runner = &caller.Runner{Log: t.log, Seed: t.cfg.seed, MaxInFlight: t.cfg.maxInFlight}
	for range max(t.cfg.agents, 1) {
		a, err := caller.NewAgent(t.cfg.sipgateAddr, net.IPv4(127, 0, 0, 1), quiet)
		if err != nil {
			return err
		}
		t.runner.Agents = append(t.runner.Agents, a)
	}
	t.runner.Media, err = caller.NewMedia(netip.MustParseAddr("127.0.0.1"), t.cfg.shards, t.rec)
	return err
}

// background measures what the rest of the machine does before any call (at least 1.5 s since the
// sampler started, the fixtures' making included: that work is the stack's, not the others').
func (t *loadTest) background(ctx context.Context) {
	if err := sleepCtx(ctx, time.Until(t.start.Add(1500*time.Millisecond))); err != nil {
		return
	}
	t.sampler.Now(ctx)
	u, _ := t.usage(t.start, time.Now())
	t.rep.Background = u.CPU[others]
	if u.CPU[others] > 25 {
		t.note("before the first call, processes outside the stack used %.0f %% of one core: the figures understate the stack", u.CPU[others])
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// tearDown removes the fixtures and closes the callers.
func (t *loadTest) tearDown() {
	if t.runner != nil {
		for _, a := range t.runner.Agents {
			a.Close()
		}
		if t.runner.Media != nil {
			t.runner.Media.Close()
		}
	}
	if t.fx != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := t.fx.Teardown(ctx); err != nil {
			t.log.Warn("fixtures not all removed", "error", err)
		}
	}
}

// Components that are no process of the stack: the kernel's interrupt and softirq time (on loopback, much
// of each packet's delivery), and every other process (on a shared machine, other people's work).
const (
	kernelIRQ = "kernel irq"
	others    = "others"
)

// left is the time left in the budget.
func (t *loadTest) left() time.Duration { return time.Until(t.deadline) }

// note adds a line to the report's notes and the log.
func (t *loadTest) note(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	t.mu.Lock()
	t.rep.Notes = append(t.rep.Notes, msg)
	t.mu.Unlock()
	t.log.Warn(msg)
}

// profile takes a pprof profile of the service at base into the profiles directory and records it.
func (t *loadTest) profile(ctx context.Context, service, base, phase, kind, what string) {
	file := fmt.Sprintf("%s-%s-%s.pprof", service, phase, kind)
	path := filepath.Join(t.cfg.out, "profiles", file)
	if err := probe.Profile(ctx, t.http, base, what, path); err != nil {
		t.note("no %s %s profile during %s: %v", service, kind, phase, err)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rep.Profiles = append(t.rep.Profiles, report.Profile{Service: service, Phase: phase, Kind: kind,
		File: filepath.Join("profiles", file)})
}

// watchCore takes the core's goroutine profile every half second for d and returns the most goroutines seen
// waiting for Postgres, for Valkey, and in all.
func (t *loadTest) watchCore(ctx context.Context, d time.Duration) report.Waits {
	var w report.Waits
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	end := time.After(d)
	for {
		if g, err := probe.Goroutines(ctx, t.http, t.cfg.coreAdminURL); err == nil {
			w.Samples++
			w.Total, w.Postgres, w.Valkey = max(w.Total, g.Total), max(w.Postgres, g.Postgres), max(w.Valkey, g.Valkey)
		}
		select {
		case <-ctx.Done():
			return w
		case <-end:
			return w
		case <-tick.C:
		}
	}
}

// resolvePinHistogram is the core's ResolvePin duration histogram now (nil when its metrics cannot be read).
func (t *loadTest) resolvePinHistogram(ctx context.Context) []probe.Bucket {
	m, err := probe.Scrape(ctx, t.http, t.cfg.coreAdminURL+"/metrics")
	if err != nil {
		return nil
	}
	return m.Histogram("meetline_rpc_duration_seconds", `procedure="/meetline.v1.TelephonyService/ResolvePin"`)
}

// served bounds the core's ResolvePin times between two readings of its histogram.
func served(before, after []probe.Bucket) report.Served {
	p99, n := probe.Quantile(before, after, 0.99)
	maxBound, _ := probe.Quantile(before, after, 1)
	return report.Served{Requests: n, P99: p99, Max: maxBound}
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// usage converts the sampler's view of a window for the report.
func (t *loadTest) usage(from, to time.Time) (report.Usage, []probe.Sample) {
	samples := t.sampler.Between(from, to)
	u := probe.Use(samples)
	r := report.Usage{CPU: map[string]float64{}, PeakRSS: map[string]uint64{}, MachinePct: u.Machine,
		PeakActive: u.PeakActive, PeakBridged: u.PeakBridged, PeakFDs: u.PeakFDs, PeakInFlight: u.PeakInFlight,
		UDPRcvbuf: u.UDP.RcvbufErrors, UDPIn: u.UDP.InErrors}
	for i, tg := range t.targets {
		if i < len(u.CPU) {
			r.CPU[tg.Name] = u.CPU[i]
			r.PeakRSS[tg.Name] = u.PeakRSS[i]
		}
	}
	r.CPU[others], r.CPU[kernelIRQ] = u.Others, u.IRQ
	r.ResolvePin = u.ResolvePin
	return r, samples
}
