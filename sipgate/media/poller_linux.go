package media

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/pion/rtp"
)

// A poller reads the RTP of every session in Receive from one goroutine,
// instead of a reader per session woken for each packet: the sessions'
// sockets are in one epoll set, and every pollInterval the goroutine asks
// it, without waiting, which have datagrams, and takes them by recvmmsg
// until their queues are empty, handing each packet to its session's
// handle. With a thousand callers in the IVR or on hold that is 200 passes a
// second in all, where readers of their own cost 50 wake-ups per call. The
// goroutine runs only while a session is registered.
type poller struct {
	mu      sync.Mutex
	epfd    int // created on first use
	regs    []*pollReg
	free    []int32 // indices of regs that are nil
	count   int
	running bool

	// the goroutine's own
	events [512]syscall.EpollEvent
	ready  []*pollReg
	rx     pollBatch
}

// pollInterval is how often the poller reads: the delay a packet may wait,
// which the IVR (keys last 40 ms and more) and a held caller do not notice,
// and a quarter of a frame, so that a pass finds about one packet in four
// sockets.
const pollInterval = 5 * time.Millisecond

// pollBatchSize is how many datagrams one recvmmsg takes: a 5 ms pass
// usually finds none or one on a socket, more after a stall.
const pollBatchSize = 8

// pollBatch is the poller's recvmmsg state: datagrams, sources and
// arrival times.
type pollBatch struct {
	hdrs  [pollBatchSize]mmsghdr
	iovs  [pollBatchSize]syscall.Iovec
	names [pollBatchSize]syscall.RawSockaddrInet6
	oob   [pollBatchSize][64]byte // one SCM_TIMESTAMPNS
	bufs  [pollBatchSize][maxDatagram]byte
}

// epollET is EPOLLET as the event mask's type: edge-triggered, a socket is
// reported once per new datagram, not at every pass until read, so that
// epoll_wait does not poll again the sockets the previous pass emptied; read
// empties the queue, as an edge requires.
const epollET = 1 << 31

// polled is the process's poller.
var polled poller

// pollReg is a session's place in the poller: set by Receive, taken out by
// Receive's return or Close, whichever comes first.
type pollReg struct {
	mu     sync.Mutex // held by the poller while it reads the session
	s      *Session
	fd     int
	index  int32
	handle func(b []byte, p *rtp.Packet) bool
	on     bool          // in the epoll set: the poller reads it
	closed bool          // Session.Close ran: no more Receive
	done   chan struct{} // closed when the reading stops
	err    error         // why: nil (handle returned false), errDone, errClosed or a read error
}

// receivePolled is Receive on Linux: it registers the session with the
// poller and waits until the reading ends.
func (s *Session) receivePolled(ctx context.Context, handle func(b []byte, p *rtp.Packet) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &s.preg
	if err := polled.add(r, s, handle); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-r.done:
	}
	polled.remove(r) // stops the reading with errDone unless it stopped first
	if r.err == errDone {
		return ctx.Err()
	}
	return r.err
}

// errDone marks a reading that ended with its context.
var errDone = errors.New("media: receive: context done")

// add puts s's socket into the epoll set and starts the goroutine if it
// does not run.
func (p *poller) add(r *pollReg, s *Session, handle func(b []byte, p *rtp.Packet) bool) error {
	raw, err := s.conn.SyscallConn()
	if err != nil {
		return err
	}
	fd := -1
	if err := raw.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.epfd == 0 {
		if p.epfd, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
			p.epfd = 0
			return os.NewSyscallError("epoll_create1", err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errClosed
	}
	if r.s == nil { // the first Receive: arrival times for RTCP's jitter
		_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}
	index := int32(len(p.regs))
	if n := len(p.free); n > 0 {
		index, p.free = p.free[n-1], p.free[:n-1]
	} else {
		p.regs = append(p.regs, nil)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollET, Fd: index}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.free = append(p.free, index)
		return os.NewSyscallError("epoll_ctl", err)
	}
	r.s, r.fd, r.index, r.handle = s, fd, index, handle
	r.on, r.done, r.err = true, make(chan struct{}), nil
	p.regs[index] = r
	p.count++
	if !p.running {
		p.running = true
		go p.run()
	}
	return nil
}

// remove takes r out of the poller; once it returns, r's handle is not
// called again.
func (p *poller) remove(r *pollReg) {
	r.mu.Lock()
	r.stop(errDone)
	index := r.index
	r.index = -1
	r.mu.Unlock()
	if index < 0 {
		return
	}
	p.mu.Lock()
	p.regs[index] = nil
	p.free = append(p.free, index)
	p.count--
	p.mu.Unlock()
}

// close takes r out of the epoll set for good, before Session.Close closes
// the socket, so that the descriptor is never read once closed (nor once
// reused); a Receive in progress returns errClosed.
func (r *pollReg) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.stop(errClosed)
}

// stop takes r out of the epoll set and ends its Receive with err, unless
// it has ended already. r.mu must be held.
func (r *pollReg) stop(err error) {
	if !r.on {
		return
	}
	r.on = false
	_ = syscall.EpollCtl(polled.epfd, syscall.EPOLL_CTL_DEL, r.fd, nil)
	r.err = err
	close(r.done)
}

// run makes a pass every pollInterval until nothing is registered.
func (p *poller) run() {
	timer := time.NewTimer(pollInterval)
	defer timer.Stop()
	for {
		<-timer.C
		if !p.pass() {
			return
		}
		timer.Reset(pollInterval)
	}
}

// pass reads every session whose socket has datagrams. It reports whether
// the goroutine goes on: false, atomically with add, once nothing is
// registered.
func (p *poller) pass() bool {
	for {
		n, err := syscall.EpollWait(p.epfd, p.events[:], 0)
		if err == syscall.EINTR {
			continue
		}
		p.mu.Lock()
		if p.count == 0 {
			p.running = false
			p.mu.Unlock()
			return false
		}
		p.ready = p.ready[:0]
		for _, ev := range p.events[:max(n, 0)] {
			if r := p.regs[ev.Fd]; r != nil {
				p.ready = append(p.ready, r)
			}
		}
		p.mu.Unlock()
		for _, r := range p.ready {
			p.read(r)
		}
		clear(p.ready)
		if n < len(p.events) {
			return true
		}
	}
}

// read takes r's datagrams until its queue is empty, or its handle stops
// it.
func (p *poller) read(r *pollReg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := &p.rx
	for r.on {
		for i := range q.hdrs {
			q.iovs[i].Base = &q.bufs[i][0]
			q.iovs[i].SetLen(maxDatagram)
			q.hdrs[i].hdr.Iov = &q.iovs[i]
			q.hdrs[i].hdr.Iovlen = 1
			q.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&q.names[i]))
			q.hdrs[i].hdr.Namelen = syscall.SizeofSockaddrInet6
			q.hdrs[i].hdr.Control = &q.oob[i][0]
			q.hdrs[i].hdr.SetControllen(len(q.oob[i]))
		}
		n, _, errno := syscall.Syscall6(syscall.SYS_RECVMMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&q.hdrs[0])), pollBatchSize, syscall.MSG_DONTWAIT, 0, 0)
		switch errno {
		case 0:
		case syscall.EAGAIN:
			return
		case syscall.EINTR:
			continue
		default:
			r.stop(os.NewSyscallError("recvmmsg", errno))
			return
		}
		for i := range int(n) {
			h := &q.hdrs[i]
			b := q.bufs[i][:min(int(h.len), maxDatagram)]
			at := arrivedAt(q.oob[i][:h.hdr.Controllen])
			if r.s.take(sockaddrPort(&q.names[i]), b, at) && !r.handle(b, &r.s.rpkt) {
				r.stop(nil)
				return
			}
		}
		if int(n) < pollBatchSize {
			return
		}
	}
}
