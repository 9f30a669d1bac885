package caller

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Kind is what a caller does with the PIN.
type Kind uint8

const (
	// Valid types a room's PIN and '#', hears "connecting" and hangs up, or stays to be bridged.
	Valid Kind = iota
	// Invalid types a PIN no room has and '#', hears "that PIN is not valid" and hangs up.
	Invalid
	// Slow types a room's PIN with long pauses (under sipgate's 5 s inter-digit timeout).
	Slow
	// Abandon types part of a PIN and hangs up mid-entry.
	Abandon
	// Wait types the PIN of a room whose host is not there yet, hears "waiting for the host", then music on
	// hold, until released.
	Wait
	// Lobby types the PIN of a restricted room, hears "someone will let you in shortly", then music on
	// hold, in the room's lobby until released.
	Lobby
	kinds
)

var kindNames = [kinds]string{"valid", "invalid", "slow", "abandon", "wait", "lobby"}

func (k Kind) String() string {
	if k < kinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// MarshalText writes the kind's name, for JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// ParseKind reads a kind's name.
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if strings.EqualFold(s, n) {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("caller: unknown caller kind %q (want %s)", s, strings.Join(kindNames[:], ", "))
}

// Method is how keys reach sipgate.
type Method uint8

const (
	// RFC4733 sends keys as telephone-event RTP packets.
	RFC4733 Method = iota
	// INFO sends each key as a SIP INFO request (application/dtmf-relay).
	INFO
	methods
)

var methodNames = [methods]string{"rfc4733", "info"}

func (m Method) String() string {
	if m < methods {
		return methodNames[m]
	}
	return fmt.Sprintf("method(%d)", m)
}

// MarshalText writes the method's name, for JSON.
func (m Method) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// ParseMethod reads a method's name.
func ParseMethod(s string) (Method, error) {
	for m, n := range methodNames {
		if strings.EqualFold(s, n) {
			return Method(m), nil
		}
	}
	return 0, fmt.Errorf("caller: unknown DTMF method %q (want %s)", s, strings.Join(methodNames[:], ", "))
}

// HoldUntilReleased, as a Plan's Hold, keeps the call after its outcome until the run releases it.
const HoldUntilReleased time.Duration = -1

// Plan is everything one caller does.
type Plan struct {
	Kind   Kind
	Method Method
	Number string // the number dialled, E.164
	Caller string // the caller's number, E.164
	// Keys are the keys typed, '#' last when the entry is complete. Never logged.
	Keys string
	// Listen is the time from the start of the first prompt to the first key: a caller who knows the
	// drill barges in, a slow one hears it out.
	Listen time.Duration
	// Gaps are the pauses before each key after the first, from the end of the previous one.
	Gaps []time.Duration
	// Press is how long each key is held (the RFC 4733 event's duration).
	Press time.Duration
	// Hold is how long the call stays once its outcome is known; 0 hangs up at once, HoldUntilReleased
	// until the run releases it.
	Hold time.Duration
	// Bridge waits, before holding, for sipgate to bridge the call into the room: its audio echoed back.
	Bridge bool
}

// Expected is the outcome of a call that goes as planned.
func (p Plan) Expected() Outcome {
	switch p.Kind {
	case Invalid:
		return Rejected
	case Abandon:
		return Abandoned
	case Wait, Lobby:
		return Waiting
	}
	if p.Bridge {
		return Bridged
	}
	return Admitted
}

// Typing is how fast callers type: uniform ranges, drawn per call and per key.
type Typing struct {
	Listen [2]time.Duration // from the start of the first prompt to the first key
	Gap    [2]time.Duration // between keys
	Press  [2]time.Duration // how long a key is held
}

var (
	// Brisk is a caller who knows the PIN by heart: barges in after a second of the prompt and types
	// about three keys a second.
	Brisk = Typing{Listen: [2]time.Duration{600 * time.Millisecond, 1800 * time.Millisecond},
		Gap:   [2]time.Duration{120 * time.Millisecond, 360 * time.Millisecond},
		Press: [2]time.Duration{70 * time.Millisecond, 130 * time.Millisecond}}
	// Hesitant reads the PIN off an invitation: hears the prompt out, then a key every one to two and
	// a half seconds.
	Hesitant = Typing{Listen: [2]time.Duration{3600 * time.Millisecond, 5 * time.Second},
		Gap:   [2]time.Duration{800 * time.Millisecond, 2500 * time.Millisecond},
		Press: [2]time.Duration{80 * time.Millisecond, 160 * time.Millisecond}}
	// Dawdling stays in the IVR as long as sipgate lets a caller: a key every two to four and a half
	// seconds, under the 5 s inter-digit timeout.
	Dawdling = Typing{Listen: [2]time.Duration{3600 * time.Millisecond, 5 * time.Second},
		Gap:   [2]time.Duration{2 * time.Second, 4500 * time.Millisecond},
		Press: [2]time.Duration{80 * time.Millisecond, 160 * time.Millisecond}}
)

func between(rng *rand.Rand, r [2]time.Duration) time.Duration {
	if r[1] <= r[0] {
		return r[0]
	}
	return r[0] + time.Duration(rng.Int64N(int64(r[1]-r[0]+1)))
}

// Room is a room as callers reach it: its PIN and the numbers of its trunk.
type Room struct {
	PIN     string
	Numbers []string
}

// Book is what the caller knows of the fixtures.
type Book struct {
	Open  []Room   // public rooms with phone_callers_first: callers are admitted at once
	Wait  []Room   // public rooms without it, and nobody there: callers wait for the host
	Lobby []Room   // restricted rooms: callers wait in the lobby for an administrator
	Wrong []string // numbers to type wrong PINs at (the fixture trunk's), spread so that no number reaches the core's per-number limit
	// PINLength is the length of wrong PINs (the trunk's).
	PINLength int
}

// Plan draws one caller of kind, keys by method, typing at t, from rng.
func (b *Book) Plan(rng *rand.Rand, kind Kind, method Method, t Typing) (Plan, error) {
	p := Plan{Kind: kind, Method: method, Caller: callerNumber(rng), Listen: between(rng, t.Listen),
		Press: between(rng, t.Press)}
	switch kind {
	case Valid, Slow, Abandon:
		if len(b.Open) == 0 {
			return Plan{}, fmt.Errorf("caller: no open room to call")
		}
		r := b.Open[rng.IntN(len(b.Open))]
		p.Number, p.Keys = r.Numbers[rng.IntN(len(r.Numbers))], r.PIN+"#"
		if kind == Abandon {
			p.Keys = r.PIN[:1+rng.IntN(max(len(r.PIN)-1, 1))]
		}
	case Wait, Lobby:
		rooms := b.Wait
		if kind == Lobby {
			rooms = b.Lobby
		}
		if len(rooms) == 0 {
			return Plan{}, fmt.Errorf("caller: no room for a %v caller", kind)
		}
		r := rooms[rng.IntN(len(rooms))]
		p.Number, p.Keys = r.Numbers[rng.IntN(len(r.Numbers))], r.PIN+"#"
	case Invalid:
		if len(b.Wrong) == 0 {
			return Plan{}, fmt.Errorf("caller: no number for wrong PINs")
		}
		p.Number, p.Keys = b.Wrong[rng.IntN(len(b.Wrong))], b.wrongPIN(rng)+"#"
	default:
		return Plan{}, fmt.Errorf("caller: unknown kind %v", kind)
	}
	p.Gaps = make([]time.Duration, max(len(p.Keys)-1, 0))
	for i := range p.Gaps {
		p.Gaps[i] = between(rng, t.Gap)
	}
	if kind == Abandon { // the caller gives up after a pause
		p.Gaps = append(p.Gaps, between(rng, t.Gap)+between(rng, t.Gap))
	}
	return p, nil
}

// wrongPIN draws digits of the trunk's PIN length that open no fixture room. With ten digits a hit on a
// room outside the fixtures is one chance in hundreds of millions per call.
func (b *Book) wrongPIN(rng *rand.Rand) string {
	n := max(b.PINLength, 4)
	for {
		d := make([]byte, n)
		for i := range d {
			d[i] = byte('0' + rng.IntN(10))
		}
		if !b.isPIN(string(d)) {
			return string(d)
		}
	}
}

func (b *Book) isPIN(pin string) bool {
	for _, rs := range [][]Room{b.Open, b.Wait, b.Lobby} {
		for _, r := range rs {
			if r.PIN == pin {
				return true
			}
		}
	}
	return false
}

// callerNumber is a French mobile number (+33 6…) drawn per call: the core limits wrong PINs per caller id,
// and a load test must not look like one caller guessing.
func callerNumber(rng *rand.Rand) string {
	return fmt.Sprintf("+336%08d", rng.IntN(100000000))
}

// Mix is the share of each kind and each method among the calls of a step.
type Mix struct {
	Kinds   [kinds]int
	Methods [methods]int
}

// Draw picks a kind and a method by their weights.
func (m Mix) Draw(rng *rand.Rand) (Kind, Method) {
	return Kind(draw(rng, m.Kinds[:])), Method(draw(rng, m.Methods[:]))
}

func draw(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	if total <= 0 {
		return 0
	}
	n := rng.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return 0
}

// ParseMix reads "valid=80,invalid=10,slow=5,abandon=5,rfc4733=80,info=20": weights of kinds and methods,
// in any order; a kind or method left out weighs 0, and with no method at all every call uses RFC 4733.
func ParseMix(s string) (Mix, error) {
	var m Mix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, val, ok := strings.Cut(f, "=")
		var w int
		if _, err := fmt.Sscan(val, &w); !ok || err != nil || w < 0 {
			return Mix{}, fmt.Errorf("caller: mix %q: want name=weight, a whole number", f)
		}
		if k, err := ParseKind(name); err == nil {
			m.Kinds[k] = w
			continue
		}
		meth, err := ParseMethod(name)
		if err != nil {
			return Mix{}, fmt.Errorf("caller: mix %q: %q is neither a caller kind (%s) nor a DTMF method (%s)",
				s, name, strings.Join(kindNames[:], ", "), strings.Join(methodNames[:], ", "))
		}
		m.Methods[meth] = w
	}
	if sum(m.Kinds[:]) == 0 {
		return Mix{}, fmt.Errorf("caller: mix %q: no caller kind has a weight", s)
	}
	if sum(m.Methods[:]) == 0 {
		m.Methods[RFC4733] = 1
	}
	return m, nil
}

func sum(ws []int) int {
	t := 0
	for _, w := range ws {
		t += w
	}
	return t
}

// String writes the mix as ParseMix reads it.
func (m Mix) String() string {
	var parts []string
	for k, w := range m.Kinds {
		if w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", Kind(k), w))
		}
	}
	for meth, w := range m.Methods {
		if w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", Method(meth), w))
		}
	}
	return strings.Join(parts, ",")
}
