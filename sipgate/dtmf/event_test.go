package dtmf

import (
	"errors"
	"testing"
)

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    Event
		wantErr error
	}{
		{"sipp first packet, duration 0", []byte{0x01, 0x0a, 0x00, 0x00}, Event{Code: 1, Volume: 10}, nil},
		{"sipp end packet", []byte{0x0b, 0x8a, 0x08, 0xc0}, Event{Code: 11, End: true, Volume: 10, Duration: 2240}, nil},
		{"R bit ignored", []byte{0x05, 0x4a, 0x00, 0xa0}, Event{Code: 5, Volume: 10, Duration: 160}, nil},
		{"E and R bits, volume 63", []byte{0x0a, 0xff, 0xff, 0xff}, Event{Code: 10, End: true, Volume: 63, Duration: 65535}, nil},
		{"flash", []byte{16, 0x80, 0x03, 0x20}, Event{Code: 16, End: true, Duration: 800}, nil},
		{"packed events: first taken", []byte{1, 0x8a, 0, 160, 2, 0x8a, 0, 160}, Event{Code: 1, End: true, Volume: 10, Duration: 160}, nil},
		{"trailing bytes ignored", []byte{9, 0, 0, 0, 0xde, 0xad}, Event{Code: 9}, nil},
		{"empty", nil, Event{}, ErrShortPayload},
		{"three bytes", []byte{1, 0x8a, 0}, Event{}, ErrShortPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEvent(tt.payload)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDigit(t *testing.T) {
	const keys = "0123456789*#ABCD"
	for code := range 256 {
		d, ok := Digit(uint8(code))
		if code < len(keys) {
			if !ok || d != keys[code] {
				t.Errorf("Digit(%d) = %q, %v; want %q", code, d, ok, keys[code])
			}
			if !IsDigit(d) {
				t.Errorf("IsDigit(%q) = false", d)
			}
			continue
		}
		if ok {
			t.Errorf("Digit(%d) = %q, want no digit", code, d)
		}
	}
	for _, b := range []byte("abcdE!9:/ \x00") {
		if IsDigit(b) != (b == '9') {
			t.Errorf("IsDigit(%q) = %v", b, IsDigit(b))
		}
	}
}
