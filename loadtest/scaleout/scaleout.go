// Package scaleout computes the report of `make scaleout-test`
// (deploy/local/scaleout.sh): the script starts Kamailio, two sipgates and
// sipp, and stops and kills replicas; this package reads what they left
// (sipp's statistics and call logs per phase, the replicas' last /metrics
// samples, Kamailio's log) and says whether the run held.
package scaleout

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/meetline/meetline/loadtest/report"
)

// Run is what the script knows of a run besides its files.
type Run struct {
	Dir          string  // phase1…phase4 (stat.csv, calls.log) and metrics-* samples
	KamailioLog  string  // Kamailio's log of this run only
	PortA, PortB string  // the replicas' SIP ports, which sipp logs as the answering node
	Term, Kill   float64 // epoch seconds: SIGTERM to A (phase 2), SIGKILL to B (phase 4)
	// CallS is how long a call lasts from its answer (scaleout-call.xml).
	CallS float64
}

// Phase is one phase's calls: those placed in it, however long they lasted.
type Phase struct {
	N                    int
	Placed, Succeeded    int
	BySipgate            int // succeeded with sipgate hanging up (its hand-off into LiveKit refused)
	ByA, ByB             int // answered by each replica
	LostB                int // failed because B was killed while it held them
	Other                int // any other failure: counts against the run
	Slowest              float64
	DrainHeld, DrainDone int // calls A held at SIGTERM, and those that ended normally
}

// Report is the whole run.
type Report struct {
	Phases []Phase
	// Failover503 and FailoverTimeout count the INVITEs Kamailio sent on to
	// the other replica after a 503 (draining) or no answer (dead).
	Failover503, FailoverTimeout int
	// Bridged and HandoffFailed are the hand-offs into LiveKit, summed over
	// the replicas' last metrics samples.
	Bridged, HandoffFailed int
}

// Totals sums the phases.
func (r Report) Totals() (t Phase) {
	for _, p := range r.Phases {
		t.Placed += p.Placed
		t.Succeeded += p.Succeeded
		t.LostB += p.LostB
		t.Other += p.Other
		t.DrainHeld += p.DrainHeld
		t.DrainDone += p.DrainDone
	}
	return t
}

// Held reports whether the run held: calls succeeded, none failed but those
// B held when it was killed, and every call A held at SIGTERM ended normally.
func (r Report) Held() bool {
	t := r.Totals()
	return t.Other == 0 && t.Succeeded > 0 && t.DrainDone >= t.DrainHeld
}

// Compute reads the run's files. A phase whose files are missing counts
// nothing, as a phase whose sipp never started.
func Compute(run Run) (Report, error) {
	var r Report
	for n := 1; n <= 4; n++ {
		dir := filepath.Join(run.Dir, "phase"+strconv.Itoa(n))
		var st report.SippStat
		if f, err := os.Open(filepath.Join(dir, "stat.csv")); err == nil {
			st, _ = report.ParseSippStat(f) // a file without data: no calls counted
			f.Close()
		}
		var calls map[string]*call
		if f, err := os.Open(filepath.Join(dir, "calls.log")); err == nil {
			calls, err = parseCalls(f)
			f.Close()
			if err != nil {
				return Report{}, err
			}
		}
		r.Phases = append(r.Phases, phase(n, st, calls, run))
	}
	var err error
	if r.Failover503, r.FailoverTimeout, err = failovers(run.KamailioLog); err != nil {
		return Report{}, err
	}
	r.Bridged, r.HandoffFailed, err = handoffs(run.Dir)
	return r, err
}

// call is one call as sipp's log tells it.
type call struct {
	start, answered float64
	node            string // the answering replica's port, "" when unanswered
	done            string // who ended the dialog normally: caller or sipgate; "" when it did not
}

// parseCalls reads a sipp -trace_logs file of scaleout-call.xml's lines:
//
//	start <call> - <date> <time> <epoch>
//	answered <call> <node> <date> <time> <epoch> <contact>
//	done <call> <node> <date> <time> <epoch> caller|sipgate
func parseCalls(r io.Reader) (map[string]*call, error) {
	calls := map[string]*call{}
	get := func(id string) *call {
		c := calls[id]
		if c == nil {
			c = &call{}
			calls[id] = c
		}
		return c
	}
	starts := map[string]bool{}
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 6 {
			continue
		}
		epoch, _ := strconv.ParseFloat(f[5], 64)
		switch f[0] {
		case "start":
			get(f[1]).start = epoch
			starts[f[1]] = true
		case "answered":
			c := get(f[1])
			c.node, c.answered = f[2], epoch
		case "done":
			if len(f) > 6 {
				get(f[1]).done = f[6]
			}
		}
	}
	for id := range calls { // only calls whose start sipp logged count
		if !starts[id] {
			delete(calls, id)
		}
	}
	return calls, s.Err()
}

// phase counts phase n: sipp's statistics are the totals; the log says who
// answered and which failures B's death explains. Under heavy load sipp can
// drop a log line: the failures blamed on B or on the drain never exceed
// the failures sipp counted.
func phase(n int, st report.SippStat, calls map[string]*call, run Run) Phase {
	p := Phase{N: n, Placed: st.Successful + st.Failed, Succeeded: st.Successful}
	for _, c := range calls {
		if c.node != "" {
			p.Slowest = max(p.Slowest, c.answered-c.start)
		}
		switch c.node {
		case run.PortA:
			p.ByA++
		case run.PortB:
			p.ByB++
		}
		heldAtTerm := c.node == run.PortA && c.answered < run.Term && c.answered+run.CallS > run.Term
		heldAtKill := c.node == run.PortB && c.answered < run.Kill && c.answered+run.CallS+1 > run.Kill
		if heldAtTerm {
			p.DrainHeld++
			if c.done != "" {
				p.DrainDone++
			}
		}
		if c.done == "sipgate" {
			p.BySipgate++
		} else if c.done == "" && heldAtKill {
			p.LostB++
		}
	}
	p.LostB = min(p.LostB, st.Failed)
	drainLost := min(p.DrainHeld-p.DrainDone, st.Failed)
	p.DrainDone = p.DrainHeld - drainLost
	p.Other = st.Failed - p.LostB
	return p
}

// failovers counts Kamailio's log lines of a call sent on after a 503 and
// after no answer (408).
func failovers(log string) (after503, afterTimeout int, err error) {
	b, err := os.ReadFile(log)
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	return strings.Count(s, "failed the call (503)"), strings.Count(s, "failed the call (408)"), nil
}

// handoffs sums sipgate_handoffs_total by result over the last metrics
// sample of every replica process (a killed one's last sample included; a
// sample being written when its replica died is skipped).
func handoffs(dir string) (bridged, failed int, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "metrics-*"))
	if err != nil {
		return 0, 0, err
	}
	for _, name := range files {
		if strings.HasSuffix(name, ".tmp") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return 0, 0, err
		}
		bridged += sample(string(b), `sipgate_handoffs_total{result="bridged"}`)
		failed += sample(string(b), `sipgate_handoffs_total{result="failed"}`)
	}
	return bridged, failed, nil
}

// sample is the last value of name in a Prometheus text exposition, 0 when absent.
func sample(text, name string) int {
	v := 0
	for line := range strings.SplitSeq(text, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			x, _ := strconv.ParseFloat(f[1], 64)
			v = int(x)
		}
	}
	return v
}
