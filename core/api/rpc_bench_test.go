package api_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// concurrency levels of the RPC benchmarks: one client, a few, many.
var concurrency = []int{1, 8, 32}

// runConcurrent runs op b.N times spread over c goroutines. Besides the
// wall time it reports the process's CPU time per op (user and system, the
// client's included; Postgres's and Valkey's not), which the other tenants
// of a shared machine disturb less.
func runConcurrent(b *testing.B, c int, op func(i int64) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := processCPU(b)
	defer func() { b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op") }()
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

// withBearer sends token on each call's own headers, as sipgate's client
// does, rather than through a RoundTripper that must copy every request.
func withBearer(token string) connect.ClientOption {
	header := "Bearer " + token
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", header)
			return next(ctx, req)
		}
	}))
}

// processCPU is the CPU time this process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
	tel := meetlinev1connect.NewTelephonyServiceClient(as(""), s.url, withBearer(sipgateToken))
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
	rooms := meetlinev1connect.NewRoomServiceClient(as(""), s.url, withBearer(s.token(b, "bench-creator")))
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
