package dtmf

import "time"

// Defaults of [EntryConfig], after Asterisk's ConfBridge PIN prompt and LiveKit's 16-digit limit.
const (
	DefaultFirstDigitTimeout = 10 * time.Second
	DefaultInterDigitTimeout = 5 * time.Second
	DefaultMaxDigits         = 16
)

// EntryConfig configures an [Entry]. A zero or negative field takes its default.
type EntryConfig struct {
	FirstDigitTimeout time.Duration // from the start of an attempt to its first key; default 10 s
	InterDigitTimeout time.Duration // from one key to the next; default 5 s
	MaxDigits         int           // longest PIN; more keys before '#' make a wrong PIN; default 16
}

func (c EntryConfig) withDefaults() EntryConfig {
	if c.FirstDigitTimeout <= 0 {
		c.FirstDigitTimeout = DefaultFirstDigitTimeout
	}
	if c.InterDigitTimeout <= 0 {
		c.InterDigitTimeout = DefaultInterDigitTimeout
	}
	if c.MaxDigits <= 0 {
		c.MaxDigits = DefaultMaxDigits
	}
	return c
}

// Entry is the PIN-entry state machine of one call: keys until '#', '*' to start over, a first-digit and
// an inter-digit timeout, a maximum length.
//
// It is pure: no goroutines, no timers, the clock is the caller's. After every call the caller arms its
// timer for [Entry.Deadline] and, when the timer fires, calls [Entry.Timeout]. Press does not look at the
// deadline: a key that arrives before the caller has acted on an expired deadline still counts.
//
// The rules where the issue is silent:
//   - '#' before any key is ignored (Continue) and leaves the deadline alone: an early '#' is a slip, not
//     a wrong PIN.
//   - More than MaxDigits keys is reported as TooLong when the attempt ends — by '#' or by the inter-digit
//     timeout — not at the extra key, so that the caller's remaining keys do not spill into the next
//     attempt. Keys beyond MaxDigits are counted, not stored.
//   - 'A'–'D' count as keys but make the attempt Invalid when it ends: PINs are decimal, and a PIN that
//     reaches the caller (Done, TimedOutInter) is always 1 to MaxDigits decimal digits.
//   - Every result other than Continue ends the attempt and starts the next one at once, with the
//     first-digit timeout from that moment: keys typed during a re-prompt count. Call [Entry.Restart]
//     to discard them and re-arm the first-digit timeout after the prompt instead.
//
// An Entry is not safe for concurrent use.
type Entry struct {
	cfg      EntryConfig
	digits   []byte // the keys of this attempt, at most MaxDigits
	keys     int    // keys typed in this attempt, stored or not
	letters  bool   // one of them was 'A'–'D'
	deadline time.Time
}

// Outcome is what a key or a timeout did to an [Entry].
type Outcome uint8

// Outcomes of [Result].
const (
	Continue      Outcome = iota // the attempt goes on
	Done                         // '#' ended the attempt; Result.PIN is the PIN
	Cleared                      // '*' discarded the keys; a new attempt starts (the caller may re-prompt)
	TooLong                      // the attempt ended with more than MaxDigits keys: a wrong PIN
	Invalid                      // the attempt ended with a letter key 'A'–'D': a wrong PIN
	TimedOutFirst                // no key within the first-digit timeout
	TimedOutInter                // no key within the inter-digit timeout; Result.PIN holds the keys typed
)

var outcomeNames = [...]string{"continue", "done", "cleared", "too long", "invalid", "first-digit timeout",
	"inter-digit timeout"}

// String names the outcome.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Result is the outcome of one key or timeout. PIN is set for Done and TimedOutInter: 1 to MaxDigits
// decimal digits. On a timeout the policy is the caller's: submit the PIN typed so far (as Asterisk does)
// or count a failed attempt.
type Result struct {
	Outcome Outcome
	PIN     string
}

// NewEntry returns an Entry whose first attempt starts at now.
func NewEntry(cfg EntryConfig, now time.Time) *Entry {
	cfg = cfg.withDefaults()
	e := &Entry{cfg: cfg, digits: make([]byte, 0, cfg.MaxDigits)}
	e.Restart(now)
	return e
}

// Config returns the configuration in effect, defaults applied.
func (e *Entry) Config() EntryConfig { return e.cfg }

// Restart discards the keys of the current attempt and starts a new one at now.
func (e *Entry) Restart(now time.Time) {
	e.digits = e.digits[:0]
	e.keys = 0
	e.letters = false
	e.deadline = now.Add(e.cfg.FirstDigitTimeout)
}

// Deadline is when the current attempt times out if no key comes.
func (e *Entry) Deadline() time.Time { return e.deadline }

// Keys returns the number of keys typed in the current attempt ('*' and '#' excluded).
func (e *Entry) Keys() int { return e.keys }

// Press applies one key pressed at now. Bytes that are not DTMF keys are ignored (Continue).
func (e *Entry) Press(d byte, now time.Time) Result {
	switch {
	case d == '#':
		if e.keys == 0 {
			return Result{Outcome: Continue}
		}
		return e.end(Done, now)
	case d == '*':
		e.Restart(now)
		return Result{Outcome: Cleared}
	case !IsDigit(d):
		return Result{Outcome: Continue}
	}
	e.keys++
	if len(e.digits) < e.cfg.MaxDigits {
		e.digits = append(e.digits, d)
	}
	if d >= 'A' {
		e.letters = true
	}
	e.deadline = now.Add(e.cfg.InterDigitTimeout)
	return Result{Outcome: Continue}
}

// Timeout tells the Entry that its deadline may have passed. Before the deadline it does nothing
// (Continue); at or after it, it ends the attempt with TimedOutFirst when no key was typed, else with
// TimedOutInter — or TooLong or Invalid, which take precedence as for '#'.
func (e *Entry) Timeout(now time.Time) Result {
	if now.Before(e.deadline) {
		return Result{Outcome: Continue}
	}
	if e.keys == 0 {
		return e.end(TimedOutFirst, now)
	}
	return e.end(TimedOutInter, now)
}

// end ends the attempt with outcome o unless its keys make it TooLong or Invalid, and starts the next one.
func (e *Entry) end(o Outcome, now time.Time) Result {
	var r Result
	switch {
	case e.keys > e.cfg.MaxDigits:
		r.Outcome = TooLong
	case e.letters:
		r.Outcome = Invalid
	default:
		r = Result{Outcome: o}
		if o != TimedOutFirst {
			r.PIN = string(e.digits)
		}
	}
	e.Restart(now)
	return r
}
