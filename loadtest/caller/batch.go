package caller

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

const (
	// batchSize is how many datagrams one sendmmsg or recvmmsg moves (Linux; elsewhere x/net sends and
	// reads one at a time).
	batchSize = 64
	// maxFrame bounds one audio packet: a 12-byte header and 160 samples.
	maxFrame = 256
	// maxDatagram bounds one datagram read.
	maxDatagram = 2048
)

// batchConn is a shard's socket seen by x/net, which moves many datagrams per system call. ipv4.Message
// and ipv6.Message are the same type.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

func newBatchConn(c *net.UDPConn) batchConn {
	if c.LocalAddr().(*net.UDPAddr).IP.To4() != nil {
		return ipv4.NewPacketConn(c)
	}
	return ipv6.NewPacketConn(c)
}

// sendBatch collects one tick's audio frames and sends them with as few sendmmsg calls as fit: the
// shard's sender then costs a system call per batchSize packets, not per packet. Its buffers and
// addresses are reused, so a packet allocates nothing.
type sendBatch struct {
	conn  batchConn
	msgs  [batchSize]ipv4.Message
	bufs  [batchSize][maxFrame]byte
	addrs [batchSize]net.UDPAddr
	ips   [batchSize][16]byte
	to    [batchSize]*Stream
	n     int
}

func newSendBatch(conn batchConn) *sendBatch {
	b := &sendBatch{conn: conn}
	for i := range b.msgs {
		b.msgs[i].Buffers = make([][]byte, 1)
		b.msgs[i].Addr = &b.addrs[i]
	}
	return b
}

// next returns the buffer of the next packet, which add then queues.
func (b *sendBatch) next() []byte { return b.bufs[b.n][:] }

// add queues the first n bytes of next's buffer for s, and sends the batch once full.
func (b *sendBatch) add(s *Stream, n int) {
	i := b.n
	b.msgs[i].Buffers[0] = b.bufs[i][:n]
	setAddr(&b.addrs[i], &b.ips[i], s.remote)
	b.to[i] = s
	if b.n++; b.n == batchSize {
		b.flush()
	}
}

// flush sends what is queued. A datagram the kernel refuses is skipped, not retried: audio is sent
// again 20 ms later, and the stream's loss counts only what was sent.
func (b *sendBatch) flush() {
	for off := 0; off < b.n; {
		k, err := b.conn.WriteBatch(b.msgs[off:b.n], 0)
		k = max(k, 0)
		for _, s := range b.to[off : off+k] {
			s.sent.Add(1)
		}
		off += k
		if err != nil {
			off++
		}
	}
	clear(b.to[:b.n])
	b.n = 0
}

// setAddr writes ap into a, with ip as the address's storage.
func setAddr(a *net.UDPAddr, ip *[16]byte, ap netip.AddrPort) {
	addr := ap.Addr().Unmap()
	if addr.Is4() {
		v4 := addr.As4()
		a.IP = append(ip[:0], v4[:]...)
	} else {
		*ip = addr.As16()
		a.IP = ip[:]
	}
	a.Port = int(ap.Port())
}

// readBatch holds the buffers of one recvmmsg.
type readBatch struct {
	msgs [batchSize]ipv4.Message
	from [batchSize]netip.AddrPort
}

func newReadBatch() *readBatch {
	b := &readBatch{}
	buf := make([]byte, batchSize*maxDatagram)
	for i := range b.msgs {
		b.msgs[i].Buffers = [][]byte{buf[i*maxDatagram : (i+1)*maxDatagram : (i+1)*maxDatagram]}
	}
	return b
}

// read waits for at least one datagram and returns how many it read; their sources are in from.
func (b *readBatch) read(conn batchConn) (int, error) {
	n, err := conn.ReadBatch(b.msgs[:], 0)
	if err != nil {
		return 0, err
	}
	for i := range n {
		if a, ok := b.msgs[i].Addr.(*net.UDPAddr); ok {
			ap := a.AddrPort()
			b.from[i] = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		} else {
			b.from[i] = netip.AddrPort{}
		}
	}
	return n, nil
}

// datagram returns the i-th datagram read.
func (b *readBatch) datagram(i int) []byte { return b.msgs[i].Buffers[0][:b.msgs[i].N] }
