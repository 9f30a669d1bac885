package mail

import (
	"strconv"
	"strings"
	"time"
)

// formatter writes dates and times in one language and time zone. Month and
// day names and the order of the parts come from the catalog (format.*,
// month.*, weekday.*): Go's time package knows English only.
type formatter struct {
	loc localizer
	tz  *time.Location
}

// location returns the IANA zone name, or UTC when it is empty or unknown: a
// user's stale time zone must not stop their mail.
func location(name string) *time.Location {
	if l, err := time.LoadLocation(name); err == nil && name != "" {
		return l
	}
	return time.UTC
}

// longDate is "Tuesday, March 3, 2026" in English, "mardi 3 mars 2026" in French.
func (f formatter) longDate(t time.Time) (string, error) {
	t = t.In(f.tz)
	month, err := f.loc.t("month."+strconv.Itoa(int(t.Month())), nil)
	if err != nil {
		return "", err
	}
	weekday, err := f.loc.t("weekday."+strconv.Itoa(int(t.Weekday())), nil)
	if err != nil {
		return "", err
	}
	return f.loc.t("format.date_long", map[string]any{"Weekday": weekday, "Day": t.Day(), "Month": month, "Year": t.Year()})
}

// clock is "2:30 PM" in English, "14:30" in French; the catalog's
// format.time chooses between Hour and Hour12.
func (f formatter) clock(t time.Time) (string, error) {
	t = t.In(f.tz)
	hour12 := t.Hour() % 12
	if hour12 == 0 {
		hour12 = 12
	}
	return f.loc.t("format.time", map[string]any{"Hour": t.Hour(), "Hour12": hour12, "Minute": t.Format("04")})
}

// GroupPIN splits a PIN into groups of three digits, the last one four
// rather than leaving a lone digit ("123 456 7890"), which is how numbers
// are read aloud and typed back from paper.
func GroupPIN(pin string) string {
	var groups []string
	for len(pin) > 4 {
		groups, pin = append(groups, pin[:3]), pin[3:]
	}
	return strings.Join(append(groups, pin), " ")
}
