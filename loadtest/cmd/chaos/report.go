package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
)

// row is what one fault did.
type row struct {
	Fault, Check  string
	Back          time.Time // when the service answered again
	RestartTook   time.Duration
	Recovered     time.Duration // from the service's return to the first new call bridged; -1: not within the limit
	ProbesFailed  int
	ProbeFailures []string
	Readyz        verdict
	Calls         []placed
	Mail          mailRecord
}

// report is the drill's findings.
type report struct {
	Started  time.Time
	Took     time.Duration
	Outage   time.Duration
	Hold     time.Duration // how long after the kill the held callers stayed, at least
	PerPhase int
	Baseline time.Duration // a bridged call on the healthy stack, for comparison with Recovered
	Rows     []row
}

// lost counts the calls that had been accepted (bridged, waiting, in a lobby) and were dropped: their
// caller was cut off, rather than told and let go.
func (r row) lost() int {
	n := 0
	for _, c := range r.Calls {
		if c.phase != typing && c.Outcome == caller.Dropped {
			n++
		}
	}
	return n
}

// describe is one call as the table tells it: its outcome, what it heard after the PIN, and the BYE's
// Reason when sipgate hung up.
func describe(r caller.Result) string {
	s := string(r.Outcome)
	if r.OK() {
		s = "ok"
	}
	if r.Outcome == caller.Busy || r.Outcome == caller.Refused {
		s += fmt.Sprintf(" (%d to the INVITE)", r.Status)
	}
	if r.Outcome == caller.WrongPrompt && r.Prompt != "" {
		s += " (" + r.Prompt + ")"
	}
	if h := heardAfterPIN(r.Heard); len(h) > 0 {
		s += ", heard " + strings.Join(h, "→")
	}
	if r.ByeReason != "" {
		s += ", BYE " + r.ByeReason
	}
	return s
}

// describeAt is describe for a call up during a fault whose service came back at back: a bridged call
// also says whether its audio still came back through the room afterwards.
func describeAt(r caller.Result, back time.Time) string {
	s := describe(r)
	if r.Outcome != caller.Bridged || back.IsZero() || !r.End.After(back.Add(2*time.Second)) {
		return s // not bridged, or hung up before its audio could come back
	}
	if r.RTP.LastEcho.After(back) {
		return s + ", audio through"
	}
	return s + ", **no audio since the fault**"
}

// heardAfterPIN is what a caller heard after "enter the PIN", with repeats of music on hold merged.
func heardAfterPIN(heard []string) []string {
	var out []string
	for _, h := range heard {
		if h == caller.PromptEnterPIN || len(out) > 0 && out[len(out)-1] == h {
			continue
		}
		out = append(out, h)
	}
	return out
}

// cell sums up the calls of one phase: each distinct description and how many calls had it.
func cell(calls []placed, p phase, back time.Time) string {
	counts := map[string]int{}
	total := 0
	for _, c := range calls {
		if c.phase == p {
			counts[describeAt(c.Result, back)]++
			total++
		}
	}
	if total == 0 {
		return "–"
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d/%d %s", counts[k], total, k))
	}
	return strings.Join(parts, "; ")
}

func seconds(d time.Duration) string {
	if d < 0 {
		return "**not recovered**"
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func (r row) readyzCell() string {
	v := r.Readyz
	truth := "told the truth"
	if !v.Truthful {
		truth = "**did not tell the truth**"
	}
	want := "want " + r.Check
	if r.Check == "" {
		truth, want = "no check covers it", "200 throughout: "+fmt.Sprint(v.Truthful)
	}
	return fmt.Sprintf("%s (%s): %s; 200 again %s after the return", truth, want, v.States, seconds(v.ReadyAfter))
}

func (r row) mailCell() string {
	m := r.Mail
	switch {
	case !m.Accepted && m.Refusal != "":
		return "refused (" + m.Refusal + "): nothing queued, the sender was told"
	case !m.Accepted:
		return "not tried"
	case m.Delivered:
		return "queued, delivered"
	}
	return "**queued, lost**"
}

// markdown writes the report.
func (rep report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Chaos drill\n\n`make chaos`, %s, %s in all. Each fault: %d callers in each phase (keys by RFC 4733 and by SIP INFO alternately), the service SIGKILLed (`deploy/local/crash.sh`) and brought back %s later (`deploy/local/restart.sh`). Callers typing dial in right after the kill and type their PIN during the outage; the others reached their phase before it and stay until at least %s after the kill (past sipgate's 30 s no-RTP timeout). A bridged call on the healthy stack took %s from the INVITE to its audio back through the room: the recovery times below include that much.\n\n",
		rep.Started.UTC().Format("2006-01-02 15:04 UTC"), rep.Took.Round(time.Second), rep.PerPhase, rep.Outage, rep.Hold, seconds(rep.Baseline))
	b.WriteString("| fault | typing | waiting for the host | in the lobby | bridged | accepted calls lost | new calls bridged after the return | /readyz meanwhile | e-mail queued during the outage |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Rows {
		cells := []string{r.Fault}
		for _, p := range phases {
			cells = append(cells, cell(r.Calls, p, r.Back))
		}
		rec := seconds(r.Recovered)
		if r.ProbesFailed > 0 {
			rec += fmt.Sprintf(" (%d failed first: %s)", r.ProbesFailed, strings.Join(compact(r.ProbeFailures), "; "))
		}
		cells = append(cells, fmt.Sprint(r.lost()), rec, r.readyzCell(), r.mailCell())
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("\nHow to read it: `ok` is a call that went as planned (bridged, or still waiting with music on hold when released); `dropped` is a call sipgate hung up; `heard` lists the prompts after the PIN in order; `BYE` is the Reason header of sipgate's BYE; a bridged call says whether its own audio still came back through the room (LiveKit's SIP stand-in echoes it) after the service's return. \"New calls bridged after the return\" is from `restart.sh`'s return (the service answering) to the first probe call (one every 2 s) bridged into a room, with no manual step. /readyz was polled every 250 ms; the table gives its answers from the kill to the restart; \"want\" is the check that should fail meanwhile. Restarting a service took: ")
	var took []string
	for _, r := range rep.Rows {
		took = append(took, fmt.Sprintf("%s %.1f s", r.Fault, r.RestartTook.Seconds()))
	}
	b.WriteString(strings.Join(took, ", ") + ".\n")
	return b.String()
}

// compact merges equal strings into "N× s".
func compact(ss []string) []string {
	counts := map[string]int{}
	var order []string
	for _, s := range ss {
		if counts[s] == 0 {
			order = append(order, s)
		}
		counts[s]++
	}
	out := make([]string, 0, len(order))
	for _, s := range order {
		if counts[s] > 1 {
			s = fmt.Sprintf("%d× %s", counts[s], s)
		}
		out = append(out, s)
	}
	return slices.Clip(out)
}

func (rep report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p := filepath.Join(dir, "chaos.md")
	if err := os.WriteFile(p, []byte(rep.markdown()), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "chaos: report in", p)
	return nil
}
