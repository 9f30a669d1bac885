package api_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// TestLobbyRoomFull: a room's lobby holds MaxWaiting people; the next one
// is refused with ResourceExhausted, while those already waiting still
// refresh, and a place freed by a decision takes a newcomer.
func TestLobbyRoomFull(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) { srv.LobbySettings.MaxWaiting = 3 })
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	guest := s.lobby("")
	var first *meetlinev1.RequestEntryResponse
	for i := range 3 {
		res, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest"})
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		first = res
	}
	_, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Late"})
	if connect.CodeOf(err) != connect.CodeResourceExhausted || !strings.Contains(err.Error(), "full") || retryDelay(err) <= 0 {
		t.Fatalf("fourth entry: %v, want resource_exhausted: full", err)
	}
	if _, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest", Ticket: first.Ticket}); err != nil {
		t.Errorf("a waiting person's refresh: %v", err)
	}
	admin := s.lobby(s.token(t, t.Name()+"-administrator"))
	if _, err := admin.Decide(ctx, &meetlinev1.DecideRequest{RoomId: f.room.Id, ParticipantId: first.Participant.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Late"}); err != nil {
		t.Errorf("after a decision: %v", err)
	}
}

// TestLobbyFirstRequestsLimited: requests without a ticket (each a new
// participant) share their address's per-participant budget; before, each
// got a fresh one and the limit never applied.
func TestLobbyFirstRequestsLimited(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) {
		srv.LobbySettings.PerParticipant = core.AttemptLimit{Max: 5, Window: time.Minute}
	})
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	guest := s.lobby("")
	var last error
	var ticket string
	for i := range 6 {
		res, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest"})
		if last = err; err != nil {
			break
		}
		if i == 0 {
			ticket = res.Ticket
		}
	}
	if connect.CodeOf(last) != connect.CodeResourceExhausted {
		t.Fatalf("sixth request without a ticket: %v, want resource_exhausted", last)
	}
	if _, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest", Ticket: ticket}); err != nil {
		t.Errorf("a ticket holder's own budget: %v", err)
	}
}

// TestWatchEntryStreamCaps: one ticket holds StreamsPerTicket streams at
// once, one user StreamsPerUser and one address StreamsPerAddress; a
// closed stream frees its place.
func TestWatchEntryStreamCaps(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) {
		srv.LobbySettings.StreamsPerTicket, srv.LobbySettings.StreamsPerUser, srv.LobbySettings.StreamsPerAddress = 2, 3, 5
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	guest := s.lobby("")
	watch := func(c meetlinev1connect.LobbyServiceClient, ticket string) (context.CancelFunc, error) {
		sctx, stop := context.WithCancel(ctx)
		t.Cleanup(stop)
		st, err := c.WatchEntry(sctx, &meetlinev1.WatchEntryRequest{Room: f.room.Id, Ticket: ticket})
		if err != nil {
			return stop, err
		}
		if !st.Receive() {
			return stop, st.Err()
		}
		return stop, nil
	}
	enter := func(c meetlinev1connect.LobbyServiceClient) string {
		res, err := c.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Watcher"})
		if err != nil {
			t.Fatal(err)
		}
		return res.Ticket
	}

	ticket := enter(guest)
	stop, err := watch(guest, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watch(guest, ticket); err != nil {
		t.Fatal(err)
	}
	if _, err := watch(guest, ticket); connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Fatalf("third stream on one ticket: %v, want resource_exhausted", err)
	}
	stop()
	waitFor(t, func() bool { _, err := watch(guest, ticket); return err == nil })

	// A signed-in stranger: one ticket per request, three streams in all.
	user := s.lobby(s.token(t, t.Name()+"-stranger"))
	for i := range 3 {
		if _, err := watch(user, enter(user)); err != nil {
			t.Fatalf("user stream %d: %v", i, err)
		}
	}
	if _, err := watch(user, enter(user)); connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Fatalf("fourth stream of one user: %v, want resource_exhausted", err)
	}
	// The address now holds 2 + 3 streams: a new guest's first is refused.
	if _, err := watch(guest, enter(guest)); connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Fatalf("sixth stream from one address: %v, want resource_exhausted", err)
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
	}
}

// countingRooms counts the data messages sent to LiveKit rooms and sends none.
type countingRooms struct {
	core.LiveRooms
	sent atomic.Int64
}

func (c *countingRooms) SendData(context.Context, string, []byte) error {
	c.sent.Add(1)
	return nil
}

// TestLobbyAnnounceCoalesced: 30 people arriving at once in a live room's
// lobby make one "participantWaiting" message per 2 s (one, unless the
// machine is slow), not 30; one arriving after the quiet interval makes
// another.
func TestLobbyAnnounceCoalesced(t *testing.T) {
	t.Parallel()
	rooms := new(countingRooms)
	s := newStack(t, func(srv *api.Server) { rooms.LiveRooms = srv.LiveKit; srv.LiveKit = rooms })
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	if err := s.server.Presence.RoomStarted(ctx, f.room.Id); err != nil {
		t.Fatal(err)
	}
	guest := s.lobby("")
	start := time.Now()
	for range 30 {
		if _, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Crowd"}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return rooms.sent.Load() >= 1 })
	time.Sleep(500 * time.Millisecond) // let any stragglers send
	want := 1 + int64(time.Since(start)/(2*time.Second))
	if n := rooms.sent.Load(); n > want {
		t.Fatalf("30 arrivals in %v sent %d messages, want at most %d", time.Since(start), n, want)
	}
	sent := rooms.sent.Load()
	time.Sleep(2100 * time.Millisecond)
	if _, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Later"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return rooms.sent.Load() == sent+1 })
}

// TestLobbyBehindNginx runs the location block of the compose deployment's
// nginx in front of a core that allows 3 lobby requests per address a
// minute. Two clients (127.0.0.2 and 127.0.0.3) go through nginx
// (127.0.0.1). With nginx trusted (TRUSTED_PROXIES) each has its own
// budget; without, nginx's address is everyone's and the first client
// spends it for the second, as before this change. A client that writes
// X-Forwarded-For itself straight to the core is not believed.
func TestLobbyBehindNginx(t *testing.T) {
	t.Parallel()
	tmpl, err := os.ReadFile("../../deploy/compose/nginx/meetline.conf.template")
	if err != nil {
		t.Fatal(err)
	}
	location := regexp.MustCompile(`(?s)location / \{.*?\n\t\}`).FindString(string(tmpl))
	if location == "" {
		t.Fatal("no location / in the compose nginx template")
	}
	for _, tt := range []struct {
		name    string
		trusted api.TrustedProxies
		second  connect.Code // what the second client's first request gets
	}{
		{"trusted", api.TrustedProxies{netip.MustParsePrefix("127.0.0.1/32")}, 0},
		{"not trusted", nil, connect.CodeResourceExhausted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, func(srv *api.Server) {
				srv.TrustedProxies = tt.trusted
				srv.LobbySettings.PerAddress = core.AttemptLimit{Max: 3, Window: time.Minute}
			})
			ctx := context.Background()
			cs, ids := s.principalClients(t)
			f := s.newFixture(t, cs, ids, "+33123456789")
			base := testenv.Nginx(t, strings.ReplaceAll(location, "${CORE_URL}", s.url))
			from := func(ip string, url string, rt ...func(http.RoundTripper) http.RoundTripper) meetlinev1connect.LobbyServiceClient {
				d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
				var tr http.RoundTripper = &http.Transport{DialContext: d.DialContext}
				for _, w := range rt {
					tr = w(tr)
				}
				return meetlinev1connect.NewLobbyServiceClient(&http.Client{Transport: tr}, url)
			}
			ask := func(c meetlinev1connect.LobbyServiceClient) error {
				_, err := c.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Guest"})
				return err
			}
			a, b := from("127.0.0.2", base), from("127.0.0.3", base)
			for i := range 3 {
				if err := ask(a); err != nil {
					t.Fatalf("client A, request %d: %v", i, err)
				}
			}
			if err := ask(a); connect.CodeOf(err) != connect.CodeResourceExhausted {
				t.Fatalf("client A, 4th request: %v, want resource_exhausted", err)
			}
			if err := ask(b); (err == nil) != (tt.second == 0) || (err != nil && connect.CodeOf(err) != tt.second) {
				t.Fatalf("client B's first request: %v, want %v", err, tt.second)
			}
			if tt.trusted == nil {
				return
			}
			// Straight to the core, a forged header changes nothing: 127.0.0.4 is not a proxy.
			var n atomic.Int64
			direct := from("127.0.0.4", s.url, func(next http.RoundTripper) http.RoundTripper {
				return roundTripFunc(func(r *http.Request) (*http.Response, error) {
					r = r.Clone(r.Context())
					r.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", n.Add(1)))
					return next.RoundTrip(r)
				})
			})
			forged := 0
			for range 5 {
				if err := ask(direct); err != nil {
					forged++
				}
			}
			if forged != 2 {
				t.Errorf("direct client rotating X-Forwarded-For: %d of 5 refused, want 2", forged)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
