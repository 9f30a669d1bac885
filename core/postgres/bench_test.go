package postgres_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

// benchDB returns a database of the benchmark's own whose pool has room for
// the 32 concurrent clients of the largest sub-benchmark (pgxpool's default
// is max(4, CPUs), which would measure the pool's queue instead).
func benchDB(b *testing.B) *postgres.DB {
	b.Helper()
	db, err := postgres.Open(b.Context(), testenv.DatabaseURL(b)+"&pool_max_conns=40")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	return db
}

// concurrency runs fn b.N times from c clients, as sub-benchmark "c=<c>".
// RunParallel starts SetParallelism(p)×GOMAXPROCS goroutines, so c is exact
// when GOMAXPROCS divides it; c=1 is a plain loop.
func concurrency(b *testing.B, fn func()) {
	for _, c := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			if c == 1 {
				for range b.N {
					fn()
				}
				return
			}
			b.SetParallelism(max(1, c/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					fn()
				}
			})
		})
	}
}

// seedPINs creates two trunks and 10,000 rooms, half in each, with PINs
// "0000000000" to "0000004999", and returns the numbers and PINs to look up.
func seedPINs(b *testing.B, db *postgres.DB) (numbers []core.PhoneNumber, pins []string) {
	numbers = []core.PhoneNumber{"+33123456789", "+41441234567"}
	var ids []string
	for i, n := range numbers {
		ids = append(ids, newTrunk(b, db, fmt.Sprint("trunk ", i), 10, true, n).ID)
	}
	_, err := db.Pool.Exec(b.Context(), `INSERT INTO rooms (name, slug, trunk_id, pin)
		SELECT 'seed ' || i, 'seed-' || i, ($1::uuid[])[i % 2 + 1], lpad((i / 2)::text, 10, '0')
		FROM generate_series(0, 9999) i`, ids)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 5000 {
		pins = append(pins, fmt.Sprintf("%010d", i))
	}
	return numbers, pins
}

func BenchmarkFindRoomByPIN(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b)
	numbers, pins := seedPINs(b, db)
	s := postgres.NewRoomService(db)
	concurrency(b, func() {
		if _, _, err := s.FindRoomByPIN(ctx, numbers[rand.IntN(2)], pins[rand.IntN(len(pins))]); err != nil {
			panic(err)
		}
	})
}

// BenchmarkFindRoomByPINRawPgx is the floor: the same SQL through a bare
// QueryRow, scanned into the same types.
func BenchmarkFindRoomByPINRawPgx(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b)
	numbers, pins := seedPINs(b, db)
	concurrency(b, func() {
		var r core.Room
		var t core.Trunk
		err := db.Pool.QueryRow(ctx, postgres.FindRoomByPINSQL, numbers[rand.IntN(2)], pins[rand.IntN(len(pins))]).Scan(
			&r.ID, &r.Name, &r.Slug, &r.AccessLevel, &r.Configuration, &r.CreatedAt, &r.UpdatedAt,
			&t.ID, &t.Name, &t.PINLength, &t.Language, &t.Enabled, &t.CreatedAt, &t.UpdatedAt)
		if err != nil {
			panic(err)
		}
	})
}

func BenchmarkCreateRoom(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b)
	owner := newUser(b, db, "owner")
	for i := range 4 {
		newTrunk(b, db, fmt.Sprint("trunk ", i), 10, true)
	}
	s := postgres.NewRoomService(db)
	var n atomic.Int64
	concurrency(b, func() {
		r := &core.Room{Name: fmt.Sprint("room ", n.Add(1)), AccessLevel: core.AccessPublic}
		if err := s.CreateRoom(ctx, r, owner.ID); err != nil || r.PIN == "" {
			panic(fmt.Sprint(r, err))
		}
	})
}

// BenchmarkCreateRoomRawSQL is the floor: the insert statement alone, with
// the trunk fixed and the PIN drawn, no checks and no choice of trunk.
func BenchmarkCreateRoomRawSQL(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b)
	owner := newUser(b, db, "owner")
	trunk := newTrunk(b, db, "trunk", 10, true)
	var n atomic.Int64
	concurrency(b, func() {
		i := n.Add(1)
		pin, err := core.NewPIN(nil, 10)
		if err != nil {
			panic(err)
		}
		var id string
		var created, updated time.Time
		err = db.Pool.QueryRow(ctx, postgres.InsertRoomSQL, fmt.Sprint("room ", i), fmt.Sprint("room-", i),
			core.AccessPublic, "{}", trunk.ID, pin, owner.ID).Scan(&id, &created, &updated)
		if err != nil {
			panic(err)
		}
	})
}

var (
	pinRooms  = flag.Int("pin.rooms", 20_000, "rooms BenchmarkPINAssignmentPostgres creates per iteration")
	pinTrunks = flag.Int("pin.trunks", 4, "trunks BenchmarkPINAssignmentPostgres spreads them over")
	pinLength = flag.Int("pin.length", 10, "PIN length of those trunks")
)

// BenchmarkPINAssignmentPostgres creates -pin.rooms rooms through CreateRoom,
// the real assignment path, from 32 goroutines, and reports the collisions
// and failed assignments. The full-size run:
//
//	go test ./core/postgres/ -run '^$' -bench PINAssignmentPostgres -benchtime=1x -pin.rooms=1000000
//
// (the package before the -pin flags: go test stops reading its own flags
// at the first one it does not know).
func BenchmarkPINAssignmentPostgres(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b)
	owner := newUser(b, db, "owner")
	for i := range *pinTrunks {
		newTrunk(b, db, fmt.Sprint("trunk ", i), *pinLength, true)
	}
	reg := prometheus.NewRegistry()
	s := postgres.NewRoomService(db, postgres.WithMetrics(reg))
	var next atomic.Int64
	b.ResetTimer()
	for range b.N {
		end := next.Load() + int64(*pinRooms)
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				for i := next.Add(1); i <= end; i = next.Add(1) {
					r := &core.Room{Name: fmt.Sprint("room ", i), AccessLevel: core.AccessPublic, Configuration: json.RawMessage("{}")}
					if err := s.CreateRoom(ctx, r, owner.ID); err != nil {
						panic(err)
					}
				}
			})
		}
		wg.Wait()
		next.Store(end)
	}
	b.StopTimer()
	var collisions float64
	for _, v := range counters(b, reg, "meetline_pin_collisions_total") {
		collisions += v
	}
	perRun := float64(b.N)
	b.ReportMetric(collisions/perRun, "collisions/op")
	b.ReportMetric(counters(b, reg, "meetline_pin_assignment_failures_total")[""]/perRun, "failures/op")
	b.ReportMetric(float64(*pinRooms)*perRun/b.Elapsed().Seconds(), "rooms/s")
	b.ReportMetric(0, "ns/op")
}
