package api_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// concurrency levels of the RPC benchmarks: one client, a few, many.
var concurrency = []int{1, 8, 32}

// runConcurrent runs op b.N times spread over c goroutines.
func runConcurrent(b *testing.B, c int, op func(i int64) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range c {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkResolvePin compares ResolvePin through Connect on loopback (auth,
// rate-limit check in Valkey, lookup) with the store's lookup alone: the same
// SQL through pgx with no RPC around it, measured in the same run.
func BenchmarkResolvePin(b *testing.B) {
	s := newStack(b)
	ctx := context.Background()
	s.addTrunk(b, "paris", "fr-fr", true, "+33123456789")
	owner, err := s.server.Users.SignIn(ctx, core.Claims{Sub: "bench-owner"}, false)
	if err != nil {
		b.Fatal(err)
	}
	var pins []string
	for i := range 1000 {
		r := &core.Room{Name: fmt.Sprintf("bench room %d", i), AccessLevel: core.AccessPublic}
		if err := s.server.Rooms.CreateRoom(ctx, r, owner.ID); err != nil {
			b.Fatal(err)
		}
		pins = append(pins, r.PIN)
	}
	tel := s.clients(sipgateToken).telephony
	for _, c := range concurrency {
		b.Run(fmt.Sprintf("c=%d/connect", c), func(b *testing.B) {
			b.ReportAllocs()
			runConcurrent(b, c, func(i int64) error {
				_, err := tel.ResolvePin(ctx, &meetlinev1.ResolvePinRequest{
					CalledNumber: "+33123456789", Pin: pins[i%int64(len(pins))], CallerId: "+33600000000"})
				return err
			})
		})
		b.Run(fmt.Sprintf("c=%d/baseline", c), func(b *testing.B) {
			b.ReportAllocs()
			runConcurrent(b, c, func(i int64) error {
				_, _, err := s.server.Rooms.FindRoomByPIN(ctx, "+33123456789", pins[i%int64(len(pins))])
				return err
			})
		})
	}
}

// BenchmarkCreateRoom compares CreateRoom through Connect (sign-in, room,
// owner access and PIN in one transaction) with the store's CreateRoom alone.
func BenchmarkCreateRoom(b *testing.B) {
	// One user creates every room: their hourly budget is lifted, its check still runs.
	s := newStack(b, func(srv *api.Server) { srv.RoomLimits.CreatePerUser.Max = 1 << 30 })
	ctx := context.Background()
	s.addTrunk(b, "paris", "fr-fr", true, "+33123456789")
	rooms := s.clients(s.token(b, "bench-creator")).rooms
	owner, err := s.server.Users.SignIn(ctx, core.Claims{Sub: "bench-owner"}, false)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range concurrency {
		b.Run(fmt.Sprintf("c=%d/connect", c), func(b *testing.B) {
			b.ReportAllocs()
			runConcurrent(b, c, func(i int64) error {
				_, err := rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: testenv.Name("bench ")})
				return err
			})
		})
		b.Run(fmt.Sprintf("c=%d/baseline", c), func(b *testing.B) {
			b.ReportAllocs()
			runConcurrent(b, c, func(i int64) error {
				return s.server.Rooms.CreateRoom(ctx, &core.Room{Name: testenv.Name("bench "), AccessLevel: core.AccessPublic}, owner.ID)
			})
		})
	}
}
