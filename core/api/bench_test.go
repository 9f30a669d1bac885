package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// BenchmarkGetConfig measures a whole GetConfig over Connect on loopback;
// compare with BenchmarkGetConfigBaseline, the same query through pgx alone,
// run in the same `make bench`: the ratio is what the RPC layer costs.
func BenchmarkGetConfig(b *testing.B) {
	s := newBenchStack(b)
	c := meetlinev1connect.NewConfigServiceClient(http.DefaultClient, s.url)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.GetConfig(ctx, &meetlinev1.GetConfigRequest{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGetConfigBaseline(b *testing.B) {
	s := newBenchStack(b)
	trunks := postgres.NewTrunkService(s.db)
	enabled := true
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := trunks.FindTrunks(ctx, core.TrunkFilter{Enabled: &enabled}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func newBenchStack(b *testing.B) *stack {
	s := newStack(b)
	s.addTrunk(b, "paris", "fr-fr", true, "+33123456789", "+33987654321")
	s.addTrunk(b, "amsterdam", "nl-nl", true, "+31201234567")
	return s
}
