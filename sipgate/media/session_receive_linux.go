package media

import (
	"encoding/binary"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	"github.com/pion/rtp"
)

// rxBatch is the Linux reader's recvmmsg state: two datagrams per system
// call, into the session's read buffer and a spare one.
type rxBatch struct {
	hdrs  [2]mmsghdr
	iovs  [2]syscall.Iovec
	names [2]syscall.RawSockaddrInet6 // room for either family
	spare [maxDatagram]byte
}

// mmsghdr is struct mmsghdr of recvmmsg(2).
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
	_   [4]byte
}

// receive reads inside one RawRead, so that the network poller's
// readiness survives between datagrams: after a recvmmsg that took fewer
// datagrams than it had room for, the queue was empty, and any datagram
// since then has made the socket readable again, which waitRead sees
// without a system call; RawRead's own preparation would forget it, as each
// ReadFrom does.
func (s *Session) receive(handle func(b []byte, p *rtp.Packet) bool) error {
	raw, err := s.conn.SyscallConn()
	if err != nil {
		return err
	}
	if s.rx == nil {
		s.rx = new(rxBatch)
	}
	q := s.rx
	bufs := [2][]byte{s.rbuf[:], q.spare[:]}
	for i := range q.hdrs {
		q.iovs[i].Base = &bufs[i][0]
		q.iovs[i].SetLen(len(bufs[i]))
		q.hdrs[i].hdr.Iov = &q.iovs[i]
		q.hdrs[i].hdr.Iovlen = 1
		q.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&q.names[i]))
	}
	var rerr error
	stopped := false
	err = raw.Read(func(fd uintptr) bool {
		for {
			for i := range q.hdrs {
				q.hdrs[i].hdr.Namelen = syscall.SizeofSockaddrInet6
			}
			n, _, errno := syscall.Syscall6(syscall.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&q.hdrs[0])), uintptr(len(q.hdrs)), syscall.MSG_DONTWAIT, 0, 0)
			switch errno {
			case 0:
			case syscall.EAGAIN:
				return false // park until readable
			case syscall.EINTR:
				continue
			default:
				rerr = os.NewSyscallError("recvmmsg", errno)
				return true
			}
			for i := range int(n) {
				b := bufs[i][:min(int(q.hdrs[i].len), len(bufs[i]))]
				if !s.take(sockaddrPort(&q.names[i]), b) {
					continue
				}
				if !handle(b, &s.rpkt) {
					stopped = true
					return true
				}
			}
			if int(n) < len(q.hdrs) {
				return false // the queue was empty: wait for the next datagram
			}
		}
	})
	if stopped {
		return nil
	}
	if err != nil {
		return err
	}
	return rerr
}

// sockaddrPort returns the address recvmmsg wrote into sa, unmapped.
func sockaddrPort(sa *syscall.RawSockaddrInet6) netip.AddrPort {
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	if sa.Family == syscall.AF_INET {
		in4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(in4.Addr), port)
	}
	return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), port)
}
