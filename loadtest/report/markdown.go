package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Markdown renders the report; chart is the SVG's file name, next to report.md.
func (r *Report) Markdown(chart string) []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# meetline load test — %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	w("`make loadtest` (loadtest/cmd/loadtest) against the local stack on loopback: %d CPUs (%s), %s, generator included. ",
		r.Machine.CPUs, orNone(r.Machine.Model), r.Machine.Go)
	w("sipgate with SIPGATE_MAX_CALLS=%d and SIPGATE_RTP_PORTS=%s. The run took %.0f s. ", r.Machine.SipgateMaxCalls,
		r.Machine.SipgateRTPPorts, r.Seconds)
	w("Fixtures, made through the core's API: a trunk with %d numbers, %d public rooms with `{\"phone_callers_first\": true}` "+
		"and %d without it (callers wait for the host)", r.Fixtures.TrunkNumbers, r.Fixtures.OpenRooms, r.Fixtures.WaitRooms)
	if r.Fixtures.Elsewhere > 0 {
		w("; the core put %d of the rooms' PINs in another, less loaded trunk, whose numbers those calls dial", r.Fixtures.Elsewhere)
	}
	w(".\nThe machine is shared and the figures are noisy: compare ratios within this run rather than absolute values across runs. "+
		"Before the first call, processes outside the stack used **%.0f %%** of one core (of %d %%); the column `others` follows them "+
		"through the run, and `kernel irq` is the interrupt and softirq time the kernel charges to no process (on loopback, much of "+
		"each packet's delivery).\n\n", r.Background, 100*r.Machine.CPUs)
	r.targets(&b)
	r.outcomes(&b)
	r.steps(&b, chart)
	r.concurrency(&b)
	r.records(&b)
	r.bench(&b)
	r.sipp(&b)
	r.limits(&b)
	if len(r.Notes) > 0 {
		w("## Notes\n\n")
		for _, n := range r.Notes {
			w("- %s\n", n)
		}
		w("\n")
	}
	w("## Reproduce\n\n```sh\nmake loadtest                                   # this report, ≤ 3 minutes\n")
	w("go run ./loadtest/cmd/loadtest -h               # the flags: longer profiles, other rates, mixes\n```\n\n")
	w("Settings of this run: %s.\n", settings(r.Settings))
	return b.Bytes()
}

func (r *Report) targets(b *bytes.Buffer) {
	fmt.Fprintf(b, "## Targets\n\n| target | goal | before (when its issue was filed) | measured | met | by how much | why |\n|---|---|---|---|---|---|---|\n")
	for _, t := range r.Targets {
		met := "**no**"
		if t.Met {
			met = "yes"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", t.Name, cell(t.Goal), cell(t.Before), cell(t.Measured), met, cell(t.Gap), cell(t.Why))
	}
	fmt.Fprintf(b, "\nFirst bottleneck: **%s** — %s.\n\n", r.Bottleneck.Resource, r.Bottleneck.Summary)
}

// outcomes tabulates calls by outcome, per phase.
func (r *Report) outcomes(b *bytes.Buffer) {
	phases := []struct {
		name  string
		calls Calls
	}{}
	var ramp []Calls
	for i, s := range r.Steps {
		if i != r.SustainIndex {
			ramp = append(ramp, s.Calls)
		}
	}
	if len(ramp) > 0 {
		phases = append(phases, struct {
			name  string
			calls Calls
		}{"step profile (sustained step excluded)", merge(ramp)})
	}
	if r.SustainIndex >= 0 && r.SustainIndex < len(r.Steps) {
		phases = append(phases, struct {
			name  string
			calls Calls
		}{"sustained step", r.Steps[r.SustainIndex].Calls})
	}
	if r.Concurrency != nil {
		phases = append(phases, struct {
			name  string
			calls Calls
		}{"concurrency", r.Concurrency.Calls})
	}
	if len(phases) == 0 {
		return
	}
	var names []string
	for _, p := range phases {
		for o := range p.calls.Outcomes {
			if o != "cut" && !slices.Contains(names, o) {
				names = append(names, o)
			}
		}
	}
	slices.Sort(names)
	fmt.Fprintf(b, "## Calls by outcome\n\n")
	fmt.Fprintf(b, "Expected outcomes: `admitted` (right PIN, heard \"connecting\", hung up), `bridged` (heard its own audio back through the room), "+
		"`rejected` (wrong PIN, heard \"that PIN is not valid\"), `abandoned` (hung up mid-entry), `waiting` (heard \"waiting for the host\", then music). "+
		"`cut`: released by the run before an outcome (callers still typing when the concurrency plateau ends). Anything else is a failure.\n\n")
	fmt.Fprintf(b, "| phase | calls | ok | failed | cut | %s |\n|---|---:|---:|---:|---:|%s\n", strings.Join(names, " | "),
		strings.Repeat("---:|", len(names)))
	for _, p := range phases {
		var cells []string
		for _, n := range names {
			cells = append(cells, fmt.Sprint(p.calls.Outcomes[n]))
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %s |\n", p.name, p.calls.Calls, p.calls.OK, p.calls.Failed, p.calls.Cut, strings.Join(cells, " | "))
	}
	fmt.Fprintf(b, "\n")
}

func (r *Report) steps(b *bytes.Buffer, chart string) {
	if len(r.Steps) == 0 {
		return
	}
	fmt.Fprintf(b, "## Step profile\n\n")
	fmt.Fprintf(b, "Calls arrive on schedule at each offered rate (mix %s); each hangs up once it knows its outcome. "+
		"Setup: INVITE → 200. '#' → connecting: the first packet of '#' (RFC 4733) or its INFO → the first packet of the \"connecting\" prompt, "+
		"recognised against sipgate's recordings (the ResolvePin and JoinRoom round trips to the core, and sipgate's own work). "+
		"A call counts in the step during which it was decided (its '#', or its failure): the steps' windows shifted by the median "+
		"time from INVITE to '#' (%.1f s), so that a slow typist's '#', 10 to 20 s after its INVITE, counts under the load it met; "+
		"placed/s counts arrivals. CPU in %% of one core over the shifted window; the machine's in %% of all its cores. "+
		"sipgate ms/call: its CPU over the window / calls placed in the step.\n\n", r.Settings["mix"], r.RampLead)
	if chart != "" {
		fmt.Fprintf(b, "![latency and failures against the offered rate](%s)\n\n", chart)
	}
	comps := r.Components
	fmt.Fprintf(b, "| offered/s | s | placed/s | decided | failed | setup p50/p99 ms | '#'→connecting p50/p90/p99 ms | '#'→invalid p99 ms | ResolvePin ms | machine CPU | %s | sipgate ms/call | peak active | RTP loss | kernel UDP drops |\n",
		strings.Join(comps, " | "))
	fmt.Fprintf(b, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%s---:|---:|---:|---:|\n", strings.Repeat("---:|", len(comps)))
	for i, s := range r.Steps {
		name := num(s.Offered)
		if i == r.SustainIndex {
			name = "**" + name + "** (sustained)"
		}
		var cpu []string
		for _, c := range comps {
			cpu = append(cpu, fmt.Sprintf("%.0f %%", s.Usage.CPU[c]))
		}
		pc := s.Calls.PINToConnecting
		fmt.Fprintf(b, "| %s | %.0f | %.1f | %d | %d | %.1f / %.1f | %.1f / %.1f / %.1f | %.1f | %.2f | %.0f %% | %s | %.1f | %.0f | %.3f %% | %d |\n",
			name, s.Seconds, s.Achieved, s.Calls.Calls, s.Calls.Failed, s.Calls.Setup.P50, s.Calls.Setup.P99, pc.P50, pc.P90, pc.P99,
			s.Calls.PINToInvalid.P99, s.ResolvePin, s.Usage.MachinePct, strings.Join(cpu, " | "), s.SipgateCPUPerCall,
			s.Usage.PeakActive, s.Calls.RTP.LossPct, s.Usage.UDPRcvbuf)
	}
	fmt.Fprintf(b, "\n")
}

func (r *Report) concurrency(b *bytes.Buffer) {
	c := r.Concurrency
	if c == nil {
		return
	}
	fmt.Fprintf(b, "## Concurrent calls\n\n")
	fmt.Fprintf(b, "Planned: %s. Bridged callers dial first (LiveKit's SIP stand-in joins each to its room over WebRTC), then callers who wait "+
		"for their host (music on hold, a steady stream from sipgate) and callers still typing their PIN slowly (IVR). All send G.711 audio "+
		"every 20 ms; all stay until the plateau (%.0f s with every call placed) ends.\n\n", plan(c.Planned), c.PlateauSeconds)
	fmt.Fprintf(b, "- sipgate: peak **%.0f** active calls, %.0f bridged; plateau mean %.0f; %d open files\n", c.Usage.PeakActive,
		c.Usage.PeakBridged, c.PlateauActive, c.Usage.PeakFDs)
	rss := "— (RSS fell: memory from the ramp was still held when idle was measured)"
	if c.RSSPerCall >= 0 {
		rss = fmt.Sprintf("%.1f KiB", c.RSSPerCall/1024)
	}
	fmt.Fprintf(b, "- per active call: live heap **%.1f KiB** (%.1f MiB idle → %.1f MiB with %.0f calls, after a forced GC), RSS %s, "+
		"%.2f goroutines, CPU %.3f %% of a core (%.0f %% for all)\n", c.HeapPerCall/1024, c.HeapIdle/(1<<20), c.HeapPlateau/(1<<20),
		c.HeapActive, rss, c.GoroutinesPerCall, c.CPUPerCall, c.Usage.CPU["sipgate"])
	fmt.Fprintf(b, "- machine CPU %.0f %%; by process: %s; kernel UDP receive-buffer drops: %d\n", c.Usage.MachinePct,
		topCPU(c.Usage.CPU, len(c.Usage.CPU)), c.Usage.UDPRcvbuf)
	fmt.Fprintf(b, "- CPU per call-second: sipgate **%.3f ms**, generator **%.3f ms**\n", c.CPUPerCallSecond("sipgate"),
		c.CPUPerCallSecond("generator"))
	if w := c.CoreWaits; w.Samples > 0 {
		fmt.Fprintf(b, "- core while the calls arrived (goroutine profiles every 0.5 s): at most %d goroutines, %d waiting for a connection "+
			"from its Postgres pool, %d for Valkey; it served its %.0f ResolvePin in at most %s s at p99 and %s s at worst (its own "+
			"histogram's buckets)\n", w.Total, w.Postgres, w.Valkey, c.ResolvePin.Requests, num(c.ResolvePin.P99), num(c.ResolvePin.Max))
	}
	if c.Calls.PINToBridge.N > 0 {
		fmt.Fprintf(b, "- '#' → bridged (own audio back through the room): p50 %.0f ms, p99 %.0f ms; minus the %.0f ms \"connecting\" prompt sipgate "+
			"plays first, the LiveKit leg (INVITE, digest, the stand-in's WebRTC join, 200, relay) takes p50 %.0f ms, p99 %.0f ms\n",
			c.Calls.PINToBridge.P50, c.Calls.PINToBridge.P99, c.ConnectingMs, c.HandoffOverhead.P50, c.HandoffOverhead.P99)
	}
	fmt.Fprintf(b, "\nRTP, counted by the callers: loss is the gaps in sequence numbers of what sipgate sent (prompts, music) and of the callers' own "+
		"packets echoed back through the bridge.\n\n| callers | calls | ok | failed | cut | sent | received | lost | loss |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	kinds := make([]string, 0, len(c.LossByKind))
	for k := range c.LossByKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		x, n := c.LossByKind[k], c.Calls.Kinds[k]
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %d | %d | %.4f %% |\n", kindLabel(k), n.Calls, n.OK, n.Failed,
			n.Calls-n.OK-n.Failed, x.Sent, x.Received, x.Lost, x.LossPct)
	}
	x := c.Calls.RTP
	fmt.Fprintf(b, "| **all** | %d | %d | %d | %d | %d | %d | %d | **%.4f %%** |\n\n", c.Calls.Calls, c.Calls.OK, c.Calls.Failed,
		c.Calls.Cut, x.Sent, x.Received, x.Lost, x.LossPct)
	fmt.Fprintf(b, "What the callers cannot see, their packets lost on the way to sipgate or sipgate's to the stand-in, shows in the kernel's "+
		"count of datagrams dropped for full socket buffers (any socket on the machine, over the phase): **%d**. The target counts the "+
		"worse of the two. By the process whose sockets dropped them: %s.\n\n", c.KernelDrops, dropList(c.DropsByProcess))
}

func kindLabel(k string) string {
	switch k {
	case "valid":
		return "bridged (valid PIN, held)"
	case "wait":
		return "waiting for the host"
	case "slow":
		return "in the IVR (typing slowly)"
	}
	return k
}

func (r *Report) bench(b *bytes.Buffer) {
	if len(r.Bench) == 0 {
		return
	}
	fmt.Fprintf(b, "## RPC: Connect against the store alone\n\n")
	fmt.Fprintf(b, "`go test -run '^$' -bench 'ResolvePin|CreateRoom' ./core/api`, in this run: each RPC through Connect on loopback "+
		"(authentication, Valkey's PIN-failure counters for ResolvePin, the sign-in for CreateRoom) against the same store call "+
		"through pgx with no RPC around it, at 1, 8 and 32 concurrent clients. The client is sipgate's, over HTTP/1.1; "+
		"(connect-h2c) is the same over cleartext HTTP/2; (handler) is the core's own share: its handler served a request "+
		"captured from that client, with no client, socket nor net/http server.\n\n")
	fmt.Fprintf(b, "| benchmark | Connect ops/s | pgx baseline ops/s | Connect / baseline | Connect allocs/op | baseline allocs/op |\n|---|---:|---:|---:|---:|---:|\n")
	for _, p := range r.Bench {
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %.2f | %.0f | %.0f |\n", strings.TrimPrefix(p.Name, "Benchmark"), p.Connect.OpsPerSecond(),
			p.Baseline.OpsPerSecond(), p.Ratio, p.Connect.AllocsPerOp, p.Baseline.AllocsPerOp)
	}
	if r.BenchOutput != "" {
		fmt.Fprintf(b, "\n<details><summary>go test output</summary>\n\n```\n%s```\n\n</details>\n", r.BenchOutput)
	}
	fmt.Fprintf(b, "\n")
}

func (r *Report) sipp(b *bytes.Buffer) {
	if len(r.Sipp) == 0 {
		return
	}
	fmt.Fprintf(b, "## Cross-check with sipp\n\n")
	fmt.Fprintf(b, "sipp (loadtest/sipp/) places right-PIN calls at the same time with its own SIP and RTP stacks, keys by RFC 4733 "+
		"(`play_dtmf`) and by SIP INFO, and hangs up during \"connecting\". sipp cannot hear prompts, so sipgate's counters say what it decided.\n\n")
	fmt.Fprintf(b, "| scenario | keys | rate/s | calls | ok | failed | sipp INVITE → 200 mean / p50 / p99 ms (sipp's 1 ms resolution) | sipgate keys counted |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range r.Sipp {
		fmt.Fprintf(b, "| %s | %s | %s | %d | %d | %d | %.2f / %.0f / %.0f | %.0f |\n", s.Scenario, s.Method, num(s.Rate), s.Calls, s.OK,
			s.Failed, s.ResponseTime.Mean, s.ResponseTime.P50, s.ResponseTime.P99, s.Digits)
		if s.Error != "" {
			fmt.Fprintf(b, "\nsipp %s: %s\n\n", s.Scenario, s.Error)
		}
	}
	if c := r.SippCheck; c != nil {
		ok := 0
		for _, s := range r.Sipp {
			ok += s.OK
		}
		fmt.Fprintf(b, "\nsipgate meanwhile: %.0f PINs resolved and %.0f calls hung up by the caller, for %d calls sipp completed.", c.PINsOK, c.Hangups, ok)
	}
	if len(r.Steps) > 0 {
		lo := r.Steps[r.sortedSteps()[0]]
		fmt.Fprintf(b, " The Go caller's setup at %s calls/s: mean %.2f ms, p50 %.2f ms, p99 %.2f ms.", num(lo.Offered), lo.Calls.Setup.Mean,
			lo.Calls.Setup.P50, lo.Calls.Setup.P99)
	}
	fmt.Fprintf(b, "\n\n")
}

func (r *Report) limits(b *bytes.Buffer) {
	fmt.Fprintf(b, "## Limits found\n\n**%s**: %s.\n\n", r.Bottleneck.Resource, r.Bottleneck.Summary)
	for _, e := range r.Bottleneck.Evidence {
		fmt.Fprintf(b, "- %s\n", e)
	}
	if r.SustainDrops != nil {
		fmt.Fprintf(b, "- kernel UDP drops by the process whose socket overflowed, while the sustained step was profiled: %s\n",
			dropList(r.SustainDrops))
	}
	fmt.Fprintf(b, "\n")
	for _, p := range r.Profiles {
		fmt.Fprintf(b, "<details><summary>%s %s profile, %s (<code>%s</code>)</summary>\n\n```\n%s```\n\n</details>\n\n", p.Service, p.Kind,
			p.Phase, p.File, p.Top)
	}
}

// dropList writes drops per process, most first.
func dropList(m map[string]uint64) string {
	if len(m) == 0 {
		return "none"
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return int(m[b]) - int(m[a]) })
	var parts []string
	for _, k := range names {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// merge adds several Calls' counts (the latencies are not merged: the per-step tables have them).
func merge(cs []Calls) Calls {
	m := Calls{Outcomes: map[string]int{}, Kinds: map[string]KindCount{}}
	for _, c := range cs {
		m.Calls += c.Calls
		m.OK += c.OK
		m.Failed += c.Failed
		m.Cut += c.Cut
		for k, v := range c.Outcomes {
			m.Outcomes[k] += v
		}
	}
	return m
}

func plan(p map[string]int) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", p[k], k))
	}
	return strings.Join(parts, ", ")
}

func settings(s map[string]string) string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("`-%s=%s`", k, s[k]))
	}
	return strings.Join(parts, " ")
}

// cell keeps a table cell on one line.
func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ") }
