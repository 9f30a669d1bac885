package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/meetline/meetline/loadtest/probe"
	"github.com/meetline/meetline/loadtest/report"
)

// write finishes the report (profiles' tops, bottleneck, targets) and writes report.md, report.json and
// chart.svg.
func (t *loadTest) write(ctx context.Context) error {
	for i, p := range t.rep.Profiles {
		top, err := probe.Top(ctx, filepath.Join(t.cfg.out, p.File), 22, p.Kind == "heap")
		if err != nil {
			top = err.Error() + "\n"
		}
		t.rep.Profiles[i].Top = top
	}
	t.rep.Seconds = time.Since(t.start).Seconds()
	t.rep.Bottleneck = t.rep.FindBottleneck(report.Limits{MaxCalls: t.cfg.maxCalls, RTPPorts: evenPorts(t.cfg.rtpPorts),
		CPUs: t.rep.Machine.CPUs})
	t.rep.Targets = t.rep.CheckTargets(report.DefaultGoals)
	points := make([]report.Point, 0, len(t.rep.Steps))
	for _, s := range t.rep.Steps {
		points = append(points, report.Point{Offered: s.Offered, P50: s.Calls.PINToConnecting.P50,
			P99: s.Calls.PINToConnecting.P99, SetupP99: s.Calls.Setup.P99, FailedPct: 100 * float64(s.Calls.Failed) / float64(max(s.Calls.Calls, 1))})
	}
	chart := report.Chart("sipgate: '#' → \"connecting\" and failures against the offered rate", points, report.DefaultGoals.P99Ms)
	if err := os.WriteFile(filepath.Join(t.cfg.out, "chart.svg"), chart, 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(&t.rep, "", "  ")
	if err != nil {
		return fmt.Errorf("report.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(t.cfg.out, "report.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := t.writeCalls(filepath.Join(t.cfg.out, "calls.csv")); err != nil {
		return err
	}
	md := filepath.Join(t.cfg.out, "report.md")
	if err := os.WriteFile(md, t.rep.Markdown("chart.svg"), 0o644); err != nil {
		return err
	}
	for _, tg := range t.rep.Targets {
		t.log.Info("target", "name", tg.Name, "met", tg.Met, "measured", tg.Measured, "gap", tg.Gap)
	}
	t.log.Info("bottleneck", "resource", t.rep.Bottleneck.Resource, "summary", t.rep.Bottleneck.Summary)
	t.log.Info("report written", "path", md, "seconds", int(t.rep.Seconds))
	return nil
}

// writeCalls writes one line per call: what it did and measured, times in ms from the start of the run.
// No PIN, no number: the kind of caller says what it typed.
func (t *loadTest) writeCalls(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f) // buffered itself
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }
	at := func(tm time.Time) string {
		if tm.IsZero() {
			return ""
		}
		return ms(tm.Sub(t.start))
	}
	_ = w.Write([]string{"phase", "step", "kind", "method", "start_ms", "lag_ms", "status", "setup_ms", "hash_ms",
		"pin_to_outcome_ms", "pin_to_bridge_ms", "outcome", "expected", "heard_instead", "end_ms", "rtp_sent", "rtp_received",
		"rtp_lost", "rtp_expected", "rtp_echoed", "rtp_foreign", "detail"})
	for _, c := range t.calls {
		u := func(n uint64) string { return strconv.FormatUint(n, 10) }
		_ = w.Write([]string{c.phase, strconv.Itoa(c.Step), c.Kind.String(), c.Method.String(), at(c.Start), ms(c.Lag),
			strconv.Itoa(c.Status), ms(c.Setup), at(c.Hash), ms(c.PINToOutcome), ms(c.PINToBridge), string(c.Outcome),
			string(c.Expected), c.Prompt, at(c.End), u(c.RTP.Sent), u(c.RTP.Received), u(c.RTP.Lost), u(c.RTP.Expected),
			u(c.RTP.Echoed), u(c.RTP.Foreign), c.Detail})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("calls.csv: %w", err)
	}
	return f.Close()
}
