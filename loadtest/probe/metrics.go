package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Metrics is one scrape of a Prometheus text exposition: each sample's value by its name and labels as
// written ("sipgate_calls_total{outcome=\"connected\"}").
type Metrics map[string]float64

// Scrape reads url (…/metrics).
func Scrape(ctx context.Context, hc *http.Client, url string) (Metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("probe: scrape %s: %w", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("probe: scrape %s: %s", url, res.Status)
	}
	return ParseMetrics(res.Body)
}

// ParseMetrics reads the text exposition format: comments skipped, a sample per line, "name{labels}
// value [timestamp]". Labels are kept as written, so a key is looked up exactly as the exporter writes it.
func ParseMetrics(r io.Reader) (Metrics, error) {
	m := make(Metrics)
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, rest := line, ""
		if i := strings.LastIndexByte(line, '}'); i >= 0 {
			key, rest = line[:i+1], line[i+1:]
		} else if i := strings.IndexByte(line, ' '); i >= 0 {
			key, rest = line[:i], line[i:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		m[key] = v
	}
	return m, s.Err()
}

// Sum adds the samples whose key starts with prefix: a counter across all its labels.
func (m Metrics) Sum(prefix string) float64 {
	t := 0.0
	for k, v := range m {
		if k == prefix || strings.HasPrefix(k, prefix+"{") {
			t += v
		}
	}
	return t
}
