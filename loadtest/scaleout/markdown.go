package scaleout

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Setting is what the report says of how the run was made.
type Setting struct {
	At              time.Time
	KamailioVersion string
	Cores           int
	Rate, PhaseS    int
	// Seconds from SIGTERM until Kamailio marked A inactive, until A exited,
	// then until A was active again; from SIGKILL until B was inactive. As
	// the script measured them ("never" when it did not happen).
	AInactive, ADrain, AActive, BInactive string
}

// what happened at the start of each phase.
var what = [...]string{1: "both replicas up", 2: "A gets SIGTERM: drains, exits, is started again",
	3: "both up again", 4: "B gets SIGKILL"}

// WriteMarkdown writes the report (loadtest/out/scaleout.md).
func WriteMarkdown(w io.Writer, run Run, set Setting, r Report) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Scale-out: Kamailio in front of two sipgates — %s", set.At.UTC().Format("2006-01-02 15:04 UTC"))
	p("")
	p("`make scaleout-test` (deploy/local/scaleout.sh): Kamailio %s with", set.KamailioVersion)
	p("deploy/kamailio/kamailio.cfg (dispatcher, round robin, OPTIONS every second, only 2xx counts as alive),")
	p("sipgate A (sip:127.0.0.1:%s) and B (sip:127.0.0.1:%s) sharing one core, Postgres, Valkey and", run.PortA, run.PortB)
	p("LiveKit SIP stand-in, on loopback (%d cores shared with everything). Callers: sipp, %d new calls/s for", set.Cores, set.Rate)
	p("%d s per phase; each call goes through Kamailio: the demo PIN, the bridge into the LiveKit room, talk, and", set.PhaseS)
	p("the caller's BYE %g s after the answer (deploy/local/scaleout-call.xml). A call succeeds when its dialog ends", run.CallS)
	p("normally: the caller's BYE gets 200, or sipgate hangs up (its hand-off into LiveKit refused) and the caller")
	p("answers 200. Calls outlive their phase: a row counts the calls *placed* in that phase.")
	p("")
	p("| phase | what happens at its start | placed | succeeded | of which sipgate hung up | failed | answered by A | answered by B | lost on B (killed) | other failures | slowest answer |")
	p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, ph := range r.Phases {
		p("| %d | %s | %d | %d | %d | %d | %d | %d | %d | %d | %.2f s |", ph.N, what[ph.N], ph.Placed, ph.Succeeded,
			ph.BySipgate, ph.Placed-ph.Succeeded, ph.ByA, ph.ByB, ph.LostB, ph.Other, ph.Slowest)
	}
	t := r.Totals()
	p("")
	p("- **%d of %d** calls succeeded; **%d lost on B**, the calls it held when it was killed;", t.Succeeded, t.Placed, t.LostB)
	p("  other failures: **%d**.", t.Other)
	p("- drain: A held **%d** calls at SIGTERM and **%d** of them ended normally. Kamailio marked A", t.DrainHeld, t.DrainDone)
	p("  inactive %s s after SIGTERM (its OPTIONS got 503); A exited %s s after SIGTERM,", set.AInactive, set.ADrain)
	p("  when its last call ended; started again, it was active in Kamailio %s s later.", set.AActive)
	p("- kill: Kamailio marked B inactive %s s after SIGKILL (no answer to OPTIONS within fr_timer, 2 s).", set.BInactive)
	p("- Kamailio sent %d INVITEs on to the other replica after a 503 (A draining before its probe said so)", r.Failover503)
	p("  and %d after no answer (B dead before its probe said so): those callers saw a slower answer, not a failure.", r.FailoverTimeout)
	p("- hand-offs into LiveKit (the replicas' /metrics; a killed one's last sample): %d bridged, %d failed.", r.Bridged, r.HandoffFailed)
	p("  After a failed one sipgate tells the caller and hangs up (\"of which sipgate hung up\"). They depend on LiveKit")
	p("  and its SIP service (here the stand-in) having CPU, not on Kamailio, and vary with the machine's other load.")
	p("")
	p("A call on a killed replica is lost: its SIP dialog and its media lived in that process. The caller hears")
	p("silence until it or its carrier gives up (here its BYE gets 408 from Kamailio). A drained replica loses")
	p("nothing: stop replicas with SIGTERM and a drain timeout longer than the calls to keep (docs/operations.md).")
	_, err := io.WriteString(w, b.String())
	return err
}
