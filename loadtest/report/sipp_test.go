package report

import (
	"strings"
	"testing"
	"time"
)

func TestParseSippStat(t *testing.T) {
	// A header and two periods as sipp -trace_stat writes them (dates hold tabs; columns abridged).
	in := "StartTime;LastResetTime;CurrentTime;TotalCallCreated;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);ResponseTime1(P);ResponseTime1(C);\n" +
		"2026-11-25\t21:49:59.166151\t1795643399.166151;x;y;2;0;0;0;0;00:00:00:000000;00:00:00:000000;\n" +
		"2026-11-25\t21:50:07.382708\t1795643407.382708;x;y;75;3;74;1;1;00:00:00:004000;00:00:01:004250;\n"
	st, err := ParseSippStat(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := SippStat{Created: 75, Successful: 74, Failed: 1, ResponseMean: time.Second + 4250*time.Microsecond}
	if st != want {
		t.Errorf("got %+v, want %+v", st, want)
	}
	// Without rtd="true" in the scenario, no response time: the counters still count.
	st, err = ParseSippStat(strings.NewReader("TotalCallCreated;SuccessfulCall(C);FailedCall(C);\n4;3;1;\n"))
	if err != nil || st != (SippStat{Created: 4, Successful: 3, Failed: 1}) {
		t.Errorf("without ResponseTime1(C): %+v, %v", st, err)
	}
	for _, bad := range []string{"", "TotalCallCreated;\n", "TotalCallCreated;SuccessfulCall(C);FailedCall(C);ResponseTime1(C)\n1;1;0;soon\n"} {
		if _, err := ParseSippStat(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseSippStat(%q): no error", bad)
		}
	}
}

func TestParseSippRTT(t *testing.T) {
	in := "Date_ms;response_time_ms;rtd_no\n504.001;0;1\n1004;3;1\n1005;12;2\nnonsense\n"
	got, err := ParseSippRTT(strings.NewReader(in), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 0 || got[1] != 3*time.Millisecond {
		t.Errorf("got %v, want [0 3ms]", got)
	}
}
