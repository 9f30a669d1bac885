package media

import (
	"io/fs"
	"math"
	"slices"
	"testing"
	"testing/fstest"
	"time"
)

var (
	languages   = []string{"de-de", "en-us", "fr-fr", "nl-nl"}
	speechNames = []Name{EnterPIN, InvalidPIN, PleaseWait, Connecting, TooManyAttempts, Unavailable, WaitingForHost,
		WaitingForAdmission, Denied, MeetingEnded, WaitTimeout, Muted, Unmuted, HandRaised, HandLowered, UnmuteRefused,
		KeypadMenu, HostMuted, HostUnmuted, Removed, FirstParticipant, ParticipantCount(1), ParticipantCount(2), ParticipantCount(5), ParticipantCount(9), ParticipantCount(10)}
)

func loadPrompts(t *testing.T) *Prompts {
	t.Helper()
	ps, err := LoadPrompts()
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// rms is the root mean square level of μ-law audio, in linear units.
func rms(frames [][]byte) float64 {
	var sum float64
	n := 0
	for _, f := range frames {
		for _, b := range f {
			v := float64(DecodeULaw(b))
			sum += v * v
			n++
		}
	}
	return math.Sqrt(sum / float64(max(n, 1)))
}

func TestPromptsEveryLanguageHasEveryPrompt(t *testing.T) {
	ps := loadPrompts(t)
	if got := ps.Languages(); !slices.Equal(got, languages) {
		t.Fatalf("languages %v, want %v", got, languages)
	}
	for _, lang := range languages {
		for _, name := range speechNames {
			if _, err := fs.Stat(promptFiles, "prompts/"+lang+"/"+string(name)+".ulaw"); err != nil {
				t.Errorf("missing file: %v", err)
				continue
			}
			p, ok := ps.Get(lang, name)
			if !ok || p.Language() != lang || p.Name() != name {
				t.Errorf("Get(%s, %s) = %s/%s, %v", lang, name, p.Language(), p.Name(), ok)
				continue
			}
			// Speech, not silence: over half a second, and about −30 dBFS
			// or louder on average (silence is 0, the files are normalised).
			if d, level := p.Duration(), rms(p.Frames(PCMU)); d < 500*time.Millisecond || level < 500 {
				t.Errorf("%s/%s: %v long, RMS %.0f", lang, name, d, level)
			}
			if len(p.Frames(PCMA)) != len(p.Frames(PCMU)) {
				t.Errorf("%s/%s: A-law and μ-law frame counts differ", lang, name)
			}
		}
	}
}

func TestMusicOnHold(t *testing.T) {
	ps := loadPrompts(t)
	for _, lang := range append(languages, "xx") {
		p, ok := ps.Get(lang, MusicOnHold)
		if !ok || p.Language() != "common" {
			t.Fatalf("Get(%s, music_on_hold) = %s, %v", lang, p.Language(), ok)
		}
	}
	p, _ := ps.Get("en-us", MusicOnHold)
	frames := p.Frames(PCMU)
	if p.Duration() < 3*time.Second || rms(frames) < 1000 {
		t.Fatalf("music on hold: %v long, RMS %.0f", p.Duration(), rms(frames))
	}
	// Loopable: it starts and ends quietly, so the seam does not click.
	first, last := frames[0][:40], frames[len(frames)-1][120:]
	if rms([][]byte{first}) > 300 || rms([][]byte{last}) > 300 {
		t.Errorf("loop seam is loud: start RMS %.0f, end RMS %.0f", rms([][]byte{first}), rms([][]byte{last}))
	}
}

func TestPromptsLanguageFallback(t *testing.T) {
	ps := loadPrompts(t)
	for lang, want := range map[string]string{
		"fr-fr": "fr-fr", "fr": "fr-fr", "FR-be": "fr-fr", "de-DE": "de-de", "de_AT": "de-de",
		"nl_NL": "nl-nl", "nl-BE": "nl-nl", "en": "en-us", "en-GB": "en-us", "es-ES": "en-us", "": "en-us", "common": "en-us",
	} {
		if p, ok := ps.Get(lang, EnterPIN); !ok || p.Language() != want {
			t.Errorf("Get(%q) took %q, want %q", lang, p.Language(), want)
		}
	}
	if _, ok := ps.Get("en-us", "no_such_prompt"); ok {
		t.Error("unknown name found")
	}
}

func TestNewPromptFrames(t *testing.T) {
	p := NewPrompt("x", "y", make([]byte, 170))
	u, a := p.Frames(PCMU), p.Frames(PCMA)
	if len(u) != 2 || len(a) != 2 || len(u[1]) != 160 || len(a[1]) != 160 {
		t.Fatalf("frames %d/%d", len(u), len(a))
	}
	if u[1][9] != 0 || u[1][10] != 0xFF || u[1][159] != 0xFF || a[1][159] != 0xD5 {
		t.Errorf("last frame not padded with silence: %x", u[1][:16])
	}
	if p.Duration() != 170*time.Second/8000 {
		t.Errorf("duration %v", p.Duration())
	}
	if p.Frames(Codec(18)) != nil {
		t.Error("frames for an unknown codec")
	}
}

func TestLoadPromptsFS(t *testing.T) {
	ps, err := LoadPromptsFS(fstest.MapFS{
		"en-us/enter_pin.ulaw": {Data: make([]byte, 320)},
		"sv-se/enter_pin.ulaw": {Data: make([]byte, 160)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := ps.Get("sv", EnterPIN); p.Language() != "sv-se" || len(p.Frames(PCMU)) != 1 {
		t.Errorf("sv prompt: %s %d", p.Language(), len(p.Frames(PCMU)))
	}
	if p, ok := ps.Get("sv", InvalidPIN); ok {
		t.Errorf("missing prompt found: %s", p.Language())
	}
	if _, err := LoadPromptsFS(fstest.MapFS{"fr-fr/enter_pin.ulaw": {Data: []byte{1}}}); err == nil {
		t.Error("a set without en-us loaded")
	}
}
