package media

import (
	"errors"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// What the session writes is what pion/rtcp reads, and what parseRTCP reads
// back, for every shape of report.
func TestAppendReport(t *testing.T) {
	si := &senderInfo{ntp: ntpTime(time.Now()), rtpTS: 123456, packets: 50, octets: 8000}
	blk := &reportBlock{ssrc: 0xBEEF, fraction: 12, lost: -3, highest: 70000, jitter: 33, lsr: 0x12345678, dlsr: 655}
	for _, tt := range []struct {
		name  string
		si    *senderInfo
		blk   *reportBlock
		cname string
		bye   bool
	}{
		{"SR with a block", si, blk, "0123456789abcdef01234567", false},
		{"SR alone", si, nil, "a", false},
		{"RR with a block", nil, blk, "ab", false},
		{"RR alone, BYE", nil, nil, "abc", true},
		{"empty CNAME", nil, blk, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := appendReport(nil, 0xC0FFEE, tt.si, tt.blk, tt.cname, tt.bye)
			pkts, err := rtcp.Unmarshal(b)
			if err != nil {
				t.Fatalf("%x: %v", b, err)
			}
			var reports []rtcp.ReceptionReport
			switch p := pkts[0].(type) {
			case *rtcp.SenderReport:
				if tt.si == nil || p.SSRC != 0xC0FFEE || p.NTPTime != si.ntp || p.RTPTime != si.rtpTS || p.PacketCount != 50 || p.OctetCount != 8000 {
					t.Errorf("SR %+v", p)
				}
				reports = p.Reports
			case *rtcp.ReceiverReport:
				if tt.si != nil || p.SSRC != 0xC0FFEE {
					t.Errorf("RR %+v", p)
				}
				reports = p.Reports
			default:
				t.Fatalf("first packet %T", p)
			}
			if tt.blk != nil {
				want := rtcp.ReceptionReport{SSRC: 0xBEEF, FractionLost: 12, TotalLost: 0xFFFFFD, LastSequenceNumber: 70000, Jitter: 33, LastSenderReport: 0x12345678, Delay: 655}
				if len(reports) != 1 || reports[0] != want {
					t.Errorf("blocks %+v, want %+v", reports, want)
				}
			} else if len(reports) != 0 {
				t.Errorf("blocks %+v, want none", reports)
			}
			if got := cname(pkts); got != tt.cname {
				t.Errorf("CNAME %q, want %q", got, tt.cname)
			}
			if _, bye := pkts[len(pkts)-1].(*rtcp.Goodbye); bye != tt.bye {
				t.Errorf("BYE %v, want %v", bye, tt.bye)
			}
			info, err := parseRTCP(b, 0xBEEF)
			if err != nil || info.sender != 0xC0FFEE || info.sr != (tt.si != nil) || info.bye != tt.bye || info.hasBlock != (tt.blk != nil) {
				t.Fatalf("parseRTCP: %+v, %v", info, err)
			}
			if tt.blk != nil && info.block != *tt.blk {
				t.Errorf("block %+v, want %+v", info.block, *tt.blk)
			}
		})
	}
}

func TestParseRTCP(t *testing.T) {
	marshal := func(pkts ...rtcp.Packet) []byte {
		b, err := rtcp.Marshal(pkts)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	other := rtcp.ReceptionReport{SSRC: 1, FractionLost: 1}
	ours := rtcp.ReceptionReport{SSRC: 2, FractionLost: 2}
	tests := []struct {
		name     string
		b        []byte
		err      bool
		fraction uint8
	}{
		{"ours among others", marshal(&rtcp.ReceiverReport{SSRC: 9, Reports: []rtcp.ReceptionReport{other, ours}}), false, 2},
		{"only another source's: kept", marshal(&rtcp.SenderReport{SSRC: 9, Reports: []rtcp.ReceptionReport{other}}), false, 1},
		{"feedback first (RFC 5506)", marshal(&rtcp.PictureLossIndication{SenderSSRC: 9}, &rtcp.ReceiverReport{SSRC: 9, Reports: []rtcp.ReceptionReport{ours}}), false, 2},
		{"truncated", marshal(&rtcp.ReceiverReport{SSRC: 9, Reports: []rtcp.ReceptionReport{ours}})[:20], true, 0},
		{"version 1", []byte{0x41, 201, 0, 1, 0, 0, 0, 9}, true, 0},
		{"block count beyond the length", []byte{0x81, 201, 0, 1, 0, 0, 0, 9}, true, 0},
		{"short SR", []byte{0x80, 200, 0, 1, 0, 0, 0, 9}, true, 0},
		{"empty", nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := parseRTCP(tt.b, 2)
			if (err != nil) != tt.err || err != nil && !errors.Is(err, errRTCP) {
				t.Fatalf("err %v, want error %v", err, tt.err)
			}
			if info.block.fraction != tt.fraction {
				t.Errorf("block %+v, want fraction %d", info.block, tt.fraction)
			}
		})
	}
}

// FuzzParseRTCP feeds anything to the parser of the RTCP a peer (or anyone
// on the path) sends: no panic, errors classified, and whatever it accepts
// is a walk of whole version-2 packets.
func FuzzParseRTCP(f *testing.F) {
	for _, seed := range [][]byte{
		appendReport(nil, 1, &senderInfo{ntp: 1}, &reportBlock{ssrc: 2}, "x", true),
		appendReport(nil, 1, nil, nil, "", false),
		{0x81, 201, 0, 7, 0, 0, 0, 9},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := parseRTCP(b, 2)
		if err != nil {
			if !errors.Is(err, errRTCP) || info != (rtcpInfo{}) {
				t.Fatalf("%v with %+v", err, info)
			}
			return
		}
		for len(b) > 0 {
			n := 4 * (int(b[2])<<8 | int(b[3]) + 1)
			if b[0]>>6 != 2 || n > len(b) {
				t.Fatalf("accepted a bad packet: %x", b)
			}
			b = b[n:]
		}
	})
}

func TestReceptionWrapAndRestart(t *testing.T) {
	var r reception
	seq := uint16(65530)
	for i := range 12 { // wraps after 6
		if i != 3 { // one lost
			r.add(5, seq, uint32(i)*160, uint32(i)*160)
		}
		seq++
	}
	b := r.block()
	if b.highest != 1<<16+5 || b.lost != 1 || b.fraction != 256/12 || b.jitter != 0 {
		t.Errorf("after a wrap: %+v", b)
	}
	if b := r.block(); b.fraction != 0 {
		t.Errorf("fraction %d in an interval without packets", b.fraction)
	}
	r.add(5, 30000, 9999, 9999) // a restart of the numbering
	r.add(5, 30001, 10159, 10159)
	if b := r.block(); b.highest != 30001 || b.lost != 0 {
		t.Errorf("after a restart: %+v", b)
	}
	r.add(6, 1, 0, 0) // another source
	if b := r.block(); b.ssrc != 6 || b.highest != 1 {
		t.Errorf("after an SSRC change: %+v", b)
	}
}
