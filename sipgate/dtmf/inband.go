package dtmf

import "math"

// In-band DTMF (ITU-T Q.23 frequencies, Q.24 reception): for a caller whose phone offers no telephone-event
// (RFC 4733) and sends no INFO, the key presses are only in the audio. Each key is one tone of the low group
// (697, 770, 852, 941 Hz) plus one of the high group (1209, 1336, 1477, 1633 Hz).
//
// The detector runs the Goertzel algorithm for the eight frequencies over blocks of 102 samples (12.75 ms
// at 8 kHz, a bin about 78 Hz wide, as Asterisk's dsp.c), and takes a block as a key when:
//   - each group's strongest tone is at least 6 dB above the group's others (relative peak);
//   - the two tones differ by at most 8 dB with the high group stronger (normal twist) or 4 dB the other way
//     (reverse twist), the Q.24 tolerances most networks use;
//   - the two tones carry at least 60 % of the block's energy (speech and music spread theirs);
//   - the block is loud enough: each tone above about -36 dBm0.
// A key counts once consecutive blocks agree on it for 23 ms of tone, measured as the blocks' tone shares
// (a tone covering a fraction f of a block carries f of its energy): Q.24 asks that 40 ms be accepted and
// lets tones under 23 ms be refused. It ends after three blocks without it (a 40 ms pause gives at least
// that; a 12 ms dropout inside a held key does not). Speech that passes every test for two blocks in a row is what the
// talk-off test (inband_test.go) looks for in an hour of speech and music.

// blockSize is the Goertzel block length in samples.
const blockSize = 102

var (
	lowFreqs  = [4]float64{697, 770, 852, 941}
	highFreqs = [4]float64{1209, 1336, 1477, 1633}
	keypad    = [4][4]byte{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
	coeffs = goertzelCoeffs()
)

// Thresholds of [Detector] (see the package comment of inband.go).
const (
	relativePeak = 3.98 // 6 dB, as a power ratio
	normalTwist  = 6.31 // 8 dB
	reverseTwist = 2.51 // 4 dB
	toneShare    = 0.6
	// minToneSamples is the shortest tone taken as a key: 23 ms (Q.24 lets shorter ones be refused).
	minToneSamples = 184
	// minTone is the least Goertzel power of a tone over a block: a sine of amplitude 250 (of ±32767,
	// about -36 dBm0 in G.711) gives (250·102/2)².
	minTone = (250 * blockSize / 2) * (250 * blockSize / 2)
)

func goertzelCoeffs() (c [8]float64) {
	for i, f := range append(lowFreqs[:], highFreqs[:]...) {
		c[i] = 2 * math.Cos(2*math.Pi*f/8000)
	}
	return c
}

// Detector finds DTMF keys in 8 kHz linear audio, fed in any chunks (a 20 ms RTP frame at a time). It does
// not allocate. Not safe for concurrent use: one per call, fed by the call's RTP reader.
type Detector struct {
	s1, s2 [8]float64 // Goertzel state per frequency
	energy float64    // sum of squares over the block
	n      int        // samples in the block so far

	cand  byte    // the key the last block showed, 0 for none
	hits  int     // consecutive blocks showing cand
	heard float64 // samples of cand's tone in them, as the blocks' tone shares
	down  byte    // the key held now, 0 for none
	quiet int     // consecutive blocks without down
}

// Feed takes samples and calls press for each key that starts in them.
func (d *Detector) Feed(samples []int16, press func(byte)) {
	for _, v := range samples {
		x := float64(v)
		d.energy += x * x
		for i, c := range coeffs {
			s := x + c*d.s1[i] - d.s2[i]
			d.s2[i], d.s1[i] = d.s1[i], s
		}
		if d.n++; d.n == blockSize {
			d.block(press)
		}
	}
}

// block ends a Goertzel block: which key it shows, if any, and what that changes.
func (d *Detector) block(press func(byte)) {
	var p [8]float64
	for i, c := range coeffs {
		p[i] = d.s1[i]*d.s1[i] + d.s2[i]*d.s2[i] - c*d.s1[i]*d.s2[i]
	}
	key, share := classify(p, d.energy)
	d.s1, d.s2, d.energy, d.n = [8]float64{}, [8]float64{}, 0, 0

	if key != 0 && key == d.cand {
		d.hits++
		d.heard += share * blockSize
	} else {
		d.cand, d.hits, d.heard = key, 1, share*blockSize
	}
	switch {
	case key != 0 && key == d.down:
		d.quiet = 0
	case key != 0 && d.hits >= 2 && d.heard >= minToneSamples && d.down == 0:
		d.down, d.quiet = key, 0
		press(key)
	case d.down != 0:
		if d.quiet++; d.quiet >= 3 {
			d.down = 0
		}
	}
}

// classify returns the key a block's powers show, or 0, and the share of the block's energy its tones carry
// (a pure tone's Goertzel power is its energy·N/2).
func classify(p [8]float64, energy float64) (byte, float64) {
	row, low := peak(p[:4])
	col, high := peak(p[4:])
	share := min(1, (low+high)*2/blockSize/max(energy, 1))
	switch {
	case low < minTone || high < minTone:
		return 0, 0
	case high > low*normalTwist || low > high*reverseTwist:
		return 0, 0
	case !dominates(p[:4], row) || !dominates(p[4:], col):
		return 0, 0
	case share < toneShare:
		return 0, 0
	}
	return keypad[row][col], share
}

func peak(p []float64) (int, float64) {
	best := 0
	for i := range p {
		if p[i] > p[best] {
			best = i
		}
	}
	return best, p[best]
}

// dominates reports whether p[i] is at least relativePeak times every other power of its group.
func dominates(p []float64, i int) bool {
	for j := range p {
		if j != i && p[i] < p[j]*relativePeak {
			return false
		}
	}
	return true
}
