package dtmf_test

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/meetline/meetline/sipgate/dtmf"
	"github.com/meetline/meetline/sipgate/media"
)

// dtmfFreqs are each key's low and high tones (ITU-T Q.23).
var dtmfFreqs = map[byte][2]float64{
	'1': {697, 1209}, '2': {697, 1336}, '3': {697, 1477}, 'A': {697, 1633},
	'4': {770, 1209}, '5': {770, 1336}, '6': {770, 1477}, 'B': {770, 1633},
	'7': {852, 1209}, '8': {852, 1336}, '9': {852, 1477}, 'C': {852, 1633},
	'*': {941, 1209}, '0': {941, 1336}, '#': {941, 1477}, 'D': {941, 1633},
}

// tone is ms milliseconds of key at amplitudes low and high (of 32767), with the frequencies off by dev.
func tone(key byte, ms int, low, high, dev float64) []int16 {
	f := dtmfFreqs[key]
	out := make([]int16, ms*8)
	for i := range out {
		t := float64(i) / 8000
		out[i] = int16(low*math.Sin(2*math.Pi*f[0]*(1+dev)*t) + high*math.Sin(2*math.Pi*f[1]*(1+dev)*t))
	}
	return out
}

// throughG711 encodes samples to μ-law and back, as a phone call carries them.
func throughG711(s []int16) []int16 {
	out := make([]int16, len(s))
	for i, v := range s {
		out[i] = media.DecodeULaw(media.EncodeULaw(v))
	}
	return out
}

// detect feeds audio in 20 ms frames and returns the keys found.
func detect(audio []int16) string {
	var d dtmf.Detector
	var keys []byte
	for i := 0; i < len(audio); i += 160 {
		d.Feed(audio[i:min(i+160, len(audio))], func(k byte) { keys = append(keys, k) })
	}
	return string(keys)
}

func TestDetectorKeys(t *testing.T) {
	silence := make([]int16, 60*8)
	tests := []struct {
		name       string
		ms         int
		low, high  float64
		dev, noise float64
		want       bool
	}{
		{"50 ms, -10 dBm0", 50, 7000, 7000, 0, 0, true},
		{"40 ms, the shortest Q.24 accepts", 40, 7000, 7000, 0, 0, true},
		{"high group 6 dB stronger", 60, 3500, 7000, 0, 0, true},
		{"low group 3 dB stronger", 60, 7000, 5000, 0, 0, true},
		{"frequencies 1.5 % off", 60, 7000, 7000, 0.015, 0, true},
		{"quiet, -30 dBm0", 60, 700, 700, 0, 0, true},
		{"with noise 20 dB under", 60, 7000, 7000, 0, 700, true},
		{"20 ms: too short", 20, 7000, 7000, 0, 0, false},
		{"high group 12 dB stronger", 60, 1800, 7000, 0, 0, false},
		{"too quiet", 60, 100, 100, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var audio []int16
			want := ""
			for _, k := range []byte("123A456B789C*0#D") {
				audio = append(audio, tone(k, tc.ms, tc.low, tc.high, tc.dev)...)
				audio = append(audio, silence...)
				if tc.want {
					want += string(k)
				}
			}
			for i := range audio {
				audio[i] += int16(tc.noise * rng.NormFloat64())
			}
			if got := detect(throughG711(audio)); got != want {
				t.Errorf("keys %q, want %q", got, want)
			}
		})
	}
}

// TestDetectorLongKeyOnce: a key held for two seconds, with a glitch of one block in the middle, is one press.
func TestDetectorLongKeyOnce(t *testing.T) {
	audio := tone('5', 1000, 7000, 7000, 0)
	audio = append(audio, make([]int16, 100)...) // 12.5 ms dropout
	audio = append(audio, tone('5', 1000, 7000, 7000, 0)...)
	if got := detect(throughG711(audio)); got != "5" {
		t.Errorf("keys %q, want one 5", got)
	}
}

// TestDetectorSoxTones: tones made by sox (the real tool phones' test sets are checked against), as a
// caller's PIN: each key 80 ms, 80 ms apart.
func TestDetectorSoxTones(t *testing.T) {
	sox, err := exec.LookPath("sox")
	if err != nil {
		t.Fatal("sox is not installed: deploy/local/install.sh installs it")
	}
	dir := t.TempDir()
	pin := "1234567890#"
	var args []string
	for i, k := range []byte(pin) {
		f := dtmfFreqs[k]
		name := filepath.Join(dir, string(rune('a'+i))+".ul")
		cmd := exec.Command(sox, "-n", "-r", "8000", "-c", "1", "-e", "u-law", name,
			"synth", "0.08", "sine", ftoa(f[0]), "sine", ftoa(f[1]), "remix", "1,2", "gain", "-8", "pad", "0", "0.08")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sox: %v\n%s", err, out)
		}
		args = append(args, name)
	}
	out := filepath.Join(dir, "pin.ul")
	if b, err := exec.Command(sox, append(args, out)...).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, b)
	}
	ulaw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	audio := make([]int16, len(ulaw))
	for i, b := range ulaw {
		audio[i] = media.DecodeULaw(b)
	}
	if got := detect(audio); got != pin {
		t.Errorf("keys %q in sox's tones, want %q", got, pin)
	}
}

func ftoa(f float64) string { return strconv.Itoa(int(f)) }

// TestDetectorTalkOff: an hour of speech and music — every prompt sipgate plays, in four languages, and its
// music on hold, at three levels and shifted against the blocks, alone and mixed — makes no key.
func TestDetectorTalkOff(t *testing.T) {
	prompts, err := media.LoadPrompts()
	if err != nil {
		t.Fatal(err)
	}
	var corpus [][]int16
	for _, lang := range prompts.Languages() {
		for _, name := range []media.Name{media.EnterPIN, media.InvalidPIN, media.TooManyAttempts, media.Connecting,
			media.WaitingForHost, media.WaitingForAdmission, media.Denied, media.MeetingEnded, media.WaitTimeout,
			media.Unavailable, media.MusicOnHold} {
			p, ok := prompts.Get(lang, name)
			if !ok {
				continue
			}
			var s []int16
			for _, f := range p.Frames(media.PCMU) {
				for _, b := range f {
					s = append(s, media.DecodeULaw(b))
				}
			}
			corpus = append(corpus, s)
		}
	}
	total, hour := 0, 3600*8000
	for pass := 0; total < hour; pass++ {
		gain := []float64{0.5, 1, 2}[pass%3]
		shift := pass * 37 % 160
		for i, s := range corpus {
			mix := corpus[(i+pass+1)%len(corpus)]
			audio := make([]int16, 0, len(s)+shift)
			audio = append(audio, make([]int16, shift)...)
			for j, v := range s {
				x := gain * float64(v)
				if pass%2 == 1 && j < len(mix) {
					x += 0.5 * float64(mix[j])
				}
				audio = append(audio, int16(max(-32768, min(32767, x))))
			}
			if keys := detect(audio); keys != "" {
				t.Fatalf("talk-off: %q found in speech (pass %d, clip %d, gain %v)", keys, pass, i, gain)
			}
			total += len(audio)
		}
	}
	t.Logf("%.0f minutes of speech and music, no key", float64(total)/8000/60)
}

// FuzzDetector feeds arbitrary μ-law audio: no panic, and only keypad characters come out.
func FuzzDetector(f *testing.F) {
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80})
	key := tone('#', 60, 7000, 7000, 0)
	seed := make([]byte, len(key))
	for i, v := range key {
		seed[i] = media.EncodeULaw(v)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, ulaw []byte) {
		audio := make([]int16, len(ulaw))
		for i, b := range ulaw {
			audio[i] = media.DecodeULaw(b)
		}
		for _, k := range []byte(detect(audio)) {
			if _, ok := dtmfFreqs[k]; !ok {
				t.Fatalf("key %q is not on a keypad", k)
			}
		}
	})
}

// BenchmarkDetector is what in-band detection costs per 20 ms frame of a call. Expect 0 allocs/op.
func BenchmarkDetector(b *testing.B) {
	audio := throughG711(append(tone('7', 60, 7000, 7000, 0), make([]int16, 100)...))
	var d dtmf.Detector
	press := func(byte) {}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		off := i * 160 % (len(audio) - 160)
		d.Feed(audio[off:off+160], press)
	}
}
