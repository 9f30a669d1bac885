package probe

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
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

// Bucket is one bucket of a Prometheus histogram: how many observations were at most Le.
type Bucket struct {
	Le    float64
	Count float64
}

// Histogram returns the buckets of histogram name whose other labels are labels (as written, e.g.
// `procedure="/x"`; "" for a histogram without labels), sorted by bound; +Inf last.
func (m Metrics) Histogram(name, labels string) []Bucket {
	var out []Bucket
	if labels != "" {
		labels += ","
	}
	prefix := name + "_bucket{" + labels + "le=\""
	for k, v := range m {
		le, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		le = strings.TrimSuffix(le, "\"}")
		bound, err := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
		if err != nil {
			continue
		}
		out = append(out, Bucket{Le: bound, Count: v})
	}
	slices.SortFunc(out, func(a, b Bucket) int { return cmp.Compare(a.Le, b.Le) })
	return out
}

// Quantile returns the upper bound of the bucket holding the q-th quantile (0 < q ≤ 1) of the
// observations made between two scrapes of the same histogram, before and after, and how many there were:
// a bound, not an estimate, since a histogram knows no more.
func Quantile(before, after []Bucket, q float64) (bound, n float64) {
	if len(after) == 0 {
		return 0, 0
	}
	prev := make(map[float64]float64, len(before))
	for _, b := range before {
		prev[b.Le] = b.Count
	}
	n = after[len(after)-1].Count - prev[after[len(after)-1].Le]
	if n <= 0 {
		return 0, 0
	}
	for _, b := range after {
		if b.Count-prev[b.Le] >= q*n {
			return b.Le, n
		}
	}
	return after[len(after)-1].Le, n
}
