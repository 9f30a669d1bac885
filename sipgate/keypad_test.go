package sipgate

import (
	"testing"
	"time"

	"github.com/meetline/meetline/sipgate/dtmf"
)

func TestKeypad(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name string
		keys string
		gaps []int // ms after t0 of each key
		want []KeypadCommand
	}{
		{"*6", "*6", []int{0, 200}, []KeypadCommand{KeypadNone, KeypadToggleMute}},
		{"*9", "*9", []int{0, 200}, []KeypadCommand{KeypadNone, KeypadToggleHand}},
		{"*0", "*0", []int{0, 200}, []KeypadCommand{KeypadNone, KeypadStatus}},
		{"6 alone", "6", []int{0}, []KeypadCommand{KeypadNone}},
		{"*1", "*1", []int{0, 200}, []KeypadCommand{KeypadNone, KeypadNone}},
		{"** then 6", "**6", []int{0, 100, 200}, []KeypadCommand{KeypadNone, KeypadNone, KeypadToggleMute}},
		{"*6 too late", "*6", []int{0, 3001}, []KeypadCommand{KeypadNone, KeypadNone}},
		{"*16: the 1 breaks it", "*16", []int{0, 100, 200}, []KeypadCommand{KeypadNone, KeypadNone, KeypadNone}},
		{"*6 twice", "*6*6", []int{0, 100, 200, 300}, []KeypadCommand{KeypadNone, KeypadToggleMute, KeypadNone, KeypadToggleMute}},
		{"*66: one command", "*66", []int{0, 100, 200}, []KeypadCommand{KeypadNone, KeypadToggleMute, KeypadNone}},
	}
	for _, tt := range tests {
		var k keypad
		for i := range len(tt.keys) {
			if got := k.press(dtmf.Press{Digit: tt.keys[i], At: at(tt.gaps[i])}); got != tt.want[i] {
				t.Errorf("%s: key %d (%c) = %v, want %v", tt.name, i, tt.keys[i], got, tt.want[i])
			}
		}
	}
}
