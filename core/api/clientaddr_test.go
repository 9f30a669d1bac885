package api

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies := TrustedProxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tt := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer, header ignored", "203.0.113.5:4000", []string{"198.51.100.7"}, "203.0.113.5"},
		{"untrusted peer, no header", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"trusted proxy, client", "10.0.0.2:80", []string{"198.51.100.7"}, "198.51.100.7"},
		{"rightmost untrusted hop", "10.0.0.2:80", []string{"1.2.3.4, 198.51.100.7, 10.0.0.9"}, "198.51.100.7"},
		{"forged hops left of the client", "10.0.0.2:80", []string{"10.0.0.1", "198.51.100.7"}, "198.51.100.7"},
		{"several header lines", "10.0.0.2:80", []string{"5.6.7.8", "198.51.100.7,10.0.0.3"}, "198.51.100.7"},
		{"only proxies", "10.0.0.2:80", []string{"10.0.0.3"}, "10.0.0.3"},
		{"trusted proxy, no header", "10.0.0.2:80", nil, "10.0.0.2"},
		{"garbage from a trusted proxy", "10.0.0.2:80", []string{"198.51.100.7, nonsense"}, "10.0.0.2"},
		{"ipv6 proxy", "[::1]:80", []string{"2001:db8::1"}, "2001:db8::1"},
		{"mapped ipv4", "[::ffff:203.0.113.5]:1", nil, "203.0.113.5"},
		{"no peer", "", []string{"198.51.100.7"}, "invalid IP"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := proxies.ClientAddr(tt.peer, tt.xff).String(); got != tt.want {
				t.Errorf("ClientAddr(%q, %q) = %s, want %s", tt.peer, tt.xff, got, tt.want)
			}
		})
	}
	if got := TrustedProxies(nil).ClientAddr("10.0.0.2:80", []string{"198.51.100.7"}).String(); got != "10.0.0.2" {
		t.Errorf("no trusted proxies: %s, want the peer", got)
	}
}

// FuzzClientAddr: whatever the header says, the client is the peer or one
// of the header's addresses, and never an address left of an untrusted hop.
func FuzzClientAddr(f *testing.F) {
	f.Add("10.0.0.2:80", "1.2.3.4, 198.51.100.7")
	f.Add("203.0.113.5:1", "10.0.0.1")
	f.Add("[::1]:80", ",,, ::1 ,zz")
	proxies := TrustedProxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	f.Fuzz(func(t *testing.T, peer, xff string) {
		got := proxies.ClientAddr(peer, []string{xff})
		p, err := netip.ParseAddrPort(peer)
		if err != nil {
			if got.IsValid() {
				t.Fatalf("no peer, got %s", got)
			}
			return
		}
		if got == p.Addr().Unmap() {
			return
		}
		if !proxies.trusted(p.Addr().Unmap()) {
			t.Fatalf("untrusted peer %s, got %s from the header", peer, got)
		}
		hops := strings.Split(xff, ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err == nil && a.Unmap() == got {
				return
			}
			if err == nil && !proxies.trusted(a.Unmap()) {
				t.Fatalf("got %s, left of the untrusted hop %s", got, a)
			}
		}
		t.Fatalf("got %s, in neither peer nor header", got)
	})
}
