package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
)

// config is the run's flags and environment.
type config struct {
	out    string
	repo   string
	runDir string
	budget time.Duration
	start  time.Time // what budget counts from
	phases map[string]bool
	seed   uint64

	steps       []caller.Rate
	sustain     caller.Rate
	mix         caller.Mix
	hold        time.Duration
	drain       time.Duration
	agents      int
	shards      int
	maxInFlight int

	conc        int
	concBridged int
	concRate    float64
	plateau     time.Duration

	sippRate float64
	sippTime time.Duration

	benchTime string

	rooms, waitRooms, numbers int

	sipgateAddr, sipgateHTTP, coreURL string
	// coreAdminURL is the core's admin listener: its metrics and profiles.
	coreAdminURL             string
	operatorToken, userToken string
	maxCalls                 int
	rtpPorts                 string
	// recordsDir is sipgate's call records spool (SIPGATE_CALL_RECORDS_DIR): the spool benchmarks run beside it.
	recordsDir string

	cpuProfile string // the generator's own CPU profile

	flags map[string]string // as given, for the report
}

// phaseNames are the phases -phases picks from, in the order they run.
// The benchmarks go first, while the stack is idle (they run servers of their own on the same Postgres and
// Valkey); then the concurrency phase, so that its idle heap is sipgate's after a warm-up only; then sipp,
// whose check reads sipgate's counters and wants no other calls meanwhile; the ramp last, since its top
// steps overload the stack, whose leftover calls (ended by sipgate's no-RTP timeout) would disturb any
// phase after it.
var phaseNames = []string{"bench", "concurrency", "sipp", "ramp"}

func parseConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.StringVar(&c.out, "out", "loadtest/out", "where report.md, report.json, chart.svg and the profiles go")
	fs.StringVar(&c.repo, "repo", ".", "the repository's root (the benchmarks run there)")
	runDir := getenv("MEETLINE_RUN") // deploy/local's override of the run directory
	if runDir == "" {
		runDir = ".run"
	}
	fs.StringVar(&c.runDir, "run-dir", runDir, "the local stack's run directory (pid files; default $MEETLINE_RUN, else .run)")
	fs.DurationVar(&c.budget, "budget", 185*time.Second, "the whole run's time, from -start; a phase that does not fit is skipped or shortened and the report says so")
	start := fs.Int64("start", 0, "when the run began, in Unix seconds (make loadtest passes the time it started, so that `make up` counts in -budget); 0: now")
	phases := fs.String("phases", strings.Join(phaseNames, ","), "phases to run: "+strings.Join(phaseNames, ", "))
	fs.Uint64Var(&c.seed, "seed", 9, "seed of the callers' choices (PINs, timing, kinds)")
	steps := fs.String("steps", "50,100,150,250,300", "ramp rates in calls/s, each RATE[@DURATION]; the sustained rate is inserted in order")
	stepTime := fs.Duration("step-time", 4*time.Second, "how long a ramp step without @DURATION lasts")
	sustainRate := fs.Float64("sustain-rate", 200, "the sustained step's rate, calls/s")
	sustainTime := fs.Duration("sustain-time", 60*time.Second, "the sustained step's length")
	mix := fs.String("mix", "valid=82,invalid=8,slow=5,abandon=5,rfc4733=80,info=20", "ramp callers: kinds and DTMF methods by weight")
	fs.DurationVar(&c.hold, "hold", 0, "ramp callers with the right PIN stay this long once admitted, bridged into their room (0: they hang up at \"connecting\")")
	fs.DurationVar(&c.drain, "drain", 6*time.Second, "after the ramp's last arrival, how long calls get to end before they are cut")
	fs.IntVar(&c.agents, "agents", 2, "SIP user agents the callers share")
	fs.IntVar(&c.shards, "rtp-sockets", 4, "UDP sockets the callers' RTP shares")
	fs.IntVar(&c.maxInFlight, "max-in-flight", 4000, "calls in progress beyond which the generator skips arrivals")
	fs.IntVar(&c.conc, "conc", 1000, "concurrency phase: calls at once")
	fs.IntVar(&c.concBridged, "conc-bridged", 50, "concurrency phase: of which bridged into their room (LiveKit's SIP stand-in joins each over WebRTC)")
	fs.Float64Var(&c.concRate, "conc-rate", 200, "concurrency phase: arrival rate of the calls that are not bridged, calls/s")
	fs.DurationVar(&c.plateau, "plateau", 8*time.Second, "concurrency phase: how long every call stays once all are placed")
	fs.Float64Var(&c.sippRate, "sipp-rate", 25, "sipp phase: calls/s of each scenario (both run at once)")
	fs.DurationVar(&c.sippTime, "sipp-time", 3*time.Second, "sipp phase: how long calls arrive")
	fs.StringVar(&c.benchTime, "bench-time", "300ms", "bench phase: go test -benchtime")
	fs.IntVar(&c.rooms, "rooms", 50, "rooms that admit callers at once (public, phone_callers_first)")
	fs.IntVar(&c.waitRooms, "wait-rooms", 20, "rooms where callers wait for the host (public, nobody there)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write the generator's own CPU profile to this file")
	fs.IntVar(&c.numbers, "numbers", 50, "the trunk's numbers (wrong PINs are spread over them: the core allows 100 per number per minute)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.start = time.Now()
	if *start > 0 {
		c.start = time.Unix(*start, 0)
	}
	if time.Since(c.start) < -time.Minute {
		return c, fmt.Errorf("-start %d is in the future", *start)
	}
	var err error
	if c.steps, err = caller.ParseProfile(*steps, *stepTime); err != nil {
		return c, err
	}
	c.sustain = caller.Rate{PerSecond: *sustainRate, Duration: *sustainTime}
	if c.mix, err = caller.ParseMix(*mix); err != nil {
		return c, err
	}
	if c.phases, err = parsePhases(*phases); err != nil {
		return c, err
	}
	if c.concBridged > c.conc {
		return c, fmt.Errorf("-conc-bridged %d is more than -conc %d", c.concBridged, c.conc)
	}
	c.flags = map[string]string{}
	fs.Visit(func(f *flag.Flag) { c.flags[f.Name] = f.Value.String() })
	for _, name := range []string{"steps", "step-time", "sustain-rate", "sustain-time", "mix", "conc", "conc-bridged", "plateau", "budget"} {
		if _, ok := c.flags[name]; !ok {
			c.flags[name] = fs.Lookup(name).Value.String()
		}
	}
	return c, c.readEnv(getenv)
}

func parsePhases(s string) (map[string]bool, error) {
	m := map[string]bool{}
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		known := false
		for _, n := range phaseNames {
			known = known || n == p
		}
		if !known {
			return nil, fmt.Errorf("-phases: unknown phase %q (want %s)", p, strings.Join(phaseNames, ", "))
		}
		m[p] = true
	}
	return m, nil
}

// readEnv takes the stack's addresses and tokens from the environment (.run/env).
func (c *config) readEnv(getenv func(string) string) error {
	c.sipgateAddr, c.sipgateHTTP, c.coreURL = getenv("SIPGATE_ADDR"), getenv("SIPGATE_HTTP_ADDR"), getenv("CORE_URL")
	c.coreAdminURL = getenv("CORE_ADMIN_URL")
	c.operatorToken, c.userToken = getenv("OPERATOR_TOKEN"), getenv("LOADTEST_USER_TOKEN")
	c.recordsDir = getenv("SIPGATE_CALL_RECORDS_DIR")
	var missing []string
	for name, v := range map[string]string{"SIPGATE_ADDR": c.sipgateAddr, "SIPGATE_HTTP_ADDR": c.sipgateHTTP,
		"CORE_URL": c.coreURL, "CORE_ADMIN_URL": c.coreAdminURL, "OPERATOR_TOKEN": c.operatorToken} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s not set: run `make up` and `source .run/env` (make loadtest does both)", strings.Join(missing, ", "))
	}
	c.maxCalls = 500 // sipgate's default
	if v := getenv("SIPGATE_MAX_CALLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errors.New("SIPGATE_MAX_CALLS is not a number")
		}
		c.maxCalls = n
	}
	c.rtpPorts = getenv("SIPGATE_RTP_PORTS")
	if c.rtpPorts == "" {
		c.rtpPorts = "20000-29999"
	}
	return nil
}

// evenPorts counts the even ports of a "lo-hi" range: sipgate takes one per call leg.
func evenPorts(spec string) int {
	lo, hi, ok := strings.Cut(spec, "-")
	l, err1 := strconv.Atoi(lo)
	h, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || h < l {
		return 0
	}
	first := l + l%2
	if first > h {
		return 0
	}
	return (h-first)/2 + 1
}
