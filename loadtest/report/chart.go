package report

import (
	"bytes"
	"fmt"
	"html"
	"math"
)

// Point is one step of the step profile, as the chart draws it.
type Point struct {
	Offered   float64 // calls per second offered
	P50, P99  float64 // '#' → "connecting", ms
	SetupP99  float64 // INVITE → 200, ms
	FailedPct float64 // calls that failed, percent
}

// chart geometry, in SVG user units.
const (
	chartW, chartH                     = 760.0, 420.0
	marginL, marginR, marginT, marginB = 70.0, 70.0, 50.0, 60.0
	plotW, plotH                       = chartW - marginL - marginR, chartH - marginT - marginB
	// latency axis: log10 from 1 ms to 10 s
	logLo, logHi = 0.0, 4.0
)

// Chart draws latency (log scale, left axis) and failures (bars, right axis) against the offered rate,
// one point per step, with the p99 target as a line: a self-contained SVG, no external tool, no script.
func Chart(title string, points []Point, targetMs float64) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n",
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", marginL, html.EscapeString(title))
	if len(points) == 0 {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">no step ran</text>`+"\n</svg>\n", marginL, marginT+plotH/2)
		return b.Bytes()
	}
	xmax := niceCeil(maxOf(points, func(p Point) float64 { return p.Offered }) * 1.05)
	fmax := niceCeil(math.Max(maxOf(points, func(p Point) float64 { return p.FailedPct }), 1))
	x := func(v float64) float64 { return marginL + plotW*v/xmax }
	y := func(ms float64) float64 {
		l := math.Log10(math.Max(ms, 1))
		return marginT + plotH*(1-(math.Min(l, logHi)-logLo)/(logHi-logLo))
	}
	yf := func(pct float64) float64 { return marginT + plotH*(1-pct/fmax) }
	axes(&b, xmax, fmax, x, y, yf)
	barW := math.Max(4, math.Min(24, plotW/float64(len(points))/3))
	for _, p := range points {
		if p.FailedPct > 0 {
			fmt.Fprintf(&b, `<rect class="failed" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#d62728" fill-opacity="0.45"/>`+"\n",
				x(p.Offered)-barW/2, yf(p.FailedPct), barW, marginT+plotH-yf(p.FailedPct))
		}
	}
	if targetMs > 0 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888" stroke-dasharray="6 4"/>`+"\n",
			marginL, y(targetMs), marginL+plotW, y(targetMs))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#666" text-anchor="end">target p99 %s ms</text>`+"\n",
			marginL+plotW-4, y(targetMs)-4, num(targetMs))
	}
	series(&b, points, "setup p99", "#2ca02c", "4 3", x, y, func(p Point) float64 { return p.SetupP99 })
	series(&b, points, "# → connecting p50", "#6baed6", "", x, y, func(p Point) float64 { return p.P50 })
	series(&b, points, "# → connecting p99", "#08519c", "", x, y, func(p Point) float64 { return p.P99 })
	legend(&b)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// axes draws the frame, the ticks and the axis titles.
func axes(b *bytes.Buffer, xmax, fmax float64, x, y, yf func(float64) float64) {
	fmt.Fprintf(b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", marginL, marginT, plotW, plotH)
	for _, v := range ticks(xmax) {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#333"/><text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n",
			x(v), marginT+plotH, x(v), marginT+plotH+5, x(v), marginT+plotH+19, num(v))
	}
	for e := logLo; e <= logHi; e++ {
		ms := math.Pow(10, e)
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			marginL, y(ms), marginL+plotW, y(ms), marginL-6, y(ms)+4, num(ms))
	}
	for _, v := range ticks(fmax) {
		fmt.Fprintf(b, `<text x="%.0f" y="%.1f" fill="#d62728">%s</text>`+"\n", marginL+plotW+6, yf(v)+4, num(v))
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" text-anchor="middle">offered calls per second</text>`+"\n", marginL+plotW/2, chartH-14)
	fmt.Fprintf(b, `<text transform="translate(18 %.0f) rotate(-90)" text-anchor="middle">latency, ms (log scale)</text>`+"\n", marginT+plotH/2)
	fmt.Fprintf(b, `<text transform="translate(%.0f %.0f) rotate(90)" text-anchor="middle" fill="#d62728">failed calls, %%</text>`+"\n",
		chartW-18, marginT+plotH/2)
}

// series draws one latency line with a dot per step; steps without a value are skipped.
func series(b *bytes.Buffer, points []Point, name, color, dash string, x, y func(float64) float64, v func(Point) float64) {
	var path bytes.Buffer
	for _, p := range points {
		if v(p) <= 0 || math.IsNaN(v(p)) {
			continue
		}
		if path.Len() > 0 {
			path.WriteByte(' ')
		}
		fmt.Fprintf(&path, "%.1f,%.1f", x(p.Offered), y(v(p)))
	}
	if path.Len() == 0 {
		return
	}
	dashAttr := ""
	if dash != "" {
		dashAttr = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	fmt.Fprintf(b, `<polyline class="series" data-name="%s" points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n",
		html.EscapeString(name), path.String(), color, dashAttr)
	for _, p := range points {
		if v(p) > 0 && !math.IsNaN(v(p)) {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s at %s/s: %s ms</title></circle>`+"\n",
				x(p.Offered), y(v(p)), color, html.EscapeString(name), num(p.Offered), num(v(p)))
		}
	}
}

func legend(b *bytes.Buffer) {
	items := []struct{ name, color, dash string }{
		{"# → connecting p50", "#6baed6", ""}, {"# → connecting p99", "#08519c", ""},
		{"setup (INVITE → 200) p99", "#2ca02c", "4 3"}, {"failed calls (bars)", "#d62728", ""},
	}
	lx := marginL
	for _, it := range items {
		dash := ""
		if it.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, it.dash)
		}
		fmt.Fprintf(b, `<line x1="%.0f" y1="38" x2="%.0f" y2="38" stroke="%s" stroke-width="3"%s/><text x="%.0f" y="42">%s</text>`+"\n",
			lx, lx+18, it.color, dash, lx+22, html.EscapeString(it.name))
		lx += 22 + 7*float64(len([]rune(it.name))) + 14
	}
}

// maxOf returns the largest f(p), 0 for none.
func maxOf(points []Point, f func(Point) float64) float64 {
	m := 0.0
	for _, p := range points {
		if v := f(p); v > m && !math.IsInf(v, 0) {
			m = v
		}
	}
	return m
}

// niceCeil rounds v up to a round number: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// ticks returns five evenly spaced values from 0 to top.
func ticks(top float64) []float64 {
	out := make([]float64, 0, 6)
	for i := range 6 {
		out = append(out, top*float64(i)/5)
	}
	return out
}

// num writes v without trailing zeros.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}
