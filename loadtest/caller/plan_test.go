package caller

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	m, err := ParseMix(" valid=80, invalid=10,slow=5 ,abandon=5,rfc4733=3,info=1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Kinds != [kinds]int{80, 10, 5, 5, 0, 0} || m.Methods != [methods]int{3, 1} {
		t.Errorf("mix %+v", m)
	}
	if again, err := ParseMix(m.String()); err != nil || again != m {
		t.Errorf("%q reads back as %+v, %v", m.String(), again, err)
	}
	if m, err := ParseMix("wait=1"); err != nil || m.Methods[RFC4733] != 1 {
		t.Errorf("a mix without methods: %+v, %v; want RFC 4733 only", m, err)
	}
	for _, bad := range []string{"", "rfc4733=1", "valid", "valid=x", "valid=-1", "shouting=3", "valid=1,pigeon=2"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q): no error", bad)
		}
	}
}

func TestMixDrawFollowsWeights(t *testing.T) {
	m, _ := ParseMix("valid=3,abandon=1,info=1")
	rng := rand.New(rand.NewPCG(1, 2))
	var kinds [kinds]int
	var meths [methods]int
	for range 4000 {
		k, me := m.Draw(rng)
		kinds[k]++
		meths[me]++
	}
	if kinds[Invalid]+kinds[Slow]+kinds[Wait] != 0 || meths[RFC4733] != 0 {
		t.Errorf("weight 0 drawn: %v %v", kinds, meths)
	}
	if r := float64(kinds[Valid]) / float64(kinds[Abandon]); r < 2.6 || r > 3.4 {
		t.Errorf("valid/abandon = %.2f, want about 3", r)
	}
}

func TestBookPlan(t *testing.T) {
	b := &Book{
		Open:      []Room{{PIN: "1234567890", Numbers: []string{"+33970000001"}}},
		Wait:      []Room{{PIN: "5555555555", Numbers: []string{"+33970000002", "+33970000003"}}},
		Lobby:     []Room{{PIN: "7777777777", Numbers: []string{"+33970000004"}}},
		Wrong:     []string{"+33970000009"},
		PINLength: 10,
	}
	rng := rand.New(rand.NewPCG(3, 4))
	caller := regexp.MustCompile(`^\+336\d{8}$`)
	for _, tt := range []struct {
		kind    Kind
		numbers []string
		keys    *regexp.Regexp
		want    Outcome
	}{
		{Valid, b.Open[0].Numbers, regexp.MustCompile(`^1234567890#$`), Admitted},
		{Slow, b.Open[0].Numbers, regexp.MustCompile(`^1234567890#$`), Admitted},
		{Abandon, b.Open[0].Numbers, regexp.MustCompile(`^1\d{0,8}$`), Abandoned},
		{Invalid, b.Wrong, regexp.MustCompile(`^\d{10}#$`), Rejected},
		{Wait, b.Wait[0].Numbers, regexp.MustCompile(`^5555555555#$`), Waiting},
		{Lobby, b.Lobby[0].Numbers, regexp.MustCompile(`^7777777777#$`), Waiting},
	} {
		for range 50 {
			p, err := b.Plan(rng, tt.kind, INFO, Brisk)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(tt.numbers, p.Number) {
				t.Errorf("%v dials %s, want one of %v", tt.kind, p.Number, tt.numbers)
			}
			if !tt.keys.MatchString(p.Keys) || !strings.HasPrefix("1234567890", p.Keys) && tt.kind == Abandon {
				t.Errorf("%v types %q", tt.kind, p.Keys)
			}
			if tt.kind == Invalid && b.isPIN(strings.TrimSuffix(p.Keys, "#")) {
				t.Errorf("a wrong PIN that opens a room: %q", p.Keys)
			}
			wantGaps := len(p.Keys) - 1
			if tt.kind == Abandon {
				wantGaps++ // the pause before hanging up
			}
			if len(p.Gaps) != wantGaps || p.Expected() != tt.want || !caller.MatchString(p.Caller) || p.Method != INFO {
				t.Errorf("%v: %d gaps for %q, expected %v, caller %q", tt.kind, len(p.Gaps), p.Keys, p.Expected(), p.Caller)
			}
			for _, g := range p.Gaps {
				if g < Brisk.Gap[0] || g > 2*Brisk.Gap[1] {
					t.Errorf("%v: gap %v outside the typing's range", tt.kind, g)
				}
			}
			if p.Listen < Brisk.Listen[0] || p.Listen > Brisk.Listen[1] {
				t.Errorf("listens %v", p.Listen)
			}
		}
	}
	if _, err := (&Book{}).Plan(rng, Valid, RFC4733, Brisk); err == nil {
		t.Error("a plan without rooms: no error")
	}
	if p := (Plan{Kind: Valid, Bridge: true}); p.Expected() != Bridged {
		t.Errorf("a bridged plan expects %v", p.Expected())
	}
}

func TestParseKindAndMethod(t *testing.T) {
	for k := range kinds {
		if got, err := ParseKind(strings.ToUpper(k.String())); err != nil || got != k {
			t.Errorf("ParseKind(%v) = %v, %v", k, got, err)
		}
	}
	for m := range methods {
		if got, err := ParseMethod(m.String()); err != nil || got != m {
			t.Errorf("ParseMethod(%v) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseKind("loud"); err == nil {
		t.Error("ParseKind(loud): no error")
	}
	if _, err := ParseMethod("inband"); err == nil {
		t.Error("ParseMethod(inband): no error")
	}
}

func TestParseProfile(t *testing.T) {
	got, err := ParseProfile("50, 100@10s,150.5", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rate{{50, 3 * time.Second}, {100, 10 * time.Second}, {150.5, 3 * time.Second}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d: %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", ",", "0", "-5", "fast", "50@", "50@soon", "50@500ms", "1e9"} {
		if _, err := ParseProfile(bad, time.Second); err == nil {
			t.Errorf("ParseProfile(%q): no error", bad)
		}
	}
}
