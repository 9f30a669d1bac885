package postgres

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// BenchmarkPINNamespace simulates assigning 10,000,000 rooms 10-digit PINs
// over 1, 4 and 16 trunks with the real policy (pinAssigner.assign:
// least-loaded trunk first, 5 draws per trunk, core.NewPIN on crypto/rand),
// the namespaces held in maps instead of Postgres. One op is the whole run.
// The birthday bound predicts Σ n_t²/(2·10^10) collisions: 5,000 in one trunk,
// 1,250 over 4, 312 over 16, and no failed assignment.
func BenchmarkPINNamespace(b *testing.B) {
	const rooms, length = 10_000_000, 10
	for _, trunks := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("trunks=%d", trunks), func(b *testing.B) {
			var collisions, retried, failures int
			for range b.N {
				c, r, f := simulatePINs(b, rooms, trunks, length)
				collisions, retried, failures = collisions+c, retried+r, failures+f
			}
			n := float64(b.N)
			b.ReportMetric(float64(collisions)/n, "collisions/op")
			b.ReportMetric(float64(retried)/n, "retried-rooms/op")
			b.ReportMetric(float64(failures)/n, "failures/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(n*rooms), "ns/room")
		})
	}
}

type simTrunk struct {
	candidate
	rooms int
	pins  map[uint64]struct{}
}

// simulatePINs assigns rooms PINs and returns the collisions, the rooms that
// needed more than one draw, and the rooms left without a PIN.
func simulatePINs(b *testing.B, rooms, trunks, length int) (collisions, retried, failures int) {
	sim := make([]*simTrunk, trunks)
	for i := range sim {
		sim[i] = &simTrunk{candidate: candidate{id: strconv.Itoa(i), name: fmt.Sprintf("t%02d", i), pinLength: length},
			pins: make(map[uint64]struct{}, rooms/trunks+rooms/trunks/8)}
	}
	byID := func(id string) *simTrunk { i, _ := strconv.Atoi(id); return sim[i] }
	a := newPINAssigner()
	order := make([]*simTrunk, trunks)
	cands := make([]candidate, trunks)
	for range rooms {
		copy(order, sim) // ORDER BY room count, name
		slices.SortFunc(order, func(x, y *simTrunk) int { return cmp.Or(cmp.Compare(x.rooms, y.rooms), cmp.Compare(x.name, y.name)) })
		for i, t := range order {
			cands[i] = t.candidate
		}
		draws := 0
		_, _, err := a.assign(b.Context(), cands, func(c candidate, pin string) (bool, error) {
			draws++
			v, err := strconv.ParseUint(pin, 10, 64)
			if err != nil {
				return false, err
			}
			t := byID(c.id)
			if _, taken := t.pins[v]; taken {
				collisions++
				return false, nil
			}
			t.pins[v] = struct{}{}
			t.rooms++
			return true, nil
		})
		switch {
		case err == errNoPIN:
			failures++
		case err != nil:
			b.Fatal(err)
		}
		if draws > 1 {
			retried++
		}
	}
	return collisions, retried, failures
}
