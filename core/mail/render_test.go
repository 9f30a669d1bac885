package mail_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/mail"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// clock is the fixed time of the golden tests: Tuesday 3 March 2026.
var clock = time.Date(2026, 3, 3, 13, 30, 0, 0, time.UTC)

// zones gives each language of the golden tests the time zone of one of its readers.
var zones = map[string]string{
	"en-us": "America/New_York",
	"fr-fr": "Europe/Paris",
	"nl-nl": "Europe/Amsterdam",
	"de-de": "Europe/Berlin",
}

var brand = mail.Brand{Name: "Meetline", LogoURL: "https://meet.example.com/logo.png", BaseURL: "https://meet.example.com"}

func newRenderer(t testing.TB) *mail.Renderer {
	t.Helper()
	r, err := mail.NewRenderer(brand, mail.WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func invitation() mail.Invitation {
	return mail.Invitation{
		InviterName: "Alice Martin",
		RoomName:    "Weekly sync",
		RoomURL:     "https://meet.example.com/weekly-sync",
		DialIn: []mail.DialIn{
			{Display: "+33 1 23 45 67 89", TelURI: "tel:+33123456789,,1234567890%23"},
			{Display: "+31 20 123 4567", TelURI: "tel:+31201234567,,1234567890%23"},
		},
		PIN:     "1234567890",
		Message: "Bring the slides.\nSee you there!",
	}
}

func scheduled() mail.Invitation {
	inv := invitation()
	inv.Start = time.Date(2026, 3, 10, 13, 30, 0, 0, time.UTC)
	inv.Duration = 90 * time.Minute
	return inv
}

func recordingReady() mail.RecordingReady {
	return mail.RecordingReady{
		RoomName:  "Weekly sync",
		URL:       "https://meet.example.com/recordings/4f0c2a7e-1b7d-4b8e-9d0a-3c5e2f1a6b9d",
		CreatedAt: time.Date(2026, 3, 2, 22, 45, 0, 0, time.UTC), // the next day in Europe
		ExpiresAt: time.Date(2026, 4, 1, 22, 45, 0, 0, time.UTC),
	}
}

// TestGolden renders every kind of message in every language and compares
// subject, text, HTML (and .ics) with testdata/golden; -update rewrites them.
func TestGolden(t *testing.T) {
	r := newRenderer(t)
	cases := map[string]func(lang, tz string) (*core.Message, error){
		"invitation": func(lang, tz string) (*core.Message, error) {
			return r.Invitation("bob@example.com", lang, tz, invitation())
		},
		"invitation_scheduled": func(lang, tz string) (*core.Message, error) {
			return r.Invitation("bob@example.com", lang, tz, scheduled())
		},
		"recording_ready": func(lang, tz string) (*core.Message, error) {
			return r.RecordingReady("bob@example.com", lang, tz, recordingReady())
		},
	}
	for name, render := range cases {
		for _, lang := range core.Languages {
			t.Run(name+"/"+lang, func(t *testing.T) {
				m, err := render(lang, zones[lang])
				if err != nil {
					t.Fatal(err)
				}
				base := filepath.Join("testdata", "golden", name+"."+lang)
				golden(t, base+".subject", m.Subject+"\n")
				golden(t, base+".txt", m.Text)
				golden(t, base+".html", m.HTML)
				for _, a := range m.Attachments {
					golden(t, base+filepath.Ext(a.Name), string(a.Data))
				}
			})
		}
	}
}

// TestGoldenPhoenix: Phoenix keeps no daylight saving time, so its offset
// from UTC is the same all year: dates and times must follow the zone's
// rules, not a fixed offset guessed from another zone.
func TestGoldenPhoenix(t *testing.T) {
	r := newRenderer(t)
	for name, m := range map[string]func() (*core.Message, error){
		"invitation_scheduled": func() (*core.Message, error) {
			return r.Invitation("bob@example.com", "en-us", "America/Phoenix", scheduled())
		},
		"recording_ready": func() (*core.Message, error) {
			return r.RecordingReady("bob@example.com", "en-us", "America/Phoenix", recordingReady())
		},
	} {
		msg, err := m()
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Join("testdata", "golden", name+".en-us.phoenix")
		golden(t, base+".txt", msg.Text)
		golden(t, base+".html", msg.HTML)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./core/mail -run TestGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (-update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestRecordingSubjects pins the subjects La Suite Meet's users know.
func TestRecordingSubjects(t *testing.T) {
	r := newRenderer(t)
	want := map[string]string{
		"en-us": "Your recording is ready",
		"fr-fr": "Votre enregistrement est prêt",
		"nl-nl": "Je opname is klaar",
		"de-de": "Ihre Aufnahme ist fertig",
	}
	for lang, subject := range want {
		m, err := r.RecordingReady("bob@example.com", lang, "UTC", recordingReady())
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != subject {
			t.Errorf("%s: subject %q, want %q", lang, m.Subject, subject)
		}
	}
}

// TestRecordingDateInOwnerZone checks %Y-%m-%d and %H:%M in the owner's zone:
// 22:45 UTC on 2 March is 23:45 on 2 March in Paris, 17:45 in New York.
func TestRecordingDateInOwnerZone(t *testing.T) {
	r := newRenderer(t)
	for tz, want := range map[string]string{
		"Europe/Paris": "2026-03-02 à 23:45", "Asia/Tokyo": "2026-03-03 à 07:45", "": "2026-03-02 à 22:45",
		"Not/AZone": "2026-03-02 à 22:45",
	} {
		m, err := r.RecordingReady("bob@example.com", "fr-fr", tz, recordingReady())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, want) {
			t.Errorf("tz %q: text lacks %q:\n%s", tz, want, m.Text)
		}
	}
}

// TestEscaping checks that what users type is escaped in HTML and left as
// typed in the text part and the subject.
func TestEscaping(t *testing.T) {
	r := newRenderer(t)
	inv := invitation()
	inv.RoomName = `<script>alert("x")</script> & co`
	inv.InviterName = `Eve <eve@evil.example>`
	inv.Message = `<img src=x onerror=alert(1)>`
	m, err := r.Invitation("bob@example.com", "en-us", "UTC", inv)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<img src=x", "<eve@"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML contains %q unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co", "&lt;img src=x onerror=alert(1)&gt;"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if !strings.Contains(m.Text, `“<script>alert("x")</script> & co”`) || !strings.Contains(m.Text, inv.Message) {
		t.Errorf("text does not show the names as typed:\n%s", m.Text)
	}
	if !strings.Contains(m.Subject, "Eve <eve@evil.example>") {
		t.Errorf("subject %q", m.Subject)
	}
}

// TestUnknownLanguage falls back to English rather than failing the mail.
func TestUnknownLanguage(t *testing.T) {
	r := newRenderer(t)
	m, err := r.RecordingReady("bob@example.com", "es-es", "UTC", recordingReady())
	if err != nil || m.Subject != "Your recording is ready" {
		t.Fatalf("subject %q, %v", m.Subject, err)
	}
}

func TestRenderWrongData(t *testing.T) {
	r := newRenderer(t)
	if _, _, _, err := r.Render(mail.KindInvitation, "en-us", "UTC", recordingReady()); err == nil {
		t.Fatal("rendered a recording as an invitation")
	}
}

// TestSubjectOneLine keeps user-typed line breaks out of the Subject header.
func TestSubjectOneLine(t *testing.T) {
	r := newRenderer(t)
	inv := invitation()
	inv.InviterName = "Alice\r\nBcc: everyone@example.com"
	m, err := r.Invitation("bob@example.com", "en-us", "UTC", inv)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Fatalf("subject %q", m.Subject)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestGroupPIN(t *testing.T) {
	for pin, want := range map[string]string{
		"1234567890": "123 456 7890", "123456789": "123 456 789", "12345678": "123 456 78",
		"1234567": "123 4567", "123456": "123 456", "12345": "123 45", "1234": "1234", "": "",
		"1234567890123456": "123 456 789 012 3456",
	} {
		if got := mail.GroupPIN(pin); got != want {
			t.Errorf("GroupPIN(%q) = %q, want %q", pin, got, want)
		}
	}
}
