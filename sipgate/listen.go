package sipgate

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// listeners are the two sockets a Server serves SIP on, bound to one host:port.
type listeners struct {
	udp net.PacketConn
	tcp net.Listener
	tls net.Listener // nil without TLS
}

// addr is the bound host:port, the same for UDP and TCP.
func (l *listeners) addr() string { return l.tcp.Addr().String() }

func (l *listeners) close() error {
	err := errors.Join(l.udp.Close(), l.tcp.Close())
	if l.tls != nil {
		err = errors.Join(err, l.tls.Close())
	}
	return err
}

func (l *listeners) transports() string {
	if l.tls != nil {
		return "udp,tcp,tls"
	}
	return "udp,tcp"
}

// listenTLS adds the TLS listener (RFC 3261 §26.2) when addr is set; wrap applies to its TCP connections,
// under TLS, so that a handshake that never ends counts as idle.
func (l *listeners) listenTLS(ctx context.Context, addr string, conf *tls.Config, wrap func(net.Listener) net.Listener) error {
	if addr == "" || conf == nil {
		return nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("sipgate: listen tls %s: %w", addr, err)
	}
	l.tls = tls.NewListener(wrap(ln), conf)
	return nil
}

// portZeroAttempts bounds the retries when port 0 was asked for and the port the kernel gave TCP is taken
// for UDP.
const portZeroAttempts = 10

// listen binds UDP and TCP on addr. sipgo's own ListenAndServe binds each transport separately, so with port 0
// they would land on different ports, and it reports the bound address only through a test-only context
// hook. Here TCP binds first, and UDP binds the very host:port TCP got; with port 0 the kernel chooses TCP's
// port, and if that port is already taken for UDP the pair is retried on a fresh one.
func listen(ctx context.Context, addr string) (*listeners, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("sipgate: listen %q: %w", addr, err)
	}
	attempts := 1
	if p, _ := strconv.Atoi(port); p == 0 {
		attempts = portZeroAttempts
	}
	for i := 1; ; i++ {
		ls, err := listenPair(ctx, addr)
		if err == nil || i == attempts || !errors.Is(err, syscall.EADDRINUSE) {
			return ls, err
		}
	}
}

func listenPair(ctx context.Context, addr string) (*listeners, error) {
	var lc net.ListenConfig
	tcp, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sipgate: listen tcp %s: %w", addr, err)
	}
	udp, err := lc.ListenPacket(ctx, "udp", tcp.Addr().String())
	if err != nil {
		tcp.Close()
		return nil, fmt.Errorf("sipgate: listen udp %s: %w", tcp.Addr(), err)
	}
	return &listeners{udp: udp, tcp: tcp}, nil
}
