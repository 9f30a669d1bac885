package caller

import (
	"bytes"
	"fmt"
	"math/bits"
	"time"

	"github.com/meetline/meetline/sipgate/media"
)

// Prompt names the caller recognises, as sipgate's recordings name them.
const (
	PromptEnterPIN            = string(media.EnterPIN)
	PromptInvalidPIN          = string(media.InvalidPIN)
	PromptConnecting          = string(media.Connecting)
	PromptWaitingForHost      = string(media.WaitingForHost)
	PromptWaitingForAdmission = string(media.WaitingForAdmission)
	PromptMusicOnHold         = string(media.MusicOnHold)
	// PromptUnknown is a talkspurt that matches no recording.
	PromptUnknown = "unknown"
)

// Recognizer tells which of sipgate's recordings a talkspurt is by comparing its frames, in order, with
// the recordings' μ-law frames: sipgate sends them untouched, one 20 ms frame per packet, from the marker
// bit on. Every recording starts with the same silence, so a talkspurt is known only at the first frame
// where all but one candidate differ; that takes a few hundred milliseconds, but the talkspurt's time is
// its first packet's. It is immutable and safe to share.
type Recognizer struct {
	names  []string
	frames [][][]byte // per recording, its PCMU frames
	all    uint64     // one bit per recording
}

// NewRecognizer loads sipgate's recordings in every language, and music on hold: a room's PIN may live in
// any trunk, whose language picks the recordings.
func NewRecognizer() (*Recognizer, error) {
	ps, err := media.LoadPrompts()
	if err != nil {
		return nil, fmt.Errorf("caller: prompts: %w", err)
	}
	names := []media.Name{media.EnterPIN, media.InvalidPIN, media.PleaseWait, media.Connecting,
		media.TooManyAttempts, media.Unavailable, media.WaitingForHost, media.WaitingForAdmission, media.Denied,
		media.MeetingEnded, media.WaitTimeout}
	r := &Recognizer{}
	add := func(lang string, n media.Name) {
		if p, ok := ps.Get(lang, n); ok && len(r.names) < 64 {
			r.names = append(r.names, string(n))
			r.frames = append(r.frames, p.Frames(media.PCMU))
		}
	}
	for _, lang := range ps.Languages() {
		for _, n := range names {
			add(lang, n)
		}
	}
	add(media.DefaultLanguage, media.MusicOnHold)
	r.all = 1<<len(r.names) - 1
	return r, nil
}

// talkspurt is the recognition state of one talkspurt.
type talkspurt struct {
	base  uint64    // extended sequence number of its first packet
	at    time.Time // when its first packet arrived
	cands uint64    // recordings still matching
	done  bool
}

// begin starts recognising a talkspurt whose first packet has extended sequence number base.
func (r *Recognizer) begin(t *talkspurt, base uint64) {
	*t = talkspurt{base: base, cands: r.all}
}

// feed narrows the candidates with the packet of extended sequence number ext and returns the name of the
// recording once one candidate is left (PromptUnknown when none is), and "" while it cannot tell yet.
func (r *Recognizer) feed(t *talkspurt, ext uint64, payload []byte) string {
	if t.done || ext < t.base {
		return ""
	}
	k := ext - t.base
	for c := t.cands; c != 0; c &= c - 1 {
		i := bits.TrailingZeros64(c)
		if k >= uint64(len(r.frames[i])) || !bytes.Equal(r.frames[i][k], payload) {
			t.cands &^= 1 << i
		}
	}
	if t.cands == 0 {
		t.done = true
		return PromptUnknown
	}
	// Known once every candidate left has one name (the same recording in several languages would do).
	name := r.names[bits.TrailingZeros64(t.cands)]
	for c := t.cands; c != 0; c &= c - 1 {
		if r.names[bits.TrailingZeros64(c)] != name {
			return ""
		}
	}
	t.done = true
	return name
}
