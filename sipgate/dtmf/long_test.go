package dtmf

import (
	"slices"
	"testing"

	"github.com/pion/rtp"
)

// maxDuration is the longest duration one event report can carry (RFC 4733 §2.3.5): 0xFFFF units, about
// 8.2 s at 8 kHz.
const maxDuration = 0xFFFF

// longKey is one key held for total timestamp units as a phone sends it (RFC 4733 §2.5.1.3): a packet every
// 160 units, marker on the first; when the duration would pass 0xFFFF, a packet reporting 0xFFFF without the
// E bit closes the segment and the next segment starts under the timestamp where it ended (the previous
// segment's timestamp + 0xFFFF), its duration counted from there; the final segment's end packet goes out
// three times with the E bit. segEnd is the duration that closes a segment: 0xFFFF as the RFC says, or less
// for a sender that closes segments on a whole packet.
func longKey(t testing.TB, code uint8, seq uint16, ts, ssrc, total uint32, segEnd uint16) [][]byte {
	var out [][]byte
	segStart := uint32(0) // elapsed units at which the current segment starts
	add := func(marker, end bool, dur uint32) {
		out = append(out, wire(t, ptPcap, marker, seq, ts+segStart, ssrc, payload(code, end, 10, uint16(dur))))
		seq++
	}
	for elapsed := uint32(160); elapsed < total; elapsed += 160 {
		if elapsed-segStart > uint32(segEnd) {
			add(false, false, uint32(segEnd))
			segStart += uint32(segEnd)
		}
		add(elapsed == 160, false, elapsed-segStart)
	}
	for range 3 {
		add(false, true, total-segStart)
	}
	return out
}

// segments returns the timestamps of a long key's segments, in order.
func segments(t testing.TB, packets [][]byte) []uint32 {
	var ts []uint32
	for _, b := range packets {
		p := unmarshal(t, b)
		if !slices.Contains(ts, p.Timestamp) {
			ts = append(ts, p.Timestamp)
		}
	}
	return ts
}

// A key held longer than one event report can say is sent as segments under new timestamps: one key.
func TestRTPCollectorLongKey(t *testing.T) {
	const ssrc = 0x10C4
	const tenSeconds, twentySeconds = 80000, 160000
	long := func(code uint8, seq uint16, ts, total uint32) [][]byte {
		return longKey(t, code, seq, ts, ssrc, total, maxDuration)
	}
	ten := long(5, 1000, 4000, tenSeconds)
	twenty := long(5, 1000, 4000, twentySeconds)
	if got := segments(t, ten); len(got) != 2 || got[1]-got[0] != maxDuration {
		t.Fatalf("10 s key: segments at %v, want two, 0xFFFF apart", got)
	}
	if got := segments(t, twenty); len(got) != 3 {
		t.Fatalf("20 s key: segments at %v, want three", got)
	}
	// dropFirst drops the first n packets of every segment.
	dropFirst := func(packets [][]byte, n int) [][]byte {
		var out [][]byte
		count := map[uint32]int{}
		for _, b := range packets {
			ts := unmarshal(t, b).Timestamp
			if count[ts]++; count[ts] > n {
				out = append(out, b)
			}
		}
		return out
	}
	// dropTail drops the packets of the first segment from its duration from on.
	dropTail := func(packets [][]byte, from uint16) [][]byte {
		var out [][]byte
		first := unmarshal(t, packets[0]).Timestamp
		for _, b := range packets {
			p := unmarshal(t, b)
			if p.Timestamp == first && uint16(p.Payload[2])<<8|uint16(p.Payload[3]) >= from {
				continue
			}
			out = append(out, b)
		}
		return out
	}
	next := uint32(4000 + tenSeconds + 800)
	tests := []struct {
		name    string
		packets [][]byte
		want    string
	}{
		{"10 s key, two segments", ten, "5"},
		{"20 s key, three segments", twenty, "5"},
		{"first packets of every segment lost", dropFirst(twenty, 5), "5"},
		{"end of the first segment lost", dropTail(ten, 40000), "5"},
		{"only the second segment's end packets", ten[len(ten)-3:], "5"},
		{"segments closed on a whole packet (65440)", longKey(t, 5, 1, 4000, ssrc, tenSeconds, 65440), "5"},
		{"long key, then the same key again", concat(ten, cleanKey(t, ptPcap, 5, 2000, next, ssrc, 10)), "55"},
		{"long key, then another key", concat(ten, cleanKey(t, ptPcap, 6, 2000, next, ssrc, 10)), "56"},
		{"late packets of the first segment after the second began", interleave(ten[380:420], ten[:40]), "5"},
		{"the first segment's only packets after the second's", concat(ten[415:], ten[400:405]), "5"},
		{"the second segment's first, then the first segment", concat(ten[415:420], ten[:415], ten[420:]), "5"},
		// A short key that ended (E bit) and the same key pressed again 0xFFFF later are two keys.
		{"ended key, same key 0xFFFF later", concat(cleanKey(t, ptPcap, 5, 1, 4000, ssrc, 10), cleanKey(t, ptPcap, 5, 20, 4000+maxDuration, ssrc, 10)), "55"},
		{"same code, new SSRC at the segment's timestamp", concat(ten[:100], sippPcapKey(t, 5, 1, 4000+maxDuration, ssrc+1)), "55"},
		{"other code at the segment's timestamp", concat(ten[:100], sippPcapKey(t, 6, 1, 4000+maxDuration, ssrc)), "56"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c RTPCollector
			if got := feed(t, &c, ptPcap, tt.packets); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A Receiver counts a long key once, and the keys around it.
func TestReceiverLongKey(t *testing.T) {
	r := NewReceiver(ReceiverConfig{})
	const ssrc = 77
	rtpTo(t, r, ptPcap, concat(
		cleanKey(t, ptPcap, 1, 1, 1000, ssrc, 10),
		longKey(t, 2, 20, 3000, ssrc, 100000, maxDuration),
		cleanKey(t, ptPcap, 11, 900, 3000+100000+800, ssrc, 10),
	))
	if keys, _ := drain(r); keys != "12#" {
		t.Errorf("got %q, want %q", keys, "12#")
	}
}

func unmarshal(t testing.TB, b []byte) rtp.Packet {
	t.Helper()
	var p rtp.Packet
	if err := p.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	return p
}
