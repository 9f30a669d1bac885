package api

import (
	"strings"
	"testing"
	"time"
)

func TestTickets(t *testing.T) {
	now := time.Now()
	tk := tickets{secret: []byte("secret"), ttl: time.Hour}
	ticket := tk.issue("room-1", "guest-1", "user-1", now)
	if id, err := tk.open("room-1", "user-1", ticket, now.Add(59*time.Minute)); err != nil || id != "guest-1" {
		t.Fatalf("open = %q, %v", id, err)
	}
	dot := strings.Index(ticket, ".")
	for name, tt := range map[string]struct {
		room, subject, ticket string
		at                    time.Time
		want                  string
	}{
		"another room":     {"room-2", "user-1", ticket, now, "not a ticket"},
		"another subject":  {"room-1", "user-2", ticket, now, "not a ticket"},
		"anonymously":      {"room-1", "", ticket, now, "not a ticket"},
		"expired":          {"room-1", "user-1", ticket, now.Add(time.Hour), "expired"},
		"tampered mac":     {"room-1", "user-1", ticket[:len(ticket)-1] + "A", now, "not a ticket"},
		"tampered id":      {"room-1", "user-1", "Z3Vlc3QtMg" + ticket[dot:], now, "not a ticket"},
		"tampered expiry":  {"room-1", "user-1", strings.Replace(ticket, ".", ".zz", 1), now, "not a ticket"},
		"no dots":          {"room-1", "user-1", strings.ReplaceAll(ticket, ".", ""), now, "not a ticket"},
		"empty":            {"room-1", "user-1", "", now, "not a ticket"},
		"empty id":         {"room-1", "user-1", ticket[dot:], now, "not a ticket"},
		"not base64":       {"room-1", "user-1", "%%%" + ticket[dot:], now, "not a ticket"},
		"other secret":     {"room-1", "user-1", tickets{secret: []byte("other"), ttl: time.Hour}.issue("room-1", "guest-1", "user-1", now), now, "not a ticket"},
		"way too long":     {"room-1", "user-1", strings.Repeat("a", 300) + ".x." + strings.Repeat("b", 43), now, "not a ticket"},
		"old format (6 h)": {"room-1", "user-1", "Z3Vlc3QtMQ." + strings.Repeat("b", 43), now, "not a ticket"},
	} {
		id, err := tk.open(tt.room, tt.subject, tt.ticket, tt.at)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: open = %q, %v; want an error saying %q", name, id, err, tt.want)
		}
	}
}

// FuzzTicket: opening any string never panics, and only a ticket this
// secret issued for this room and subject opens.
func FuzzTicket(f *testing.F) {
	now := time.Now()
	tk := tickets{secret: []byte("secret"), ttl: time.Hour}
	f.Add(tk.issue("room-1", "guest-1", "", now))
	f.Add("x.y.z")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := tk.open("room-1", "", s, now)
		if err != nil {
			return
		}
		parts := strings.Split(s, ".")
		if s != strings.Join(parts[:2], ".")+"."+tk.mac("room-1", id, "", parts[1]) {
			t.Fatalf("open accepted %q (id %q) that was never issued", s, id)
		}
	})
}
