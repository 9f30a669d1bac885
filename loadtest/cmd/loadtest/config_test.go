package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
)

// stackEnv is what .run/env exports that the load test reads.
func stackEnv(name string) string {
	return map[string]string{"SIPGATE_ADDR": "127.0.0.1:15060", "SIPGATE_HTTP_ADDR": "127.0.0.1:18081",
		"CORE_URL": "http://127.0.0.1:18080", "CORE_ADMIN_URL": "http://127.0.0.1:18082", "OPERATOR_TOKEN": "op", "SIPGATE_MAX_CALLS": "1500",
		"SIPGATE_RTP_PORTS": "20000-23999"}[name]
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := parseConfig(nil, stackEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.sustain != (caller.Rate{PerSecond: 200, Duration: 60 * time.Second}) || len(c.steps) != 5 || c.conc != 1000 ||
		c.maxCalls != 1500 || len(c.phases) != len(phaseNames) || c.flags["sustain-rate"] != "200" {
		t.Errorf("defaults: %+v", c)
	}
	// The default run, `make up` included (make loadtest passes -start), fits in about three minutes: what is left
	// is the teardown and the report, a few seconds.
	if c.budget > 185*time.Second || time.Since(c.start) > time.Second {
		t.Errorf("default budget %v from %v", c.budget, c.start)
	}
	if c, err := parseConfig([]string{"-start", fmt.Sprint(time.Now().Add(-20 * time.Second).Unix())}, stackEnv); err != nil ||
		time.Since(c.start) < 19*time.Second {
		t.Errorf("-start 20 s ago: %v, %v", c.start, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-steps", "fast"}, {"-mix", "valid=x"}, {"-phases", "ramp,nap"}, {"-conc", "10", "-conc-bridged", "20"},
		{"-start", fmt.Sprint(time.Now().Add(time.Hour).Unix())},
	} {
		if _, err := parseConfig(args, stackEnv); err == nil {
			t.Errorf("parseConfig(%q): no error", args)
		}
	}
	_, err := parseConfig(nil, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "make up") {
		t.Errorf("without the stack's environment: %v", err)
	}
}

func TestPlanRamp(t *testing.T) {
	var steps []caller.Rate
	for _, r := range []float64{50, 100, 200, 300, 400} {
		steps = append(steps, caller.Rate{PerSecond: r, Duration: 3 * time.Second})
	}
	sustain := caller.Rate{PerSecond: 200, Duration: 60 * time.Second}
	plan, dropped := planRamp(steps, sustain, 8*time.Second, 10*time.Minute)
	var rates []float64
	for _, p := range plan {
		rates = append(rates, p.PerSecond)
		if p.sustained != (p.PerSecond == 200) || p.sustained && p.Duration != time.Minute {
			t.Errorf("step %+v", p)
		}
	}
	if len(dropped) != 0 || len(rates) != 5 || rates[2] != 200 {
		t.Errorf("rates %v dropped %v, want the sustained step in place of the 200/s one", rates, dropped)
	}
	// 3+3+60+3+3 s + 8 s of drain = 80 s: 74 s fit without the two highest steps.
	plan, dropped = planRamp(steps, sustain, 8*time.Second, 74*time.Second)
	if len(plan) != 3 || len(dropped) != 2 || dropped[0] != 400 || dropped[1] != 300 {
		t.Errorf("plan %v dropped %v", plan, dropped)
	}
	// Then the steps below the sustained one go, the nearest first: the goal's step stays.
	plan, _ = planRamp(steps, sustain, 8*time.Second, 71*time.Second)
	if len(plan) != 2 || plan[0].PerSecond != 50 || !plan[1].sustained {
		t.Errorf("plan %v", plan)
	}
	if plan, _ := planRamp(steps, sustain, 8*time.Second, time.Second); len(plan) != 0 {
		t.Errorf("nothing fits, yet %v", plan)
	}
}

func TestEvenPorts(t *testing.T) {
	for spec, want := range map[string]int{"20000-23999": 2000, "20001-20005": 2, "20000-20000": 1, "7-7": 0, "x": 0, "9-3": 0} {
		if got := evenPorts(spec); got != want {
			t.Errorf("evenPorts(%q) = %d, want %d", spec, got, want)
		}
	}
}

func TestHashLead(t *testing.T) {
	t0 := time.Unix(0, 0)
	rs := []caller.Result{{Start: t0, Hash: t0.Add(4 * time.Second)}, {Start: t0, Hash: t0.Add(2 * time.Second)},
		{Start: t0}, {Start: t0, Hash: t0.Add(3 * time.Second)},
		{Start: t0, Hash: t0.Add(19 * time.Second), Kind: caller.Slow}, {Start: t0, Hash: t0.Add(30 * time.Second), Kind: caller.Slow},
		{Step: 1, Start: t0, Hash: t0.Add(9 * time.Second)}}
	if got := hashLead(rs, 0); got != 3*time.Second {
		t.Errorf("hashLead = %v, want the median of the brisk callers, 3s", got)
	}
	if got := hashLead(rs, 1); got != 9*time.Second {
		t.Errorf("hashLead of step 1 = %v", got)
	}
	if hashLead(nil, 0) != 0 {
		t.Error("hashLead(nil) != 0")
	}
}

func TestDecidedBetween(t *testing.T) {
	t0 := time.Unix(100, 0)
	rs := []caller.Result{
		{Start: t0, Hash: t0.Add(5 * time.Second), End: t0.Add(6 * time.Second), Outcome: caller.Admitted},   // '#' at 5 s
		{Start: t0.Add(time.Second), End: t0.Add(time.Second), Outcome: caller.Busy},                         // refused at 1 s
		{Start: t0, End: t0.Add(9 * time.Second), Outcome: caller.NoPrompt},                                  // found out at 9 s
		{Start: t0, Hash: t0.Add(20 * time.Second), End: t0.Add(21 * time.Second), Outcome: caller.Admitted}, // a slow typist
	}
	if got := decidedBetween(rs, time.Time{}, t0.Add(5*time.Second)); len(got) != 1 || got[0].Outcome != caller.Busy {
		t.Errorf("before 5 s: %v", got)
	}
	if got := decidedBetween(rs, t0.Add(5*time.Second), t0.Add(10*time.Second)); len(got) != 2 {
		t.Errorf("from 5 s to 10 s: %v", got)
	}
	if got := decidedBetween(rs, t0.Add(10*time.Second), time.Time{}); len(got) != 1 || got[0].Hash.Sub(t0) != 20*time.Second {
		t.Errorf("from 10 s: %v", got)
	}
}

// TestRunDirFollowsMeetlineRun: a private stack (MEETLINE_RUN elsewhere, as make chaos's drill on a
// shared machine uses) has its pid files there, which the sampler reads.
func TestRunDirFollowsMeetlineRun(t *testing.T) {
	c, err := parseConfig(nil, stackEnv)
	if err != nil || c.runDir != ".run" {
		t.Fatalf("without MEETLINE_RUN: %q, %v", c.runDir, err)
	}
	env := func(name string) string {
		if name == "MEETLINE_RUN" {
			return "/tmp/private-run"
		}
		return stackEnv(name)
	}
	if c, err = parseConfig(nil, env); err != nil || c.runDir != "/tmp/private-run" {
		t.Errorf("with MEETLINE_RUN: %q, %v", c.runDir, err)
	}
	if c, err = parseConfig([]string{"-run-dir", "x"}, env); err != nil || c.runDir != "x" {
		t.Errorf("-run-dir x: %q, %v", c.runDir, err)
	}
}
