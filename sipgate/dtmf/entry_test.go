package dtmf

import (
	"strings"
	"testing"
	"time"
)

// An entry step: a key at an offset from t0, or a Timeout call when key is 0, and the result expected.
type entryStep struct {
	at   time.Duration
	key  byte
	want Result
}

func pressR(at time.Duration, k byte, o Outcome, pin string) entryStep {
	return entryStep{at: at, key: k, want: Result{Outcome: o, PIN: pin}}
}

func timeout(at time.Duration, o Outcome, pin string) entryStep {
	return entryStep{at: at, want: Result{Outcome: o, PIN: pin}}
}

// keys presses each key of s, one per second from at, each expected to Continue.
func keys(at time.Duration, s string) []entryStep {
	var out []entryStep
	for i := range len(s) {
		out = append(out, pressR(at+time.Duration(i)*time.Second, s[i], Continue, ""))
	}
	return out
}

func steps(groups ...[]entryStep) []entryStep {
	var out []entryStep
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

const s = time.Second

func TestEntry(t *testing.T) {
	tests := []struct {
		name  string
		cfg   EntryConfig
		steps []entryStep
	}{
		{"PIN then #", EntryConfig{}, steps(keys(s, "0123456789"), []entryStep{pressR(11*s, '#', Done, "0123456789")})},
		{"16 digits is the limit", EntryConfig{}, steps(keys(s, strings.Repeat("7", 16)), []entryStep{pressR(17*s, '#', Done, strings.Repeat("7", 16))})},
		{"17 digits is too long, at #", EntryConfig{}, steps(keys(s, strings.Repeat("7", 17)), []entryStep{pressR(18*s, '#', TooLong, "")})},
		{"too long then inter-digit timeout", EntryConfig{}, steps(keys(s, strings.Repeat("1", 20)), []entryStep{timeout(25*s, TooLong, "")})},
		{"star clears", EntryConfig{}, steps(keys(s, "123"), []entryStep{pressR(4*s, '*', Cleared, "")}, keys(5*s, "45"), []entryStep{pressR(7*s, '#', Done, "45")})},
		{"star clears an overflow", EntryConfig{MaxDigits: 2}, steps(keys(s, "123"), []entryStep{pressR(4*s, '*', Cleared, "")}, keys(5*s, "45"), []entryStep{pressR(7*s, '#', Done, "45")})},
		{"letter makes it invalid", EntryConfig{}, steps(keys(s, "12A3"), []entryStep{pressR(5*s, '#', Invalid, "")})},
		{"letter then inter-digit timeout", EntryConfig{}, steps(keys(s, "B"), []entryStep{timeout(6*s, Invalid, "")})},
		{"# alone ignored", EntryConfig{}, steps([]entryStep{pressR(s, '#', Continue, ""), timeout(9*s, Continue, "")}, keys(9*s, "5"), []entryStep{pressR(10*s, '#', Done, "5")})},
		{"# alone keeps the first-digit deadline", EntryConfig{}, []entryStep{pressR(5*s, '#', Continue, ""), timeout(10*s, TimedOutFirst, "")}},
		{"first-digit timeout", EntryConfig{}, []entryStep{timeout(9999*time.Millisecond, Continue, ""), timeout(10*s, TimedOutFirst, "")}},
		{"inter-digit timeout returns the keys", EntryConfig{}, steps(keys(s, "12"), []entryStep{timeout(6999*time.Millisecond, Continue, ""), timeout(7*s, TimedOutInter, "12")})},
		{"key before Timeout is called counts", EntryConfig{}, []entryStep{pressR(11*s, '4', Continue, ""), pressR(12*s, '#', Done, "4")}},
		{"non-DTMF bytes ignored", EntryConfig{}, steps(keys(s, "1x\x002"), []entryStep{pressR(5*s, '#', Done, "12")})},
		{"new attempt after Done", EntryConfig{}, steps(keys(s, "1"), []entryStep{pressR(2*s, '#', Done, "1")}, keys(3*s, "2"), []entryStep{pressR(4*s, '#', Done, "2"), timeout(13*s, Continue, ""), timeout(14*s, TimedOutFirst, "")})},
		{"new attempt after first-digit timeout", EntryConfig{}, []entryStep{timeout(10*s, TimedOutFirst, ""), timeout(19*s, Continue, ""), timeout(20*s, TimedOutFirst, "")}},
		{"configured", EntryConfig{FirstDigitTimeout: 3 * s, InterDigitTimeout: s, MaxDigits: 4},
			steps(keys(2*s, "1234"), []entryStep{timeout(5500*time.Millisecond, Continue, ""), timeout(6*s, TimedOutInter, "1234"), timeout(9*s, TimedOutFirst, "")})},
		{"configured max", EntryConfig{MaxDigits: 4}, steps(keys(s, "12345"), []entryStep{pressR(6*s, '#', TooLong, "")})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEntry(tt.cfg, t0)
			for i, st := range tt.steps {
				now := t0.Add(st.at)
				var got Result
				if st.key == 0 {
					got = e.Timeout(now)
				} else {
					got = e.Press(st.key, now)
				}
				if got != st.want {
					t.Errorf("step %d (%q at %v): %+v, want %+v", i, st.key, st.at, got, st.want)
				}
			}
		})
	}
}

func TestEntryDeadline(t *testing.T) {
	e := NewEntry(EntryConfig{}, t0)
	if got := e.Config(); got != (EntryConfig{FirstDigitTimeout: 10 * s, InterDigitTimeout: 5 * s, MaxDigits: 16}) {
		t.Errorf("defaults %+v", got)
	}
	check := func(want time.Time, keys int) {
		t.Helper()
		if !e.Deadline().Equal(want) || e.Keys() != keys {
			t.Errorf("deadline %v with %d keys, want %v with %d", e.Deadline(), e.Keys(), want, keys)
		}
	}
	check(t0.Add(10*s), 0)
	e.Press('1', t0.Add(2*s))
	check(t0.Add(7*s), 1)
	e.Press('*', t0.Add(3*s))
	check(t0.Add(13*s), 0)
	e.Press('2', t0.Add(4*s))
	e.Press('#', t0.Add(5*s))
	check(t0.Add(15*s), 0)
	e.Press('3', t0.Add(6*s))
	e.Restart(t0.Add(20 * s))
	check(t0.Add(30*s), 0)
	if r := e.Timeout(t0.Add(30 * s)); r.Outcome != TimedOutFirst {
		t.Errorf("after Restart: %+v", r)
	}
}

func TestOutcomeString(t *testing.T) {
	for o := Continue; o <= TimedOutInter; o++ {
		if o.String() == "unknown" || o.String() == "" {
			t.Errorf("%d has no name", o)
		}
	}
	if Outcome(200).String() != "unknown" {
		t.Error("Outcome(200)")
	}
}

func TestEntryPressAllocs(t *testing.T) {
	e := NewEntry(EntryConfig{}, t0)
	allocs := testing.AllocsPerRun(100, func() {
		e.Press('1', t0)
		e.Press('*', t0)
	})
	if allocs != 0 {
		t.Errorf("Press allocates %.1f times", allocs)
	}
}
