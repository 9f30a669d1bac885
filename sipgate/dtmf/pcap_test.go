package dtmf

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// sippPcapDir holds the DTMF pcaps of Debian's sip-tester package (sipp 3.6.1).
const sippPcapDir = "/usr/share/sip-tester"

// TestSippPcaps plays every DTMF pcap that sipp ships, in a row and then again, as a caller replaying them
// would: the second round is the same SSRC and timestamps, which a receiver cannot tell from late repeats.
func TestSippPcaps(t *testing.T) {
	const keys = "0123456789*#"
	names := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "star", "pound"}
	var packets [][]byte
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(sippPcapDir, "dtmf_2833_"+n+".pcap"))
		if err != nil {
			t.Skipf("sipp pcaps not installed: %v", err)
		}
		packets = append(packets, udpPayloads(t, b)...)
	}
	var c RTPCollector
	if got := feed(t, &c, ptPcap, packets, packets); got != keys {
		t.Errorf("got %q, want %q", got, keys)
	}
}

// udpPayloads returns the UDP payloads of a classic little-endian pcap of Ethernet/IPv4 frames.
func udpPayloads(t *testing.T, b []byte) [][]byte {
	t.Helper()
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(b[20:]) != 1 {
		t.Fatal("not a little-endian Ethernet pcap")
	}
	var out [][]byte
	for b = b[24:]; len(b) >= 16; {
		n := int(binary.LittleEndian.Uint32(b[8:]))
		frame := b[16 : 16+n]
		b = b[16+n:]
		ip := frame[14:]
		udp := ip[int(ip[0]&0x0f)*4:]
		out = append(out, udp[8:binary.BigEndian.Uint16(udp[4:])])
	}
	return out
}
