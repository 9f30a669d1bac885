// Command scaleout-report writes the report of `make scaleout-test` from
// what deploy/local/scaleout.sh's run left in -dir (see loadtest/scaleout),
// to -out and to stderr. It exits 1 when the run did not hold: a failure
// other than the calls the killed replica held, no call succeeded, or a call
// the draining replica held that did not end normally.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/meetline/meetline/loadtest/scaleout"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "scaleout-report:", err)
		os.Exit(1)
	}
}

// errFailed is a run that did not hold; the report says why.
var errFailed = errors.New("the run did not hold (see the report)")

func run(args []string) error {
	fs := flag.NewFlagSet("scaleout-report", flag.ContinueOnError)
	var r scaleout.Run
	s := scaleout.Setting{At: time.Now(), Cores: runtime.NumCPU()}
	out := fs.String("out", "", "the Markdown report to write (required)")
	fs.StringVar(&r.Dir, "dir", "", "the run's directory: phase1…phase4, metrics-* (required)")
	fs.StringVar(&r.KamailioLog, "kamailio-log", "", "Kamailio's log of this run (required)")
	fs.StringVar(&r.PortA, "port-a", "", "sipgate A's SIP port")
	fs.StringVar(&r.PortB, "port-b", "", "sipgate B's SIP port")
	fs.Float64Var(&r.Term, "term", 0, "epoch seconds of the SIGTERM to A")
	fs.Float64Var(&r.Kill, "kill", 0, "epoch seconds of the SIGKILL to B")
	fs.Float64Var(&r.CallS, "call-s", 15, "seconds a call lasts from its answer")
	fs.StringVar(&s.KamailioVersion, "kamailio-version", "", "Kamailio's version, for the report")
	fs.IntVar(&s.Rate, "rate", 0, "new calls per second")
	fs.IntVar(&s.PhaseS, "phase-s", 0, "seconds per phase")
	fs.StringVar(&s.AInactive, "a-inactive", "never", "seconds from SIGTERM until Kamailio marked A inactive")
	fs.StringVar(&s.ADrain, "a-drain", "never", "seconds from SIGTERM until A exited")
	fs.StringVar(&s.AActive, "a-active", "never", "seconds from A's restart until Kamailio marked it active")
	fs.StringVar(&s.BInactive, "b-inactive", "never", "seconds from SIGKILL until Kamailio marked B inactive")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || r.Dir == "" || r.KamailioLog == "" || r.PortA == "" || r.PortB == "" {
		return errors.New("-out, -dir, -kamailio-log, -port-a and -port-b are required")
	}
	rep, err := scaleout.Compute(r)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := scaleout.WriteMarkdown(&b, r, s, rep); err != nil {
		return err
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return err
	}
	os.Stderr.Write(b.Bytes())
	if !rep.Held() {
		t := rep.Totals()
		fmt.Fprintf(os.Stderr, "FAIL: %d unexpected failures, %d of %d drained calls ended well\n", t.Other, t.DrainDone, t.DrainHeld)
		return errFailed
	}
	return nil
}
