package main

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// balancer is a TCP balancer in front of core replicas, as a Kubernetes Service or a load balancer would
// be: each connection goes to the next replica that accepts it. It lets the drill kill one of two cores
// under sipgate's feet.
type balancer struct {
	ln       net.Listener
	backends []string
	next     atomic.Uint64
	wg       sync.WaitGroup
}

func newBalancer(backends ...string) (*balancer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &balancer{ln: ln, backends: backends}
	b.wg.Go(b.serve)
	return b, nil
}

// addr is where the balancer listens.
func (b *balancer) addr() string { return b.ln.Addr().String() }

func (b *balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Go(func() { b.relay(c) })
	}
}

// relay pipes c to the first replica that accepts, starting with the next in turn.
func (b *balancer) relay(c net.Conn) {
	defer c.Close()
	start := b.next.Add(1)
	for i := range uint64(len(b.backends)) {
		addr := b.backends[(start+i)%uint64(len(b.backends))]
		up, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			continue
		}
		defer up.Close()
		done := make(chan struct{}, 2)
		go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
		go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
		<-done
		return
	}
}

// close stops accepting and waits for the relays once their connections end (ctx bounds the wait).
func (b *balancer) close(ctx context.Context) {
	b.ln.Close()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
