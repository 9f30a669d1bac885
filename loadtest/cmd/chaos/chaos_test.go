package main

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
)

func env(name string) string {
	return map[string]string{"SIPGATE_ADDR": "127.0.0.1:15060", "CORE_URL": "http://127.0.0.1:18080",
		"OPERATOR_TOKEN": "op", "MAILPIT_URL": "http://127.0.0.1:18025"}[name]
}

func TestParseConfig(t *testing.T) {
	c, err := parseConfig(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.faults) != len(faults) || c.core2Addr != "127.0.0.1:18083" || c.adminURL != c.coreURL || c.perPhase != 2 {
		t.Errorf("defaults: %+v", c)
	}
	if c, err := parseConfig([]string{"-faults", "valkey, s3"}, env); err != nil || strings.Join(c.faults, ",") != "valkey,s3" {
		t.Errorf("-faults valkey, s3: %v, %v", c.faults, err)
	}
	for _, tc := range []struct {
		args []string
		env  func(string) string
		want string
	}{
		{[]string{"-faults", "postgres,disk"}, env, `unknown fault "disk"`},
		{[]string{"-per-phase", "0"}, env, "at least 1"},
		{nil, func(string) string { return "" }, "SIPGATE_ADDR, CORE_URL, OPERATOR_TOKEN, MAILPIT_URL not set"},
	} {
		if _, err := parseConfig(tc.args, tc.env); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestJudge(t *testing.T) {
	killed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return killed.Add(time.Duration(ms) * time.Millisecond) }
	back := at(10000)
	after := []sample{{at: at(10100), code: 503, failing: []string{"postgres"}}, {at: at(10600), code: 200}}
	for _, tc := range []struct {
		name  string
		check string
		down  []sample
		truth bool
		state string
	}{
		{"the dead dependency named", "postgres", []sample{{at: at(200), code: 200}, {at: at(1500), code: 503, failing: []string{"postgres"}},
			{at: at(9000), code: 503, failing: []string{"postgres", "valkey"}}}, true, "200 ×1, 503 postgres ×1, 503 postgres+valkey ×1"},
		{"ready while it was down", "postgres", []sample{{at: at(1500), code: 503, failing: []string{"postgres"}}, {at: at(5000), code: 200}}, false, ""},
		{"another dependency named", "valkey", []sample{{at: at(1500), code: 503, failing: []string{"postgres"}}}, false, ""},
		{"the core down", unreachable, []sample{{at: at(1500)}, {at: at(2000)}}, true, unreachable + " ×2"},
		{"no check, ready throughout", "", []sample{{at: at(1500), code: 200}}, true, "200 ×1"},
		{"no check, yet not ready", "", []sample{{at: at(1500), code: 503, failing: []string{"livekit_sip"}}}, false, ""},
		{"no sample", "postgres", nil, false, ""},
	} {
		v := judge(tc.check, tc.down, after, killed, back)
		if v.Truthful != tc.truth || tc.state != "" && v.States != tc.state {
			t.Errorf("%s: %+v, want truthful %v, states %q", tc.name, v, tc.truth, tc.state)
		}
		if v.ReadyAfter != 600*time.Millisecond {
			t.Errorf("%s: ready after %v, want 600ms", tc.name, v.ReadyAfter)
		}
	}
	if v := judge("postgres", nil, after[:1], killed, back); v.ReadyAfter != -1 {
		t.Errorf("never ready again: %v", v.ReadyAfter)
	}
}

func TestCell(t *testing.T) {
	calls := []placed{
		{typing, caller.Result{Outcome: caller.WrongPrompt, Expected: caller.Bridged, Prompt: "unavailable",
			Heard: []string{"enter_pin", "enter_pin", "unavailable"}, ByeReason: `Q.850;cause=41;text="core_unavailable"`}},
		{typing, caller.Result{Outcome: caller.Busy, Expected: caller.Bridged, Status: 503}},
		{waiting, caller.Result{Outcome: caller.Waiting, Expected: caller.Waiting,
			Heard: []string{"enter_pin", "waiting_for_host", "music_on_hold", "music_on_hold"}}},
		{waiting, caller.Result{Outcome: caller.Waiting, Expected: caller.Waiting,
			Heard: []string{"enter_pin", "waiting_for_host", "music_on_hold"}}},
		{bridged, caller.Result{Outcome: caller.Dropped, Expected: caller.Bridged}},
	}
	for _, tc := range []struct {
		p    phase
		want string
	}{
		{typing, `1/2 busy (503 to the INVITE); 1/2 wrong_prompt (unavailable), heard unavailable, BYE Q.850;cause=41;text="core_unavailable"`},
		{waiting, "2/2 ok, heard waiting_for_host→music_on_hold"},
		{lobby, "–"},
		{bridged, "1/1 dropped"},
	} {
		if got := cell(calls, tc.p, time.Time{}); got != tc.want {
			t.Errorf("%s: %q\nwant %q", tc.p, got, tc.want)
		}
	}
	back := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	end := back.Add(20 * time.Second)
	through := caller.Result{Outcome: caller.Bridged, Expected: caller.Bridged, End: end, RTP: caller.RTP{LastEcho: back.Add(time.Second)}}
	silent := caller.Result{Outcome: caller.Bridged, Expected: caller.Bridged, End: end, RTP: caller.RTP{LastEcho: back.Add(-time.Second)}}
	gone := caller.Result{Outcome: caller.Bridged, Expected: caller.Bridged, End: back, RTP: caller.RTP{LastEcho: back.Add(-time.Second)}}
	if got := cell([]placed{{bridged, through}, {bridged, silent}, {bridged, gone}}, bridged, back); got != "1/3 ok; 1/3 ok, **no audio since the fault**; 1/3 ok, audio through" {
		t.Errorf("bridged calls after the return: %q", got)
	}
	if n := (row{Calls: calls}).lost(); n != 1 {
		t.Errorf("lost %d, want 1: only accepted calls cut off count", n)
	}
}

// TestBalancerFailsOver: with one replica gone, every connection reaches the other.
func TestBalancerFailsOver(t *testing.T) {
	live, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	go func() {
		for {
			c, err := live.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = c.Write([]byte("live\n")) }()
		}
	}()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	b, err := newBalancer(deadAddr, live.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.close(context.Background())
	for i := range 4 {
		c, err := net.Dial("tcp", b.addr())
		if err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || line != "live\n" {
			t.Errorf("connection %d: %q, %v", i, line, err)
		}
	}
}
