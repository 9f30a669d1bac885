package mail

import (
	"time"

	"github.com/meetline/meetline/core"
)

// RecordingReady tells a room's owner that a recording can be downloaded.
type RecordingReady struct {
	RoomName  string
	URL       string    // {RECORDING_DOWNLOAD_BASE_URL}/{id}
	CreatedAt time.Time // when recording started
	ExpiresAt time.Time // when it will be deleted; zero when it is kept
}

func (RecordingReady) kind() string      { return KindRecordingReady }
func (RecordingReady) subjectID() string { return "recording_ready.subject" }

// values shows the date as %Y-%m-%d and the time as %H:%M in the owner's
// zone, as La Suite Meet does: unambiguous in every language.
func (rec RecordingReady) values(f formatter) (map[string]any, error) {
	created := rec.CreatedAt.In(f.tz)
	v := map[string]any{
		"Room": rec.RoomName, "URL": rec.URL,
		"Date": created.Format("2006-01-02"), "Time": created.Format("15:04"), "Expires": "",
	}
	if !rec.ExpiresAt.IsZero() {
		expires, err := f.longDate(rec.ExpiresAt)
		if err != nil {
			return nil, err
		}
		v["Expires"] = expires
	}
	return v, nil
}

// RecordingReady renders rec for the owner to, in their language and time zone.
func (r *Renderer) RecordingReady(to, lang, tz string, rec RecordingReady) (*core.Message, error) {
	return r.message(to, lang, tz, rec)
}
