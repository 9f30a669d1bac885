package dtmf

import (
	"errors"
	"slices"
	"testing"
)

func FuzzParseEvent(f *testing.F) {
	for _, seed := range [][]byte{nil, {1}, {1, 0x0a, 0, 0}, {0x0b, 0x8a, 0x08, 0xc0}, {0xff, 0xff, 0xff, 0xff, 1}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseEvent(b)
		if len(b) < EventSize {
			if !errors.Is(err, ErrShortPayload) {
				t.Fatalf("short payload: err %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		// The report re-encodes to its first four bytes, R bit cleared.
		re := payload(ev.Code, ev.End, ev.Volume, ev.Duration)
		want := []byte{b[0], b[1] &^ 0x40, b[2], b[3]}
		if string(re) != string(want) || ev.Volume > 63 {
			t.Fatalf("%x parsed as %+v", b[:4], ev)
		}
		if d, ok := Digit(ev.Code); ok != (ev.Code < 16) || ok && !IsDigit(d) {
			t.Fatalf("Digit(%d) = %q, %v", ev.Code, d, ok)
		}
	})
}

// FuzzRTPCollector reads the input as a sequence of 8-byte packets — SSRC selector, timestamp selector and a
// payload of up to six bytes (code, flags, duration, extra) — with few distinct SSRCs and timestamps, so that
// repeats, overlaps, history evictions and long keys' segments (timestamps 0xFFFF apart) are frequent. It
// checks that the collector never panics, only reports DTMF keys, and reports a key only for a (SSRC,
// timestamp, code) that is not among the last HistorySize events it has had to remember: each packet of a
// DTMF key not among them takes a slot of the ring, whether it starts a key or continues a long one.
func FuzzRTPCollector(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0x8a, 8, 0xc0, 0, 0})
	f.Add([]byte{0, 1, 16, 0x4a, 0, 0, 0, 0, 1, 1, 11, 0xff, 0xff, 0xff, 0, 0, 2, 3, 0, 2})
	f.Add([]byte{0, 0, 5, 0x0a, 0xff, 0x00, 0, 0, 0, 24, 5, 0x0a, 0, 0xa0, 0, 0, 0, 48, 5, 0x8a, 0x10, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c RTPCollector
		var remembered []eventKey
		for ; len(b) >= 4; b = b[min(len(b), 8):] {
			ssrc := uint32(b[0] % 3)
			ts := uint32(b[1]%24)*160 + uint32(b[1]/24%3)*maxSegment
			pl := b[2:min(len(b), 8)] // 2 to 6 bytes: short, whole and packed payloads
			key := eventKey{ssrc: ssrc, timestamp: ts, code: pl[0]}
			recent := slices.Contains(remembered[max(0, len(remembered)-HistorySize):], key)
			d, ok := c.Add(ssrc, ts, pl)
			if _, digit := Digit(pl[0]); digit && len(pl) >= EventSize && !recent {
				remembered = append(remembered, key)
			}
			if !ok {
				continue
			}
			if !IsDigit(d) {
				t.Fatalf("reported %q", d)
			}
			if recent {
				t.Fatalf("key %+v reported again while among the last %d events", key, HistorySize)
			}
		}
	})
}

func FuzzParseInfo(f *testing.F) {
	f.Add(TypeDTMFRelay, []byte("Signal=5\r\nDuration=160\r\n"))
	f.Add("application/DTMF; charset=x", []byte("#\r\n"))
	f.Add(TypeDTMFRelay, []byte("signal = 11\nduration=100"))
	f.Add("", []byte{})
	f.Add("text/plain", []byte("5"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		d, err := ParseInfo(ct, body)
		switch {
		case err == nil:
			if !IsDigit(d) {
				t.Fatalf("ParseInfo(%q, %q) = %q", ct, body, d)
			}
		case d != 0:
			t.Fatalf("digit %q with error %v", d, err)
		case !errors.Is(err, ErrNoDigit) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedType):
			t.Fatalf("unexpected error %v", err)
		}
		if code := StatusCode(err); code != 200 && code != 400 && code != 415 {
			t.Fatalf("status %d for %v", code, err)
		}
	})
}
