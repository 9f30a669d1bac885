package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// RTCP packet types (RFC 3550 §12.1).
const (
	rtcpSR   = 200
	rtcpRR   = 201
	rtcpSDES = 202
	rtcpBYE  = 203
)

var errRTCP = errors.New("media: malformed RTCP")

// isRTCP reports whether datagram b is RTCP rather than RTP: version 2 and
// a second byte of 192-223, which RTP would read as the marker bit and a
// payload type of 64-95 (RFC 5761 §4). Payload types 64-95 are never
// negotiated, so the test is exact.
func isRTCP(b []byte) bool {
	return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223
}

// reportBlock is one reception report (RFC 3550 §6.4.1).
type reportBlock struct {
	ssrc     uint32 // the source reported on
	fraction uint8  // lost since the previous report, in 1/256
	lost     int32  // cumulative, 24 bits signed
	highest  uint32 // extended highest sequence number received
	jitter   uint32 // interarrival jitter, timestamp units
	lsr      uint32 // middle 32 bits of the last SR's NTP time, 0 if none
	dlsr     uint32 // delay since that SR, 1/65536 s
}

// rtcpInfo is what a session takes from one compound RTCP datagram.
type rtcpInfo struct {
	sender   uint32 // SSRC of the first packet's sender
	sr       bool   // it carries a sender report
	ntp      uint32 // the SR's NTP time, middle 32 bits
	block    reportBlock
	hasBlock bool // a report block about our SSRC, or the first one
	bye      bool
}

// parseRTCP walks compound RTCP datagram b (RFC 3550 §6.1) and keeps the
// sender report and the reception report about ours (or else the first
// one: on a leg the gateway only relays to, the peer reports on the
// sources it relays). Every packet must be version 2 and fit the datagram,
// as RFC 3550 A.2 checks; packet types it does not use (SDES, APP, feedback)
// are skipped, so reduced-size RTCP (RFC 5506) passes too. It allocates
// nothing.
func parseRTCP(b []byte, ours uint32) (rtcpInfo, error) {
	var info rtcpInfo
	for first := true; len(b) > 0; first = false {
		if len(b) < 4 || b[0]>>6 != 2 {
			return rtcpInfo{}, fmt.Errorf("%w: not version 2", errRTCP)
		}
		size := 4 * (int(binary.BigEndian.Uint16(b[2:4])) + 1)
		if size > len(b) {
			return rtcpInfo{}, fmt.Errorf("%w: packet of %d bytes in %d", errRTCP, size, len(b))
		}
		p, count := b[:size], int(b[0]&0x1F)
		b = b[size:]
		if first && size >= 8 {
			info.sender = binary.BigEndian.Uint32(p[4:8])
		}
		switch p[1] {
		case rtcpSR:
			if size < 28+24*count {
				return rtcpInfo{}, fmt.Errorf("%w: short sender report", errRTCP)
			}
			info.sr, info.ntp = true, binary.BigEndian.Uint32(p[10:14])
			info.pick(p[28:], count, ours)
		case rtcpRR:
			if size < 8+24*count {
				return rtcpInfo{}, fmt.Errorf("%w: short receiver report", errRTCP)
			}
			info.pick(p[8:], count, ours)
		case rtcpBYE:
			info.bye = true
		}
	}
	return info, nil
}

// pick keeps the report block about ours among count blocks at b, or the
// first one when none is.
func (info *rtcpInfo) pick(b []byte, count int, ours uint32) {
	for i := range count {
		blk := parseBlock(b[24*i : 24*i+24])
		if blk.ssrc == ours || !info.hasBlock {
			info.block, info.hasBlock = blk, true
		}
		if blk.ssrc == ours {
			return
		}
	}
}

func parseBlock(b []byte) reportBlock {
	lost := int32(binary.BigEndian.Uint32(b[4:8])<<8) >> 8 // sign-extend 24 bits
	return reportBlock{
		ssrc:     binary.BigEndian.Uint32(b[0:4]),
		fraction: b[4],
		lost:     lost,
		highest:  binary.BigEndian.Uint32(b[8:12]),
		jitter:   binary.BigEndian.Uint32(b[12:16]),
		lsr:      binary.BigEndian.Uint32(b[16:20]),
		dlsr:     binary.BigEndian.Uint32(b[20:24]),
	}
}

// senderInfo is the sender half of an SR (RFC 3550 §6.4.1).
type senderInfo struct {
	ntp     uint64
	rtpTS   uint32
	packets uint32
	octets  uint32
}

// appendReport appends to b a compound RTCP packet from ssrc (RFC 3550
// §6.1): an SR when si is given, else an RR, with block when given, then
// an SDES with the CNAME (§6.5.1), then a BYE when bye (§6.6).
func appendReport(b []byte, ssrc uint32, si *senderInfo, block *reportBlock, cname string, bye bool) []byte {
	count := byte(0)
	if block != nil {
		count = 1
	}
	pt, words := byte(rtcpRR), 1+6*int(count)
	if si != nil {
		pt, words = rtcpSR, 6+6*int(count)
	}
	b = append(b, 0x80|count, pt)
	b = binary.BigEndian.AppendUint16(b, uint16(words))
	b = binary.BigEndian.AppendUint32(b, ssrc)
	if si != nil {
		b = binary.BigEndian.AppendUint64(b, si.ntp)
		b = binary.BigEndian.AppendUint32(b, si.rtpTS)
		b = binary.BigEndian.AppendUint32(b, si.packets)
		b = binary.BigEndian.AppendUint32(b, si.octets)
	}
	if block != nil {
		b = binary.BigEndian.AppendUint32(b, block.ssrc)
		b = binary.BigEndian.AppendUint32(b, uint32(block.fraction)<<24|uint32(block.lost)&0xFFFFFF)
		b = binary.BigEndian.AppendUint32(b, block.highest)
		b = binary.BigEndian.AppendUint32(b, block.jitter)
		b = binary.BigEndian.AppendUint32(b, block.lsr)
		b = binary.BigEndian.AppendUint32(b, block.dlsr)
	}
	// SDES: one chunk, SSRC + CNAME item + end, padded to 32 bits.
	chunk := 4 + 2 + len(cname) + 1
	pad := (4 - chunk%4) % 4
	b = append(b, 0x81, rtcpSDES)
	b = binary.BigEndian.AppendUint16(b, uint16((chunk+pad)/4))
	b = binary.BigEndian.AppendUint32(b, ssrc)
	b = append(b, 1, byte(len(cname)))
	b = append(b, cname...)
	b = append(b, 0, 0, 0, 0)[:len(b)+1+pad]
	if bye {
		b = append(b, 0x81, rtcpBYE, 0, 1)
		b = binary.BigEndian.AppendUint32(b, ssrc)
	}
	return b
}

// ntpTime is t as a 64-bit NTP timestamp (RFC 3550 §4): seconds since 1900
// and a binary fraction.
func ntpTime(t time.Time) uint64 {
	const unixToNTP = 2208988800
	secs := uint64(t.Unix()) + unixToNTP
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// ntpMiddle is the middle 32 bits of an NTP timestamp, the unit of LSR and
// DLSR: 1/65536 s.
func ntpMiddle(ntp uint64) uint32 { return uint32(ntp >> 16) }

// fromNTPShort converts 1/65536 s to a duration.
func fromNTPShort(v uint32) time.Duration {
	return time.Duration(uint64(v) * uint64(time.Second) >> 16)
}
