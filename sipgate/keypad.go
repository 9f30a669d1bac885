package sipgate

import (
	"time"

	"github.com/meetline/meetline/sipgate/dtmf"
)

// KeypadCommand is what a bridged caller asks with the keypad (issue 21): "*6", "*9", "*0".
type KeypadCommand uint8

// The commands of [keypad].
const (
	KeypadNone       KeypadCommand = iota
	KeypadToggleMute               // *6: mute or unmute oneself
	KeypadToggleHand               // *9: raise or lower one's hand
	KeypadStatus                   // *0: the menu and how many people are in the meeting
)

// PhoneState is the core's answer to a keypad command: the caller's state in the meeting after it.
type PhoneState struct {
	Muted, HandRaised bool
	// UnmuteRefused: a host muted the caller and the room does not allow self-unmute.
	UnmuteRefused bool
	Participants  int
}

// keypadWindow is how long after '*' the command's digit may come.
const keypadWindow = 3 * time.Second

// keypad recognises keypad commands in a bridged caller's key presses: '*', then '6', '9' or '0' within
// keypadWindow. Every key still went to LiveKit (media.WithEvents only watches), so any other sequence
// just means nothing here. The zero value is ready.
type keypad struct {
	star time.Time // when the last '*' came, zero when none is pending
}

// press takes one key press and returns the command it completes, or KeypadNone.
func (k *keypad) press(p dtmf.Press) KeypadCommand {
	star := k.star
	k.star = time.Time{}
	if p.Digit == '*' {
		k.star = p.At
		return KeypadNone
	}
	if star.IsZero() || p.At.Sub(star) > keypadWindow {
		return KeypadNone
	}
	switch p.Digit {
	case '6':
		return KeypadToggleMute
	case '9':
		return KeypadToggleHand
	case '0':
		return KeypadStatus
	}
	return KeypadNone
}
