package mail

import (
	htmltemplate "html/template"
	"strings"
	"time"

	"github.com/meetline/meetline/core"
)

// Invitation asks someone to join a room, now or at Start. The API layer
// fills it in; the Renderer makes one message per recipient of it.
type Invitation struct {
	InviterName string
	RoomName    string
	RoomURL     string   // absolute https URL of the room
	DialIn      []DialIn // the room's trunk numbers; empty when it has no PIN
	PIN         string   // digits only; shown grouped (GroupPIN)
	Message     string   // the inviter's own words, optional
	// Start is when the call begins; zero means it is happening now. With a
	// start, the message carries an .ics event.
	Start    time.Time
	Duration time.Duration // of the event; 0 is one hour
	// EventID is the event's UID (RFC 5545 §3.8.4.7); "" derives one from
	// the room URL and the start, so every recipient gets the same event.
	EventID string
}

// DialIn is one number to call into the room.
type DialIn struct {
	Display string // as people write it: "+33 1 23 45 67 89"
	TelURI  string // one-tap link (RFC 3966) that also dials the PIN: "tel:+33123456789,,1234567890%23"
}

type dialView struct {
	Display string
	Tel     htmltemplate.URL // html/template only lets http(s) and mailto links through on its own
}

func (Invitation) kind() string { return KindInvitation }

func (inv Invitation) subjectID() string {
	if inv.Start.IsZero() {
		return "invitation.subject"
	}
	return "invitation.subject_scheduled"
}

func (inv Invitation) values(f formatter) (map[string]any, error) {
	v := map[string]any{
		"Inviter": inv.InviterName, "Room": inv.RoomName, "RoomURL": inv.RoomURL,
		"Message": strings.TrimSpace(inv.Message), "PIN": GroupPIN(inv.PIN), "Scheduled": !inv.Start.IsZero(),
	}
	var dial []dialView
	for _, d := range inv.DialIn {
		dv := dialView{Display: d.Display}
		if strings.HasPrefix(strings.ToLower(d.TelURI), "tel:") {
			dv.Tel = htmltemplate.URL(d.TelURI)
		}
		dial = append(dial, dv)
	}
	v["DialIn"] = dial
	if inv.Start.IsZero() {
		return v, nil
	}
	var err error
	if v["Date"], err = f.longDate(inv.Start); err != nil {
		return nil, err
	}
	if v["Time"], err = f.clock(inv.Start); err != nil {
		return nil, err
	}
	v["Zone"] = f.tz.String()
	return v, nil
}

// Invitation renders inv for the recipient to, in their language and time
// zone, with an .ics event attached when inv has a start.
func (r *Renderer) Invitation(to, lang, tz string, inv Invitation) (*core.Message, error) {
	m, err := r.message(to, lang, tz, inv)
	if err != nil || inv.Start.IsZero() {
		return m, err
	}
	ics, err := r.invitationICS(lang, tz, inv)
	if err != nil {
		return nil, err
	}
	m.Attachments = append(m.Attachments, ics)
	return m, nil
}
