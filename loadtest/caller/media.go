package caller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/meetline/meetline/sipgate/media"
)

const (
	// ptime is one packet's worth of audio, 160 samples at 8 kHz (RFC 3551 §4.5.14).
	ptime = 20 * time.Millisecond
	// frameSamples is the RTP timestamp step of one packet.
	frameSamples = 160
	// ptPCMU is G.711 μ-law's static payload type (RFC 3551 §6).
	ptPCMU = 0
	// socketBuffer is each shared socket's receive and send buffer: a thousand calls' packets arrive
	// in bursts every 20 ms, and the kernel drops what does not fit before the reader gets to it.
	socketBuffer = 4 << 20
)

// Media is the RTP side of many calls. Streams share a few UDP sockets ("shards"): sipgate latches on
// the source of the caller's packets (symmetric RTP), which is the shard's address for every stream of
// the shard, and it sends each call from a port of its own, by which the shard tells its streams apart.
// Each shard has one reader and one sender that writes the next audio frame of every stream every
// 20 ms, both moving up to 64 datagrams per system call (sendmmsg, recvmmsg: batch.go); a stream that presses a key pauses its audio meanwhile, as phones do (RFC 4733 §2.5.1.3).
type Media struct {
	ip     netip.Addr
	rec    *Recognizer
	voice  [][]byte // one second of μ-law "speech", looped
	shards []*shard
	next   atomic.Uint32
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewMedia opens n shared sockets on ip and starts their readers and senders. rec recognises prompts.
func NewMedia(ip netip.Addr, n int, rec *Recognizer) (*Media, error) {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Media{ip: ip, rec: rec, voice: voice(), cancel: cancel}
	for range max(n, 1) {
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("caller: rtp socket: %w", err)
		}
		_ = conn.SetReadBuffer(socketBuffer)
		_ = conn.SetWriteBuffer(socketBuffer)
		sh := &shard{m: m, conn: conn, batch: newBatchConn(conn), port: uint16(conn.LocalAddr().(*net.UDPAddr).Port),
			streams: make(map[netip.AddrPort]*Stream)}
		m.shards = append(m.shards, sh)
		m.wg.Go(sh.read)
		m.wg.Go(func() { sh.send(ctx) })
	}
	return m, nil
}

// Close stops the senders and readers and closes the sockets.
func (m *Media) Close() {
	m.cancel()
	for _, sh := range m.shards {
		sh.conn.Close()
	}
	m.wg.Wait()
}

// open returns a new stream on the next shard; it sends nothing until start.
func (m *Media) open(seed uint64) *Stream {
	sh := m.shards[int(m.next.Add(1))%len(m.shards)]
	return &Stream{sh: sh, ssrc: uint32(seed), seq: uint16(seed >> 32), ts: uint32(seed >> 16),
		heard: make(chan Heard, 16), echoed: make(chan struct{})}
}

// voice is one second of a quiet two-tone signal with a slow swell, in μ-law: G.711 audio that is not
// all silence, as a line with someone breathing on it.
func voice() [][]byte {
	const n = 8000
	frames := make([][]byte, 0, n/frameSamples)
	buf := make([]byte, n)
	for i := range buf {
		t := float64(i) / 8000
		amp := 600 + 400*math.Sin(2*math.Pi*t)
		s := amp * (math.Sin(2*math.Pi*220*t) + 0.5*math.Sin(2*math.Pi*523*t))
		buf[i] = media.EncodeULaw(int16(s))
	}
	for i := 0; i < n; i += frameSamples {
		frames = append(frames, buf[i:i+frameSamples:i+frameSamples])
	}
	return frames
}

// shard is one shared socket and the streams on it.
type shard struct {
	m     *Media
	conn  *net.UDPConn
	batch batchConn // conn, for many datagrams per system call
	port  uint16

	mu      sync.RWMutex
	streams map[netip.AddrPort]*Stream // by sipgate's RTP address
	list    []*Stream                  // the same, for the sender; rebuilt when stale
	stale   bool
}

func (sh *shard) add(s *Stream) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.streams[s.remote] = s
	sh.stale = true
}

func (sh *shard) remove(s *Stream) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.streams[s.remote] == s {
		delete(sh.streams, s.remote)
		sh.stale = true
	}
}

// snapshot returns the streams to send to, rebuilding the list only after a change.
func (sh *shard) snapshot() []*Stream {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.stale {
		sh.list = sh.list[:0]
		for _, s := range sh.streams {
			sh.list = append(sh.list, s)
		}
		sh.stale = false
	}
	return sh.list
}

// send writes one audio frame to every stream every 20 ms, paced against the start so that a late tick
// is caught up rather than lost (and a stall of more than 100 ms re-anchors instead of bursting).
func (sh *shard) send(ctx context.Context) {
	timer := time.NewTimer(ptime)
	defer timer.Stop()
	batch := newSendBatch(sh.batch)
	var pkt rtp.Packet
	start, tick := time.Now(), 0
	for {
		tick++
		due := start.Add(time.Duration(tick) * ptime)
		if late := time.Since(due); late > 5*ptime {
			start = start.Add(late)
			due = due.Add(late)
		}
		timer.Reset(time.Until(due))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		for _, s := range sh.snapshot() {
			if n := s.audioFrame(&pkt, batch.next(), sh.m.voice); n > 0 {
				batch.add(s, n)
			}
		}
		batch.flush()
	}
}

// read hands every packet to the stream of its source, reading as many as have arrived at once.
func (sh *shard) read() {
	batch := newReadBatch()
	var to [batchSize]*Stream
	for {
		n, err := batch.read(sh.batch)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil { // e.g. ECONNREFUSED, an ICMP error for an earlier write to a call that ended
			continue
		}
		at := time.Now()
		sh.mu.RLock()
		for i := range n {
			to[i] = sh.streams[batch.from[i]]
		}
		sh.mu.RUnlock()
		for i, s := range to[:n] {
			if s != nil {
				s.receive(batch.datagram(i), at)
			}
		}
		clear(to[:n])
	}
}
