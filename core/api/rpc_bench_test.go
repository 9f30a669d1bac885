package api_test

import (
	"context"
	"fmt"
	"net/http"
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
	runWorkers(b, c, func() func(int64) error { return op })
}

// runWorkers is runConcurrent with an op per goroutine, made by newOp
// before the timer starts, for ops that reuse state of their own.
func runWorkers(b *testing.B, c int, newOp func() func(i int64) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	ops := make([]func(int64) error, c)
	for w := range ops {
		ops[w] = newOp()
	}
	cpu0 := processCPU(b)
	defer func() { b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op") }()
	b.ResetTimer()
	for _, op := range ops {
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

// transports are the HTTP versions sipgate's client may speak to the core:
// HTTP/1.1, a connection per call in flight, and cleartext HTTP/2, every
// call a stream of one connection.
var transports = []struct {
	name string
	h2c  bool
}{{"connect", false}, {"connect-h2c", true}}

// sipgateTimeout is the deadline sipgate gives each attempt
// (sipgate.DefaultCoreConfig's ResolveTimeout): the core sees it as
// Connect-Timeout-Ms.
const sipgateTimeout = 2 * time.Second

// sipgateClient is the TelephonyService client as sipgate/corerpc.New builds
// it: the default transport's settings with 64 idle connections per host,
// the token set by an interceptor; h2c speaks cleartext HTTP/2 instead of
// HTTP/1.1. Calls give it sipgateTimeout, as corerpc's retry does.
func sipgateClient(url string, h2c bool) meetlinev1connect.TelephonyServiceClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	if h2c {
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	return meetlinev1connect.NewTelephonyServiceClient(&http.Client{Transport: tr}, url, withBearer(sipgateToken))
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
// SQL through pgx with no RPC around it, measured in the same run. The client
// is sipgate's (see sipgateClient), over HTTP/1.1 ("connect") and cleartext
// HTTP/2 ("connect-h2c"); "handler" is the core's own share, its handler
// called with a request built once: no client, no socket, no net/http server.
func BenchmarkResolvePin(b *testing.B) {
	s := newStack(b)
	ctx := context.Background()
	s.addTrunk(b, "paris", "fr-fr", true, "+33123456789")
	owner, err := s.server.Users.SignIn(ctx, core.Claims{Sub: "bench-owner"}, false)
	if err != nil {
		b.Fatal(err)
	}
	var reqs []*meetlinev1.ResolvePinRequest
	for i := range 1000 {
		r := &core.Room{Name: fmt.Sprintf("bench room %d", i), AccessLevel: core.AccessPublic}
		if err := s.server.Rooms.CreateRoom(ctx, r, owner.ID); err != nil {
			b.Fatal(err)
		}
		reqs = append(reqs, &meetlinev1.ResolvePinRequest{CalledNumber: "+33123456789", Pin: r.PIN, CallerId: "+33600000000",
			CallId: fmt.Sprintf("bench-call-%d", i)})
	}
	req := func(i int64) *meetlinev1.ResolvePinRequest { return reqs[i%int64(len(reqs))] }
	for _, c := range concurrency {
		for _, tr := range transports {
			tel := sipgateClient(s.url, tr.h2c)
			b.Run(fmt.Sprintf("c=%d/%s", c, tr.name), func(b *testing.B) {
				b.ReportAllocs()
				runConcurrent(b, c, func(i int64) error {
					ctx, cancel := context.WithTimeout(ctx, sipgateTimeout)
					defer cancel()
					res, err := tel.ResolvePin(ctx, req(i))
					if err == nil && res.RoomId == "" {
						err = fmt.Errorf("PIN %s opened no room", req(i).Pin)
					}
					return err
				})
			})
		}
		b.Run(fmt.Sprintf("c=%d/handler", c), func(b *testing.B) {
			calls := newDirectCalls(b, s.handler, meetlinev1connect.TelephonyServiceResolvePinProcedure, reqs)
			b.ReportAllocs()
			runWorkers(b, c, func() func(int64) error {
				w := newDirectWriter()
				return func(i int64) error { return w.serve(s.handler, calls[i%int64(len(calls))]) }
			})
		})
		b.Run(fmt.Sprintf("c=%d/baseline", c), func(b *testing.B) {
			b.ReportAllocs()
			runConcurrent(b, c, func(i int64) error {
				_, _, err := s.server.Rooms.FindRoomByPIN(ctx, "+33123456789", req(i).Pin)
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
