package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// fault is one service the drill kills and brings back.
type fault struct {
	name    string // the row's name, and -faults'
	service string // deploy/local/crash.sh's and restart.sh's name
	// check is the /readyz check that must fail while the service is down: "" when none covers it,
	// unreachable when the core itself is down.
	check string
	// replicas runs a second core behind a balancer in front of sipgate for this fault.
	replicas bool
}

// unreachable stands for "/readyz does not answer" where a check's name is expected.
const unreachable = "(unreachable)"

var faults = []fault{
	{name: "postgres", service: "postgres", check: "postgres"},
	{name: "valkey", service: "valkey", check: "valkey"},
	{name: "core", service: "core", check: unreachable},
	{name: "core-replica", service: "core", check: unreachable, replicas: true},
	{name: "livekit", service: "livekit", check: "livekit"},
	{name: "lksip-standin", service: "lksip-standin"},
	{name: "mailpit", service: "mailpit"},
	{name: "s3", service: "s3", check: "s3"},
}

func faultNames() []string {
	var out []string
	for _, f := range faults {
		out = append(out, f.name)
	}
	return out
}

func faultByName(name string) (fault, bool) {
	for _, f := range faults {
		if f.name == name {
			return f, true
		}
	}
	return fault{}, false
}

// script runs deploy/local/NAME with args in the stack's environment (MEETLINE_RUN and the port
// overrides are inherited), and says what it printed when it fails.
func script(ctx context.Context, repo, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(repo, "deploy", "local", name), args...)
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, lastLines(string(out), 5))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], " | ")
}
