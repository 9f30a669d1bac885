package deploy

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ephemeralLow is where Linux's default ip_local_port_range starts
// (32768–60999): a listening port in that range can be taken by any outgoing
// connection, and after a load test leaves sockets in TIME_WAIT the stack no
// longer starts ("bind: address already in use").
const ephemeralLow = 32768

// portDefault matches `NAME=${NAME:-default}` in deploy/local/lib.sh, where
// default is a port or a lo-hi range.
var portDefault = regexp.MustCompile(`(?m)^([A-Z0-9_]+)=\$\{[A-Z0-9_]+:-([0-9]+(?:-[0-9]+)?)\}`)

// TestLocalPortsBelowEphemeral checks that every port the local stack listens
// on by default lies below the ephemeral range, and that no two defaults
// overlap (a single port inside an RTP range would collide with a call).
func TestLocalPortsBelowEphemeral(t *testing.T) {
	type span struct {
		name   string
		lo, hi int
	}
	var spans []span
	for _, m := range portDefault.FindAllStringSubmatch(string(read(t, "deploy/local/lib.sh")), -1) {
		name := m[1]
		if !strings.Contains(name, "PORT") {
			continue
		}
		lo, hi, _ := strings.Cut(m[2], "-")
		s := span{name: name}
		s.lo, _ = strconv.Atoi(lo)
		s.hi = s.lo
		if hi != "" {
			s.hi, _ = strconv.Atoi(hi)
		}
		spans = append(spans, s)
	}
	if len(spans) < 20 {
		t.Fatalf("found %d port defaults in lib.sh, want all of them (has the syntax changed?)", len(spans))
	}
	// LIVEKIT_RTC_UDP_START and _END are the two ends of one range.
	for i, s := range spans {
		if s.name == "LIVEKIT_RTC_UDP_START" {
			for j, e := range spans {
				if e.name == "LIVEKIT_RTC_UDP_END" {
					spans[i].hi = e.lo
					spans = append(spans[:j], spans[j+1:]...)
					break
				}
			}
			break
		}
	}
	for i, a := range spans {
		if a.lo <= 1024 || a.hi >= ephemeralLow || a.lo > a.hi {
			t.Errorf("%s = %d-%d: want unprivileged ports below %d", a.name, a.lo, a.hi, ephemeralLow)
		}
		for _, b := range spans[i+1:] {
			if a.lo <= b.hi && b.lo <= a.hi {
				t.Errorf("%s (%d-%d) overlaps %s (%d-%d)", a.name, a.lo, a.hi, b.name, b.lo, b.hi)
			}
		}
	}
}
