package postgres_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

// TestRoomsWithoutTrunks: with no enabled trunk, or with telephony off
// (even with trunks), rooms are created and regenerated without a PIN, and
// none of that counts as a PIN-assignment failure.
func TestRoomsWithoutTrunks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		trunk     bool
		telephony bool
	}{{"no trunk", false, true}, {"disabled trunk only", false, true}, {"telephony off", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := testenv.Postgres(t)
			owner := newUser(t, db, "owner")
			if tc.trunk {
				newTrunk(t, db, "paris", 10, true)
			} else if tc.name == "disabled trunk only" {
				newTrunk(t, db, "paris", 10, false)
			}
			reg := prometheus.NewRegistry()
			s := postgres.NewRoomService(db, postgres.WithMetrics(reg), postgres.WithTelephony(tc.telephony))
			room := newRoom(t, s, "quiet", owner.ID)
			if room.PIN != "" || room.TrunkID != "" {
				t.Errorf("room got trunk %q PIN %q", room.TrunkID, room.PIN)
			}
			again, err := s.RegeneratePIN(t.Context(), room.ID)
			if err != nil || again.PIN != "" {
				t.Errorf("RegeneratePIN = %+v, %v", again, err)
			}
			if got := counters(t, reg, "meetline_pin_assignment_failures_total")[""]; got != 0 {
				t.Errorf("%v PIN-assignment failures counted, want 0", got)
			}
		})
	}
}
