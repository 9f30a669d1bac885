package dtmf

import (
	"testing"
)

// The sipp pcaps dtmf_2833_1.pcap and dtmf_2833_pound.pcap, byte for byte: note the duration 0 of the first
// packet and the three end packets with one sequence number.
var sippPcap1Pound = []string{
	"80e51f30000033e00e05384e010a0000",
	"80651f31000033e00e05384e010a0140",
	"80651f32000033e00e05384e010a0280",
	"80651f33000033e00e05384e010a03c0",
	"80651f34000033e00e05384e010a0500",
	"80651f35000033e00e05384e010a0640",
	"80651f36000033e00e05384e010a0780",
	"80651f37000033e00e05384e018a08c0",
	"80651f37000033e00e05384e018a08c0",
	"80651f37000033e00e05384e018a08c0",
	"80e520f4000169e00e05384e0b0a0000",
	"806520f5000169e00e05384e0b0a0140",
	"806520f6000169e00e05384e0b0a0280",
	"806520f7000169e00e05384e0b0a03c0",
	"806520f8000169e00e05384e0b0a0500",
	"806520f9000169e00e05384e0b0a0640",
	"806520fa000169e00e05384e0b0a0780",
	"806520fb000169e00e05384e0b8a08c0",
	"806520fb000169e00e05384e0b8a08c0",
	"806520fb000169e00e05384e0b8a08c0",
}

func TestRTPCollector(t *testing.T) {
	const ssrc = 0x0e05384e
	k := func(code uint8, seq uint16, ts uint32) [][]byte { return sippPcapKey(t, code, seq, ts, ssrc) }
	tests := []struct {
		name    string
		pt      uint8
		packets [][]byte
		want    string
	}{
		{"sipp pcaps 1 and #, real bytes", ptPcap, hexPackets(t, sippPcap1Pound...), "1#"},
		{"sipp pcaps 1234#", ptPcap, concat(k(1, 100, 8000), k(2, 200, 16000), k(3, 300, 24000), k(4, 400, 32000), k(11, 500, 40000)), "1234#"},
		{"sipp play_dtmf 1234#: PT 96, filler PT 97, overlapping events", ptPlayDTMF, sippPlayDTMF(t, "1234#", 0x01020305), "1234#"},
		{"sipp play_dtmf repeated key", ptPlayDTMF, sippPlayDTMF(t, "5555#", 0x01020306), "5555#"},
		{"clean sender", 101, concat(cleanKey(t, 101, 7, 10, 160, 42, 10), cleanKey(t, 101, 10, 20, 1760, 42, 10)), "7*"},
		{"R bit set", 101, concat(cleanKey(t, 101, 3, 10, 160, 42, 0x40|10), cleanKey(t, 101, 3, 20, 1760, 42, 0x40)), "33"},
		{"volume garbage", 101, concat(cleanKey(t, 101, 8, 10, 160, 42, 0x3f), cleanKey(t, 101, 9, 20, 1760, 42, 0x7f)), "89"},
		{"lost first packets: only end packets", ptPcap, concat(k(1, 1, 8000)[7:], k(2, 20, 16000)[7:]), "12"},
		{"lost end packets", ptPcap, concat(k(1, 1, 8000)[:4], k(2, 20, 16000)[:7], k(3, 40, 24000)), "123"},
		{"only one packet of each key", ptPcap, concat(k(4, 1, 8000)[3:4], k(5, 20, 16000)[9:]), "45"},
		{"same key twice: two timestamps", ptPcap, concat(k(0, 1, 8000), k(0, 20, 16000)), "00"},
		{"same pcap replayed: one key", ptPcap, concat(k(6, 1, 8000), k(6, 1, 8000)), "6"},
		{"two pcaps with one SSRC and timestamp", ptPcap, concat(k(1, 1, 8000), k(2, 1, 8000)), "12"},
		{"overlap: next key starts before the previous ends", ptPcap, interleave(k(1, 1, 8000), k(2, 20, 8400)), "12"},
		{"late repeats of the previous key", ptPcap, concat(k(1, 1, 8000), k(2, 20, 16000), k(1, 1, 8000)[7:], k(3, 40, 24000), k(2, 20, 16000)[3:]), "123"},
		{"same timestamp, new SSRC", ptPcap, concat(k(1, 1, 8000), sippPcapKey(t, 1, 1, 8000, ssrc+1)), "11"},
		{"flash and tones ignored", 101, concat(cleanKey(t, 101, 16, 1, 160, 42, 0), cleanKey(t, 101, 70, 9, 1760, 42, 0), cleanKey(t, 101, 2, 20, 3360, 42, 0)), "2"},
		{"short payloads ignored", 101, [][]byte{wire(t, 101, true, 1, 160, 42, []byte{1, 0x8a, 0}), wire(t, 101, true, 2, 160, 42, nil)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c RTPCollector
			if got := feed(t, &c, tt.pt, tt.packets); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// interleave alternates the packets of two keys, as two overlapping events arrive.
func interleave(a, b [][]byte) [][]byte {
	var out [][]byte
	for i := 0; i < len(a) || i < len(b); i++ {
		if i < len(a) {
			out = append(out, a[i])
		}
		if i < len(b) {
			out = append(out, b[i])
		}
	}
	return out
}

func TestRTPCollectorHistoryWrap(t *testing.T) {
	var c RTPCollector
	end := payload(5, true, 10, 800)
	for i := range uint32(HistorySize + 1) { // keys 0..16; key 0 leaves the ring
		if _, ok := c.Add(1, i*1000, end); !ok {
			t.Fatalf("key %d not reported", i)
		}
	}
	for i := uint32(1); i <= HistorySize; i++ {
		if d, ok := c.Add(1, i*1000, end); ok {
			t.Errorf("late repeat of key %d reported again as %q", i, d)
		}
	}
	// The documented limit: a key older than HistorySize keys is reported again.
	if _, ok := c.Add(1, 0, end); !ok {
		t.Error("key evicted from the history was not reported again")
	}
	c.Reset()
	if _, ok := c.Add(1, 16000, end); !ok {
		t.Error("after Reset, a known key was not reported")
	}
}

func TestRTPCollectorZeroAllocs(t *testing.T) {
	var c RTPCollector
	pl := []byte{1, 0x0a, 0, 0}
	ts := uint32(0)
	allocs := testing.AllocsPerRun(1000, func() {
		ts += 160
		c.Add(7, ts, pl)
		c.Add(7, ts, pl)
	})
	if allocs != 0 {
		t.Errorf("Add allocates %.1f times per packet, want 0", allocs)
	}
}

func BenchmarkRTPCollector(b *testing.B) {
	// A realistic mix: every key is 10 packets (1 new, 9 repeats) against a full history.
	packets := concat(sippPcapKey(b, 1, 1, 0, 9), sippPcapKey(b, 2, 20, 1000, 9))
	payloads := make([][]byte, len(packets))
	for i, p := range packets {
		payloads[i] = p[12:]
	}
	var c RTPCollector
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key := uint32(i / len(payloads))
		c.Add(9, key*2000, payloads[i%len(payloads)])
	}
}
