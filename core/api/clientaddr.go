package api

import (
	"context"
	"net/netip"
	"strings"

	"connectrpc.com/connect"
)

// TrustedProxies are the proxies (nginx, a load balancer) whose
// X-Forwarded-For the core believes. Anyone else could write any address
// there, so from an untrusted peer the header is ignored.
type TrustedProxies []netip.Prefix

func (p TrustedProxies) trusted(a netip.Addr) bool {
	for _, pfx := range p {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr returns the address of the client a request comes from: the
// TCP peer, unless it is a trusted proxy; then the rightmost address in
// X-Forwarded-For that is not a trusted proxy (each proxy appends the
// address it was reached from, so entries left of the first untrusted one
// are the client's to invent). The zero Addr when peer is no address.
func (p TrustedProxies) ClientAddr(peer string, forwardedFor []string) netip.Addr {
	ap, err := netip.ParseAddrPort(peer)
	if err != nil {
		return netip.Addr{}
	}
	client := ap.Addr().Unmap()
	if !p.trusted(client) {
		return client
	}
	hops := strings.Split(strings.Join(forwardedFor, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		a, err := netip.ParseAddr(h)
		if err != nil {
			return client // written by a trusted proxy, yet no address: go no further
		}
		if client = a.Unmap(); !p.trusted(client) {
			return client
		}
	}
	return client
}

// clientKey is the rate-limit key of the client of the call in ctx: its
// address, or its /64 for IPv6, since anyone with one IPv6 address has a
// whole /64. "" outside a call or when there is no address.
func (s *Server) clientKey(ctx context.Context) string {
	info, ok := connect.CallInfoForHandlerContext(ctx)
	if !ok {
		return ""
	}
	a := s.TrustedProxies.ClientAddr(info.Peer().Addr, info.RequestHeader().Values("X-Forwarded-For"))
	switch {
	case !a.IsValid():
		return ""
	case a.Is6():
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}
