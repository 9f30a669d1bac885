package dtmf

import (
	"encoding/hex"
	"testing"

	"github.com/pion/rtp"
)

// Payload types: sipp's pcaps use 101, sipp's play_dtmf hard-codes 96 (and 97 for filler packets).
const (
	ptPcap     = 101
	ptPlayDTMF = 96
	ptFiller   = 97
)

// payload builds one RFC 4733 event report; flags are OR-ed into the second byte (R bit, volume garbage).
func payload(code uint8, end bool, flags byte, duration uint16) []byte {
	b := flags
	if end {
		b |= 0x80
	}
	return []byte{code, b, byte(duration >> 8), byte(duration)}
}

// wire marshals one RTP packet to its bytes on the wire.
func wire(t testing.TB, pt uint8, marker bool, seq uint16, ts, ssrc uint32, pl []byte) []byte {
	t.Helper()
	p := rtp.Packet{Header: rtp.Header{Version: 2, Marker: marker, PayloadType: pt, SequenceNumber: seq,
		Timestamp: ts, SSRC: ssrc}, Payload: pl}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sippPcapKey is one key as in sipp's /usr/share/sip-tester/dtmf_2833_<key>.pcap: PT 101, marker and
// duration 0 on the first packet, updates every 320 units, the end packet three times with one sequence
// number, volume 10.
func sippPcapKey(t testing.TB, code uint8, seq uint16, ts, ssrc uint32) [][]byte {
	var out [][]byte
	for i := range 7 {
		out = append(out, wire(t, ptPcap, i == 0, seq+uint16(i), ts, ssrc, payload(code, false, 10, uint16(i)*320)))
	}
	for range 3 {
		out = append(out, wire(t, ptPcap, false, seq+7, ts, ssrc, payload(code, true, 10, 2240)))
	}
	return out
}

// sippPlayDTMF is sipp's play_dtmf="<keys>" as its prepare_dtmf builds it: a new SSRC per action, 20 filler
// packets of PT 97 first, then per key PT 96, RTP timestamps 400 units apart (milliseconds used as timestamp
// units) while each key lasts 1600 units — the events overlap in RTP time —, duration 0 on the first packet,
// updates every 160 units, the end packet three times.
func sippPlayDTMF(t testing.TB, keys string, ssrc uint32) [][]byte {
	var out [][]byte
	seq := uint16(1)
	for i := range 20 {
		out = append(out, wire(t, ptFiller, false, seq, 24000+uint32(i)*20, ssrc, []byte{0, 0, 0, 0}))
		seq++
	}
	for n, k := range []byte(keys) {
		code := codeOf(k)
		ts := 24400 + uint32(n)*400
		for i := range 10 {
			out = append(out, wire(t, ptPlayDTMF, i == 0, seq, ts, ssrc, payload(code, false, 10, uint16(i)*160)))
			seq++
		}
		for range 3 {
			out = append(out, wire(t, ptPlayDTMF, false, seq, ts, ssrc, payload(code, true, 10, 1600)))
			seq++
		}
	}
	return out
}

// cleanKey is a key from a well-behaved sender (baresip-like): marker and duration 160 on the first packet,
// updates every 160 units, the end packet three times with increasing sequence numbers.
func cleanKey(t testing.TB, pt, code uint8, seq uint16, ts, ssrc uint32, flags byte) [][]byte {
	var out [][]byte
	for i := range 5 {
		out = append(out, wire(t, pt, i == 0, seq+uint16(i), ts, ssrc, payload(code, false, flags, uint16(i+1)*160)))
	}
	for i := range 3 {
		out = append(out, wire(t, pt, false, seq+5+uint16(i), ts, ssrc, payload(code, true, flags, 960)))
	}
	return out
}

// codeOf is the RFC 4733 event code of a key.
func codeOf(k byte) uint8 {
	for c := range uint8(16) {
		if d, _ := Digit(c); d == k {
			return c
		}
	}
	panic("not a key: " + string(k))
}

// feed unmarshals each packet, keeps those of payload type pt as a media layer would, gives them to c and
// returns the keys reported.
func feed(t testing.TB, c *RTPCollector, pt uint8, packets ...[][]byte) string {
	t.Helper()
	var got []byte
	for _, group := range packets {
		for _, b := range group {
			var p rtp.Packet
			if err := p.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			if p.PayloadType != pt {
				continue
			}
			if d, ok := c.Add(p.SSRC, p.Timestamp, p.Payload); ok {
				got = append(got, d)
			}
		}
	}
	return string(got)
}

// hexPackets decodes packets written in hex.
func hexPackets(t testing.TB, hexes ...string) [][]byte {
	t.Helper()
	out := make([][]byte, len(hexes))
	for i, h := range hexes {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// concat joins packet groups.
func concat(groups ...[][]byte) [][]byte {
	var out [][]byte
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
