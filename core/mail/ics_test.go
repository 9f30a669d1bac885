package mail_test

import (
	"bytes"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"
)

// TestInvitationICS checks the event against RFC 5545: CRLF line ends and
// lines of at most 75 octets (§3.1), UTC times, a duration, and the same
// UID for every recipient of one invitation.
func TestInvitationICS(t *testing.T) {
	r := newRenderer(t)
	inv := scheduled()
	inv.RoomName = "Réunion hebdomadaire, équipe « produit » ; semaine 11 — " + strings.Repeat("é", 40)
	a, err := r.Invitation("bob@example.com", "fr-fr", "Europe/Paris", inv)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Attachments) != 1 || a.Attachments[0].ContentType != "text/calendar; charset=utf-8; method=PUBLISH" {
		t.Fatalf("attachments %+v", a.Attachments)
	}
	data := a.Attachments[0].Data
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\r\n")), []byte("\r\n")) {
		if len(line) > 75 || bytes.ContainsAny(line, "\r\n") {
			t.Errorf("line %d: %d octets or a bare line break: %q", i+1, len(line), line)
		}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events", len(events))
	}
	ev := events[0]
	prop := func(p ics.ComponentProperty) string {
		if v := ev.GetProperty(p); v != nil {
			return v.Value
		}
		return ""
	}
	if got := prop(ics.ComponentPropertyDtStart); got != "20260310T133000Z" {
		t.Errorf("DTSTART %s", got)
	}
	if got := prop(ics.ComponentPropertyDuration); got != "PT1H30M" {
		t.Errorf("DURATION %s", got)
	}
	if got := prop(ics.ComponentPropertySummary); got != inv.RoomName {
		t.Errorf("SUMMARY %q", got)
	}
	if got := prop(ics.ComponentPropertyUrl); got != inv.RoomURL {
		t.Errorf("URL %q", got)
	}
	desc := prop(ics.ComponentPropertyDescription)
	for _, want := range []string{inv.RoomURL, "+33 1 23 45 67 89", "123 456 7890 #"} {
		if !strings.Contains(desc, want) {
			t.Errorf("DESCRIPTION lacks %q: %q", want, desc)
		}
	}
	b, err := r.Invitation("carol@example.com", "en-us", "America/New_York", inv)
	if err != nil {
		t.Fatal(err)
	}
	uid := func(data []byte) string {
		cal, _ := ics.ParseCalendar(bytes.NewReader(data))
		return cal.Events()[0].Id()
	}
	if ua, ub := uid(data), uid(b.Attachments[0].Data); ua != ub || !strings.HasSuffix(ua, "@meet.example.com") {
		t.Errorf("UIDs %q and %q", ua, ub)
	}
}

func TestInvitationNowHasNoICS(t *testing.T) {
	m, err := newRenderer(t).Invitation("bob@example.com", "en-us", "UTC", invitation())
	if err != nil || len(m.Attachments) != 0 {
		t.Fatalf("%v, %d attachments", err, len(m.Attachments))
	}
}

func TestICSDefaultDuration(t *testing.T) {
	inv := scheduled()
	inv.Duration = 0
	inv.EventID = "fixed@example.com"
	m, err := newRenderer(t).Invitation("bob@example.com", "en-us", "UTC", inv)
	if err != nil {
		t.Fatal(err)
	}
	s := string(m.Attachments[0].Data)
	if !strings.Contains(s, "\r\nDURATION:PT1H\r\n") || !strings.Contains(s, "\r\nUID:fixed@example.com\r\n") {
		t.Fatal(s)
	}
}
