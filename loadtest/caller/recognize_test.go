package caller

import (
	"bytes"
	"testing"
)

// TestRecognizerNamesEveryRecording feeds each recording's frames as sipgate sends them: each is known
// as itself, within its first second and a half ("please wait" and "please wait, someone will let you
// in" share their first words).
func TestRecognizerNamesEveryRecording(t *testing.T) {
	r, err := NewRecognizer()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.names) < 12 {
		t.Fatalf("%d recordings loaded, want every prompt in every language and music on hold", len(r.names))
	}
	for i, name := range r.names {
		var sp talkspurt
		r.begin(&sp, 1000)
		got, at := "", 0
		for k, f := range r.frames[i] {
			if got = r.feed(&sp, uint64(1000+k), f); got != "" {
				at = k
				break
			}
		}
		if got != name || at >= 75 {
			t.Errorf("recording %d: recognised as %q after %d frames, want %q within 75", i, got, at+1, name)
		}
	}
}

func TestRecognizerUnknownAndPartial(t *testing.T) {
	r, err := NewRecognizer()
	if err != nil {
		t.Fatal(err)
	}
	var sp talkspurt
	r.begin(&sp, 50)
	if got := r.feed(&sp, 50, bytes.Repeat([]byte{0x42}, 160)); got != PromptUnknown {
		t.Errorf("a frame of no recording: %q, want %q", got, PromptUnknown)
	}
	if got := r.feed(&sp, 51, r.frames[0][1]); got != "" {
		t.Errorf("after the talkspurt was named: %q, want nothing", got)
	}

	// Every recording starts with the same silence: a talkspurt cut after its first frame is unknown yet.
	r.begin(&sp, 7)
	if got := r.feed(&sp, 7, r.frames[0][0]); got != "" {
		t.Errorf("after one frame of silence: %q, want no name yet", got)
	}
	if got := r.feed(&sp, 6, r.frames[0][0]); got != "" {
		t.Errorf("a packet from before the talkspurt: %q, want it ignored", got)
	}
}
