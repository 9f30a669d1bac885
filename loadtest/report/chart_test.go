package report

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

// svgCount parses b as XML and counts its elements by name.
func svgCount(t *testing.T, b []byte) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(b)))
	n := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n[se.Name.Local]++
		}
	}
}

func TestChart(t *testing.T) {
	points := []Point{
		{Offered: 50, P50: 4, P99: 12, SetupP99: 3},
		{Offered: 100, P50: 5, P99: 30, SetupP99: 5},
		{Offered: 200, P50: 9, P99: 80, SetupP99: 40, FailedPct: 0.5},
		{Offered: 300, P50: 900, P99: 25000, SetupP99: 9000, FailedPct: 42}, // beyond the axis: clamped
	}
	b := Chart(`sipgate <test> & "chart"`, points, 50)
	n := svgCount(t, b)
	if n["svg"] != 1 || n["polyline"] != 3 {
		t.Errorf("elements %v, want one svg and three series", n)
	}
	// 3 series × 4 steps of dots, 2 failure bars.
	if n["circle"] != 12 || n["rect"] != 2+2 {
		t.Errorf("%d dots and %d rects, want 12 and 4 (background, frame, two bars)", n["circle"], n["rect"])
	}
	s := string(b)
	for _, want := range []string{"&lt;test&gt; &amp; &#34;chart&#34;", "target p99 50 ms", "offered calls per second", "failed calls, %"} {
		if !strings.Contains(s, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
		t.Error("chart has NaN or Inf coordinates")
	}
}

func TestChartEdgeCases(t *testing.T) {
	n := svgCount(t, Chart("empty", nil, 50))
	if n["svg"] != 1 || n["polyline"] != 0 {
		t.Errorf("empty chart: %v", n)
	}
	// A step with no latency (every call failed) and a NaN draw no dot; nothing breaks.
	b := Chart("degenerate", []Point{{Offered: 10, FailedPct: 100}, {Offered: 20, P50: math.NaN(), P99: 0}}, 0)
	n = svgCount(t, b)
	if n["circle"] != 0 || n["polyline"] != 0 || strings.Contains(string(b), "NaN") {
		t.Errorf("degenerate chart: %v\n%s", n, b)
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.3: 0.3, 1: 1, 1.1: 1.2, 3: 3, 7: 8, 210: 250, 315: 400, 1000: 1000, 47.5: 50} {
		if got := niceCeil(in); math.Abs(got-want) > 1e-9 {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}
