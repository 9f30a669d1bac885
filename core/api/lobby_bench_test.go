package api_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// benchLobby is a restricted room whose lobby already holds 1,000 waiting
// people, as a busy webinar's would.
func benchLobby(b *testing.B) (*stack, string) {
	s := newStack(b, func(srv *api.Server) {
		// Every request comes from loopback: lift the address's budgets and the room's cap.
		srv.LobbySettings.PerAddress = core.AttemptLimit{Max: 1 << 30, Window: time.Minute}
		srv.LobbySettings.PerParticipant = core.AttemptLimit{Max: 1 << 30, Window: time.Minute}
		srv.LobbySettings.MaxWaiting, srv.LobbySettings.StreamsPerAddress = 1<<30, 1<<30
		srv.LobbySettings.TTLs.Waiting = 10 * time.Minute
	})
	ctx := context.Background()
	owner, err := s.server.Users.SignIn(ctx, core.Claims{Sub: "bench-owner"}, false)
	if err != nil {
		b.Fatal(err)
	}
	room := &core.Room{Name: testenv.Name("bench lobby "), AccessLevel: core.AccessRestricted}
	if err := s.server.Rooms.CreateRoom(ctx, room, owner.ID); err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		e := &core.LobbyEntry{ID: fmt.Sprintf("seed-%d", i), RoomID: room.ID, Username: "Seed", Status: core.EntryWaiting, Kind: core.KindWeb}
		if err := s.server.Lobby.PutEntry(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	return s, room.ID
}

// BenchmarkRequestEntry: new people asking to enter, over Connect.
func BenchmarkRequestEntry(b *testing.B) {
	s, room := benchLobby(b)
	guest := s.lobby("")
	ctx := context.Background()
	for _, c := range concurrency {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			b.ReportAllocs()
			runConcurrent(b, c, func(int64) error {
				_, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: room, Username: "Guest"})
				return err
			})
		})
	}
}

// BenchmarkDecideToWatchEntry measures how long a decision takes to reach
// the waiting person's stream (Decide → Valkey → hub → stream), with 1,000
// others waiting; it reports the p50 and p99 of that latency.
func BenchmarkDecideToWatchEntry(b *testing.B) {
	s, room := benchLobby(b)
	guest, admin := s.lobby(""), s.lobby(s.token(b, "bench-owner"))
	ctx := context.Background()
	var latencies []time.Duration
	for b.Loop() {
		req, err := guest.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: room, Username: "Guest"})
		if err != nil {
			b.Fatal(err)
		}
		stream, err := guest.WatchEntry(ctx, &meetlinev1.WatchEntryRequest{Room: room, Ticket: req.Ticket})
		if err != nil || !stream.Receive() {
			b.Fatal(err, stream.Err())
		}
		start := time.Now()
		if _, err := admin.Decide(ctx, &meetlinev1.DecideRequest{RoomId: room, ParticipantId: req.Participant.Id, Allow: true}); err != nil {
			b.Fatal(err)
		}
		if !stream.Receive() {
			b.Fatal(stream.Err())
		}
		latencies = append(latencies, time.Since(start))
		stream.Close()
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkLiveKitWebhook: signed participant_joined events, each new, ingested.
func BenchmarkLiveKitWebhook(b *testing.B) {
	s := newStack(b)
	key, secret := testenv.Getenv(b, "LIVEKIT_API_KEY"), testenv.Getenv(b, "LIVEKIT_API_SECRET")
	var n atomic.Int64
	for _, c := range concurrency {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			b.ReportAllocs()
			runConcurrent(b, c, func(int64) error {
				i := n.Add(1)
				body := event(b, &lkproto.WebhookEvent{Id: fmt.Sprintf("EV_bench_%d", i), Event: "participant_joined",
					Room: &lkproto.Room{Name: "bench-room"}, Participant: &lkproto.ParticipantInfo{Identity: fmt.Sprintf("p%d", i)}})
				if status, msg := postWebhook(b, s.url, sign(b, key, secret, body), body); status != 200 {
					return fmt.Errorf("webhook: %d %s", status, msg)
				}
				return nil
			})
		})
	}
}
