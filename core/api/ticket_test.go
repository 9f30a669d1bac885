package api

import (
	"strings"
	"testing"
)

func TestTickets(t *testing.T) {
	tk := tickets{secret: []byte("secret")}
	ticket := tk.issue("room-1", "participant-1")
	if id, err := tk.open("room-1", ticket); err != nil || id != "participant-1" {
		t.Fatalf("open = %q, %v", id, err)
	}
	for name, bad := range map[string]string{
		"another room": "",
		"tampered mac": ticket[:len(ticket)-1] + "A",
		"tampered id":  "cGFydGljaXBhbnQtMg" + ticket[strings.Index(ticket, "."):],
		"no dot":       strings.ReplaceAll(ticket, ".", ""),
		"empty":        "",
		"empty id":     "." + ticket[strings.Index(ticket, ".")+1:],
		"not base64":   "%%%." + ticket[strings.Index(ticket, ".")+1:],
		"other secret": tickets{secret: []byte("other")}.issue("room-1", "participant-1"),
		"way too long": strings.Repeat("a", 300) + "." + strings.Repeat("b", 43),
	} {
		room := "room-1"
		if name == "another room" {
			room, bad = "room-2", ticket
		}
		if id, err := tk.open(room, bad); err == nil {
			t.Errorf("%s: open accepted %q as %q", name, bad, id)
		}
	}
}

// FuzzTicket: opening any string never panics, and only a ticket this
// secret issued for this room opens.
func FuzzTicket(f *testing.F) {
	tk := tickets{secret: []byte("secret")}
	f.Add(tk.issue("room-1", "participant-1"))
	f.Add("x.y")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := tk.open("room-1", s)
		if err == nil && s != tk.issue("room-1", id) {
			t.Fatalf("open accepted %q (id %q) that was never issued", s, id)
		}
	})
}
