package media

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// testBase picks an even base port; other processes may hold some ports, so
// tests assert what holds whatever the range's neighbours do.
func testBase() uint16 { return uint16(40000 + 2*rand.IntN(9000)) }

func port(c *net.UDPConn) int { return c.LocalAddr().(*net.UDPAddr).Port }

func TestPortRangeEvenAndExhausted(t *testing.T) {
	base := testBase()
	r, err := NewPortRange(loopback, base+1, base+9) // even ports base+2 … base+8
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 4 {
		t.Fatalf("Len = %d, want 4", r.Len())
	}
	seen := map[int]bool{}
	for {
		c, err := r.Allocate()
		if errors.Is(err, ErrNoPorts) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		p := port(c)
		if p%2 != 0 || p < int(base)+2 || p > int(base)+8 || seen[p] {
			t.Fatalf("port %d: odd, out of range or twice", p)
		}
		seen[p] = true
		if len(seen) > 4 {
			t.Fatal("more ports than the range has")
		}
	}
	if len(seen) == 0 {
		t.Fatal("no port allocated")
	}
}

func TestPortRangeReuseAfterClose(t *testing.T) {
	base := testBase()
	r, _ := NewPortRange(loopback, base, base+6)
	var conns []*net.UDPConn
	for {
		c, err := r.Allocate()
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	if len(conns) == 0 {
		t.Skip("whole range busy")
	}
	freed := port(conns[0])
	conns[0].Close()
	c, err := r.Allocate()
	if err != nil || port(c) != freed {
		t.Fatalf("after close: %v, %v; want port %d", c, err, freed)
	}
	c.Close()
	for _, c := range conns[1:] {
		c.Close()
	}
}

// Ports come at random: consecutive calls do not get consecutive ports, so
// nobody can spray the next call's port from the last one's.
func TestPortRangeRandom(t *testing.T) {
	base := testBase()
	r, _ := NewPortRange(loopback, base, base+400) // 201 ports
	prev, steps := -1, map[int]int{}
	for range 40 {
		c, err := r.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		if prev >= 0 {
			steps[port(c)-prev]++
		}
		prev = port(c)
		c.Close()
	}
	for step, n := range steps {
		if n > 5 {
			t.Errorf("step %d between consecutive ports %d times in 39: predictable", step, n)
		}
	}
}

func TestCoprimeStride(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 12, 97, 5000} {
		for range 50 {
			s, seen := coprimeStride(n), map[int]bool{}
			for i, k := 0, 0; k < n; k++ {
				seen[i] = true
				i = (i + s) % n
			}
			if len(seen) != n {
				t.Fatalf("stride %d over %d visits %d indexes", s, n, len(seen))
			}
		}
	}
}

func TestPortRangeConcurrent(t *testing.T) {
	base := testBase()
	r, _ := NewPortRange(loopback, base, base+126) // 64 ports
	var (
		mu    sync.Mutex
		ports = map[int]bool{}
		wg    sync.WaitGroup
		conns = make(chan *net.UDPConn, 64)
	)
	for range 16 {
		wg.Go(func() {
			for range 3 {
				c, err := r.Allocate()
				if err != nil {
					t.Error(err)
					return
				}
				conns <- c
				mu.Lock()
				if ports[port(c)] {
					t.Errorf("port %d handed out twice", port(c))
				}
				ports[port(c)] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(conns)
	for c := range conns {
		c.Close()
	}
	if len(ports) != 48 {
		t.Errorf("%d distinct ports, want 48", len(ports))
	}
}

func TestPortRangeErrors(t *testing.T) {
	if _, err := NewPortRange(loopback, 10001, 10001); err == nil {
		t.Error("range without an even port accepted")
	}
	if _, err := NewPortRange(loopback, 0, 10); err == nil {
		t.Error("port 0 accepted")
	}
	// An address not on this host is a configuration error, not exhaustion.
	r, _ := NewPortRange(netip.MustParseAddr("192.0.2.1"), 40000, 40010)
	if _, err := r.Allocate(); err == nil || errors.Is(err, ErrNoPorts) {
		t.Errorf("bind on a foreign address: %v", err)
	}
}
