package media

import (
	"strconv"
	"time"
)

// Name identifies a prompt; the value is its file name without ".ulaw".
type Name string

// The prompts of the PIN-entry IVR and of the wait for admission, and music
// on hold.
const (
	EnterPIN            Name = "enter_pin"             // enter the meeting PIN followed by the pound key
	InvalidPIN          Name = "invalid_pin"           // that PIN is not valid
	PleaseWait          Name = "please_wait"           // please wait
	Connecting          Name = "connecting"            // connecting you
	TooManyAttempts     Name = "too_many_attempts"     // too many attempts, goodbye
	Unavailable         Name = "unavailable"           // service unavailable
	WaitingForHost      Name = "waiting_for_host"      // waiting for the host
	WaitingForAdmission Name = "waiting_for_admission" // someone in the meeting will let you in shortly
	Denied              Name = "denied"                // you were not admitted, goodbye
	MeetingEnded        Name = "meeting_ended"         // the meeting has ended, goodbye
	WaitTimeout         Name = "wait_timeout"          // nobody let you in yet, try again later, goodbye
	MusicOnHold         Name = "music_on_hold"         // a loopable few seconds of music, any language
)

// The prompts that answer a bridged caller's keypad commands (*6, *9, *0).
const (
	Muted         Name = "muted"          // you are muted, press star six to unmute
	Unmuted       Name = "unmuted"        // you are unmuted
	HandRaised    Name = "hand_raised"    // your hand is raised, press star nine to lower it
	HandLowered   Name = "hand_lowered"   // your hand is lowered
	UnmuteRefused Name = "unmute_refused" // the host muted you, you cannot unmute yourself
	KeypadMenu    Name = "keypad_menu"    // star six, star nine, star zero
)

// The prompts that tell a bridged caller what a host did, and who they
// meet.
const (
	HostMuted        Name = "host_muted"        // the host muted you, press star six to unmute
	HostUnmuted      Name = "host_unmuted"      // the host unmuted you
	Removed          Name = "removed"           // the host removed you from the meeting, goodbye
	FirstParticipant Name = "first_participant" // you are the first participant in the meeting
)

// ParticipantCount names the prompt that says how many people are in the
// meeting: "the only person" for 1, the number up to 9, "more than nine"
// beyond.
func ParticipantCount(n int) Name {
	if n > 9 {
		return "participants_many"
	}
	return Name("participants_" + strconv.Itoa(max(n, 1)))
}

// Prompt is one recording, cut into 20 ms G.711 frames for both laws when it
// is made. The zero Prompt is silent (no frames). Prompts are immutable and
// safe to share between calls.
type Prompt struct {
	lang  string
	name  Name
	ulaw  [][]byte
	alaw  [][]byte
	bytes int
}

// NewPrompt makes a prompt from headerless 8 kHz μ-law audio (ITU-T G.711),
// padding the last frame with μ-law silence (0xFF). The A-law frames are
// transcoded here, once.
func NewPrompt(lang string, name Name, ulaw []byte) Prompt {
	n := (len(ulaw) + FrameSamples - 1) / FrameSamples
	u := make([]byte, n*FrameSamples)
	for i := copy(u, ulaw); i < len(u); i++ {
		u[i] = 0xFF
	}
	a := make([]byte, len(u))
	for i, b := range u {
		a[i] = ULawToALaw(b)
	}
	return Prompt{lang: lang, name: name, ulaw: frames(u), alaw: frames(a), bytes: len(ulaw)}
}

func frames(b []byte) [][]byte {
	f := make([][]byte, 0, len(b)/FrameSamples)
	for len(b) > 0 {
		f = append(f, b[:FrameSamples:FrameSamples])
		b = b[FrameSamples:]
	}
	return f
}

// Frames returns the prompt as 160-byte frames of codec c (nil for a codec
// the package does not implement). The frames are shared: do not modify.
func (p Prompt) Frames(c Codec) [][]byte {
	switch c {
	case PCMU:
		return p.ulaw
	case PCMA:
		return p.alaw
	}
	return nil
}

// Duration returns how long the recording plays.
func (p Prompt) Duration() time.Duration {
	return time.Duration(p.bytes) * time.Second / ClockRate
}

// Name returns the prompt's name.
func (p Prompt) Name() Name { return p.name }

// Language returns the language tag of the set the prompt came from
// ("common" for music on hold).
func (p Prompt) Language() string { return p.lang }
