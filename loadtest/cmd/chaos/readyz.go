package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// sample is one answer of /readyz.
type sample struct {
	at      time.Time
	code    int      // 0: no answer
	failing []string // the checks that were not ok
}

// state names the sample as the report counts it: "200", "503 postgres", "unreachable".
func (s sample) state() string {
	switch {
	case s.code == 0:
		return unreachable
	case len(s.failing) == 0:
		return fmt.Sprint(s.code)
	}
	return fmt.Sprintf("%d %s", s.code, strings.Join(s.failing, "+"))
}

// readyzPoller asks /readyz every interval and keeps every answer.
type readyzPoller struct {
	url  string
	http *http.Client
	mu   sync.Mutex
	got  []sample
}

func (p *readyzPoller) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s := p.poll(ctx)
		p.mu.Lock()
		p.got = append(p.got, s)
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *readyzPoller) poll(ctx context.Context) sample {
	s := sample{at: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return s
	}
	res, err := p.http.Do(req)
	if err != nil {
		return s
	}
	defer res.Body.Close()
	s.code = res.StatusCode
	var body struct {
		Checks map[string]struct {
			OK bool `json:"ok"`
		} `json:"checks"`
	}
	if json.NewDecoder(res.Body).Decode(&body) == nil {
		for name, c := range body.Checks {
			if !c.OK {
				s.failing = append(s.failing, name)
			}
		}
		sort.Strings(s.failing)
	}
	return s
}

// between returns the samples taken in [from, to].
func (p *readyzPoller) between(from, to time.Time) []sample {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []sample
	for _, s := range p.got {
		if !s.at.Before(from) && !s.at.After(to) {
			out = append(out, s)
		}
	}
	return out
}

// verdict is what /readyz said during one outage.
type verdict struct {
	States string // each state and how many samples had it, most frequent first
	// Truthful: every sample from a second after the kill to the return named the dead service
	// (or did not answer, for the core); with no check for the service, every sample was 200.
	Truthful bool
	// ReadyAfter is from the service's return to the first 200; -1 when none came.
	ReadyAfter time.Duration
}

// judge reads the samples of an outage (from the kill to the restart) and of what followed the service's
// return (back → end); the truth is asked of the samples from a second after the process was gone (dead).
func judge(check string, down, after []sample, dead, back time.Time) verdict {
	counts := map[string]int{}
	truthful := len(down) > 0
	for _, s := range down {
		counts[s.state()]++
		if s.at.Before(dead.Add(time.Second)) {
			continue // detection takes a moment
		}
		switch check {
		case "":
			truthful = truthful && s.code == http.StatusOK
		case unreachable:
			truthful = truthful && s.code == 0
		default:
			truthful = truthful && slices.Contains(s.failing, check)
		}
	}
	type kv struct {
		k string
		n int
	}
	var kvs []kv
	for k, n := range counts {
		kvs = append(kvs, kv{k, n})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].n > kvs[j].n || kvs[i].n == kvs[j].n && kvs[i].k < kvs[j].k })
	var parts []string
	for _, x := range kvs {
		parts = append(parts, fmt.Sprintf("%s ×%d", x.k, x.n))
	}
	v := verdict{States: strings.Join(parts, ", "), Truthful: truthful, ReadyAfter: -1}
	for _, s := range after {
		if s.code == http.StatusOK {
			v.ReadyAfter = max(s.at.Sub(back), 0)
			break
		}
	}
	return v
}
