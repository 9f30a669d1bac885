package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// SippStat is the last line of a sipp -trace_stat file: its cumulative counters.
type SippStat struct {
	Created, Successful, Failed int
	// ResponseMean is the mean of the scenario's first response time (rtd="true": INVITE → 200); zero
	// when the file has no such column.
	ResponseMean time.Duration
}

// ParseSippStat reads a sipp statistics file (-trace_stat -stf): a header line of ';'-separated column
// names, then one line per period; the last line holds the cumulative "(C)" counters.
func ParseSippStat(r io.Reader) (SippStat, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	var head, last []string
	for s.Scan() {
		f := strings.Split(strings.TrimRight(s.Text(), ";\r"), ";")
		if head == nil {
			head = f
			continue
		}
		if len(f) > 1 {
			last = f
		}
	}
	if err := s.Err(); err != nil {
		return SippStat{}, err
	}
	if head == nil || last == nil {
		return SippStat{}, errors.New("report: sipp statistics without data")
	}
	col := func(name string) string {
		for i, h := range head {
			if h == name && i < len(last) {
				return last[i]
			}
		}
		return ""
	}
	var st SippStat
	var err error
	for _, c := range []struct {
		name string
		dst  *int
	}{{"TotalCallCreated", &st.Created}, {"SuccessfulCall(C)", &st.Successful}, {"FailedCall(C)", &st.Failed}} {
		if *c.dst, err = strconv.Atoi(col(c.name)); err != nil {
			return SippStat{}, fmt.Errorf("report: sipp statistics: %s: %w", c.name, err)
		}
	}
	if rt := col("ResponseTime1(C)"); rt != "" { // absent without rtd="true"
		if st.ResponseMean, err = parseSippDuration(rt); err != nil {
			return SippStat{}, err
		}
	}
	return st, nil
}

// parseSippDuration reads sipp's "HH:MM:SS:uuuuuu".
func parseSippDuration(s string) (time.Duration, error) {
	f := strings.Split(s, ":")
	if len(f) != 4 {
		return 0, fmt.Errorf("report: sipp duration %q: want HH:MM:SS:microseconds", s)
	}
	var n [4]int64
	for i, v := range f {
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil || x < 0 {
			return 0, fmt.Errorf("report: sipp duration %q: %w", s, err)
		}
		n[i] = x
	}
	return time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second +
		time.Duration(n[3])*time.Microsecond, nil
}

// ParseSippRTT reads a sipp -trace_rtt file ("Date_ms;response_time_ms;rtd_no" per call) and returns the
// response times of rtd number rtd, whole milliseconds as sipp writes them.
func ParseSippRTT(r io.Reader, rtd int) ([]time.Duration, error) {
	var out []time.Duration
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.Split(strings.TrimSpace(s.Text()), ";")
		if len(f) < 3 {
			continue
		}
		no, err1 := strconv.Atoi(f[2])
		ms, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil || no != rtd {
			continue // the header, or another rtd
		}
		out = append(out, time.Duration(ms*float64(time.Millisecond)))
	}
	return out, s.Err()
}
