package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/meetline/meetline/core"
)

// icsContentType names the iTIP method too (RFC 5546 §6.2), as calendar
// clients expect on a text/calendar part.
const icsContentType = "text/calendar; charset=utf-8; method=PUBLISH"

// invitationICS returns the invitation as an iCalendar object (RFC 5545)
// holding one VEVENT. It is published, not requested (RFC 5546 §3.2.1):
// there is no organizer to reply to, so clients offer to add the event
// instead of asking to accept it. Times are in UTC, so no VTIMEZONE is
// needed; golang-ical folds lines at 75 octets (§3.1) and we ask for CRLF.
func (r *Renderer) invitationICS(lang, tz string, inv Invitation) (core.Attachment, error) {
	v, err := r.view(KindInvitation, lang, tz, inv)
	if err != nil {
		return core.Attachment{}, err
	}
	var desc bytes.Buffer
	if err := r.text[KindInvitation].ExecuteTemplate(&desc, "details", v); err != nil {
		return core.Attachment{}, fmt.Errorf("mail: ics description: %w", err)
	}
	cal := ics.NewCalendarFor(r.brand.Name)
	cal.SetProductId("-//" + r.brand.Name + "//meetline//" + strings.ToUpper(v.Lang))
	cal.SetMethod(ics.MethodPublish)
	ev := cal.AddEvent(eventUID(inv, r.brand.BaseURL))
	ev.SetDtStampTime(r.now().UTC())
	ev.SetStartAt(inv.Start.UTC())
	ev.SetProperty(ics.ComponentPropertyDuration, icsDuration(inv.Duration))
	ev.SetSummary(inv.RoomName)
	ev.SetDescription(strings.TrimSpace(desc.String()))
	ev.SetLocation(inv.RoomURL)
	ev.SetURL(inv.RoomURL)
	var b bytes.Buffer
	if err := cal.SerializeTo(&b, ics.WithNewLineWindows); err != nil {
		return core.Attachment{}, fmt.Errorf("mail: ics: %w", err)
	}
	return core.Attachment{Name: "invite.ics", ContentType: icsContentType, Data: b.Bytes()}, nil
}

// eventUID is the invitation's EventID, or one derived from the room and the
// start, so that every recipient, and a resent invitation, names the same
// event. The part after @ is the service's host, as RFC 5545 §3.8.4.7
// suggests.
func eventUID(inv Invitation, baseURL string) string {
	if inv.EventID != "" {
		return inv.EventID
	}
	host := "meetline"
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	sum := sha256.Sum256([]byte(inv.RoomURL + "\x00" + inv.Start.UTC().Format(time.RFC3339)))
	return hex.EncodeToString(sum[:12]) + "@" + host
}

// icsDuration writes d as an RFC 5545 §3.3.6 dur-value ("PT1H30M"),
// whole minutes, at least one; one hour when d is not positive.
func icsDuration(d time.Duration) string {
	if d <= 0 {
		d = time.Hour
	}
	d = max(d.Round(time.Minute), time.Minute)
	s := "PT"
	if h := int(d / time.Hour); h > 0 {
		s += strconv.Itoa(h) + "H"
	}
	if m := int(d % time.Hour / time.Minute); m > 0 || s == "PT" {
		s += strconv.Itoa(m) + "M"
	}
	return s
}
