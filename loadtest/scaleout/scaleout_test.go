package scaleout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recorded is the run in testdata: sipp's statistics and call logs of
// phases 1, 2 and 4 (phase 3's sipp left nothing), three replica processes'
// last metrics (and one sample cut short), Kamailio's log. A is port 5081,
// B 5082; A got SIGTERM at 1000 s, B SIGKILL at 1060 s.
var recorded = Run{Dir: "testdata/run", KamailioLog: "testdata/kamailio.log", PortA: "5081", PortB: "5082",
	Term: 1000, Kill: 1060, CallS: 15}

func TestComputeRecordedRun(t *testing.T) {
	r, err := Compute(recorded)
	if err != nil {
		t.Fatal(err)
	}
	want := []Phase{
		// Call 3 was A's at SIGTERM and ended normally; call 4 sipgate hung up;
		// "answered 99" has no start and does not count.
		{N: 1, Placed: 4, Succeeded: 4, BySipgate: 1, ByA: 2, ByB: 2, Slowest: 1.5, DrainHeld: 1, DrainDone: 1},
		{N: 2, Placed: 3, Succeeded: 3, ByA: 1, ByB: 2, Slowest: 15},
		{N: 3},
		// Call 8 was B's when it was killed: the one failure is explained.
		{N: 4, Placed: 3, Succeeded: 2, ByA: 2, ByB: 1, LostB: 1, Slowest: 2},
	}
	if len(r.Phases) != len(want) {
		t.Fatalf("%d phases, want %d", len(r.Phases), len(want))
	}
	for i, p := range r.Phases {
		p.Slowest = float64(int(p.Slowest*100+0.5)) / 100 // epochs in float: 15.000000000001
		if p != want[i] {
			t.Errorf("phase %d = %+v\nwant      %+v", i+1, p, want[i])
		}
	}
	if r.Failover503 != 2 || r.FailoverTimeout != 1 || r.Bridged != 9 || r.HandoffFailed != 1 {
		t.Errorf("failovers %d/%d, hand-offs %d bridged %d failed; want 2/1, 9 and 1", r.Failover503, r.FailoverTimeout, r.Bridged, r.HandoffFailed)
	}
	if tot := r.Totals(); tot.Placed != 10 || tot.Succeeded != 9 || tot.LostB != 1 || tot.Other != 0 || !r.Held() {
		t.Errorf("totals %+v, held %v; want 9 of 10, one lost on B, held", tot, r.Held())
	}
}

// TestComputeFailures edits the recorded run: an unexplained failure, and a
// call A held at SIGTERM that never ended, each fail the run.
func TestComputeFailures(t *testing.T) {
	for _, tt := range []struct {
		name    string
		edit    func(dir string)
		other   int
		drained int // of the 1 call A held
	}{
		{"a failure B's death does not explain", func(dir string) {
			replace(t, filepath.Join(dir, "phase2", "stat.csv"), ";3;3;3;0;0;", ";4;3;3;1;1;")
		}, 1, 1},
		{"a drained call that did not end", func(dir string) {
			replace(t, filepath.Join(dir, "phase1", "calls.log"), "done 3 5081", "lost 3 5081")
			replace(t, filepath.Join(dir, "phase1", "stat.csv"), ";4;2;4;0;0;", ";4;2;3;0;1;")
		}, 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := recorded
			run.Dir = copyDir(t, recorded.Dir)
			tt.edit(run.Dir)
			r, err := Compute(run)
			if err != nil {
				t.Fatal(err)
			}
			if tot := r.Totals(); tot.Other != tt.other || tot.DrainDone != tt.drained || r.Held() {
				t.Errorf("totals %+v, held %v; want %d other failures, %d drained", tot, r.Held(), tt.other, tt.drained)
			}
		})
	}
	run := recorded
	run.KamailioLog = filepath.Join(t.TempDir(), "missing.log")
	if _, err := Compute(run); err == nil {
		t.Error("a run without Kamailio's log: no error")
	}
}

func TestWriteMarkdown(t *testing.T) {
	r, err := Compute(recorded)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	set := Setting{At: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC), KamailioVersion: "5.6.3", Cores: 2, Rate: 4, PhaseS: 15,
		AInactive: "1.1", ADrain: "14.2", AActive: "1.0", BInactive: "never"}
	if err := WriteMarkdown(&b, recorded, set, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# Scale-out: Kamailio in front of two sipgates — 2026-12-06 08:00 UTC",
		"Kamailio 5.6.3 with", "(2 cores shared with everything)", "4 new calls/s for\n15 s per phase", "BYE 15 s after",
		"| 1 | both replicas up | 4 | 4 | 1 | 0 | 2 | 2 | 0 | 0 | 1.50 s |",
		"| 3 | both up again | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0.00 s |",
		"| 4 | B gets SIGKILL | 3 | 2 | 0 | 1 | 2 | 1 | 1 | 0 | 2.00 s |",
		"**9 of 10** calls succeeded; **1 lost on B**", "other failures: **0**.",
		"A held **1** calls at SIGTERM and **1** of them", "inactive 1.1 s after SIGTERM", "A exited 14.2 s after SIGTERM",
		"active in Kamailio 1.0 s later", "B inactive never s after SIGKILL",
		"sent 2 INVITEs on", "and 1 after no answer", "9 bridged, 1 failed.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

func replace(t *testing.T, name, old, new string) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("%s: %v, or no %q in it", name, err, old)
	}
	if err := os.WriteFile(name, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}
