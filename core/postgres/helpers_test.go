package postgres_test

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
)

// wantCode fails the test unless err carries the domain error code want.
func wantCode(t testing.TB, err error, want core.ErrorCode) {
	t.Helper()
	if got := core.Code(err); got != want {
		t.Fatalf("error = %v (code %q), want code %q", err, got, want)
	}
}

// wantField fails the test unless err is EINVALID naming field.
func wantField(t testing.TB, err error, field string) {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) || e.Code != core.EINVALID || e.Field != field {
		t.Fatalf("error = %v, want EINVALID on %q", err, field)
	}
}

func newUser(t testing.TB, db *postgres.DB, sub string) *core.User {
	t.Helper()
	u, err := postgres.NewUserService(db).SignIn(t.Context(), core.Claims{Sub: sub, Email: sub + "@example.com", FullName: "User " + sub}, false)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newTrunk(t testing.TB, db *postgres.DB, name string, pinLength int, enabled bool, numbers ...core.PhoneNumber) *core.Trunk {
	t.Helper()
	tr := &core.Trunk{Name: name, PINLength: pinLength, Language: "en-us", Enabled: enabled, Numbers: numbers}
	if err := postgres.NewTrunkService(db).CreateTrunk(t.Context(), tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func newRoom(t testing.TB, s *postgres.RoomService, name, owner string) *core.Room {
	t.Helper()
	r := &core.Room{Name: name, AccessLevel: core.AccessPublic}
	if err := s.CreateRoom(t.Context(), r, owner); err != nil {
		t.Fatal(err)
	}
	return r
}

// repeat is a random source stuck on one byte: every PIN it yields is the
// same, which forces collisions.
type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// counters returns the values of a counter family by its "trunk" label ("" when unlabelled).
func counters(t testing.TB, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			label := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "trunk" {
					label = l.GetValue()
				}
			}
			got[label] = m.GetCounter().GetValue()
		}
	}
	return got
}
