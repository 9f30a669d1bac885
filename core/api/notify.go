package api

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/meetline/meetline/core"
	coremail "github.com/meetline/meetline/core/mail"
)

// recordingSaved is what both finalisers do once a recording is saved: each
// owner of the room gets "your recording is ready" in their language and
// time zone, through the outbox, and the recording moves to
// notification_succeeded. Owners without an address are skipped; with none
// at all the recording stays saved.
func (s *Server) recordingSaved(ctx context.Context, rec *core.Recording) error {
	room, err := s.Rooms.FindRoom(ctx, rec.RoomID)
	if err != nil {
		return err
	}
	accesses, err := s.Accesses.FindAccesses(ctx, rec.RoomID)
	if err != nil {
		return err
	}
	data := coremail.RecordingReady{RoomName: room.Name, CreatedAt: rec.CreatedAt,
		URL: strings.TrimRight(s.Mailer.RoomURL, "/") + "/recordings/" + rec.ID}
	if at, ok := rec.ExpiresAt(s.Recording.ExpirationDays); ok {
		data.ExpiresAt = at
	}
	var msgs []*core.Message
	var owner string // the first owner with an address: the summary's recipient
	for _, a := range accesses {
		if a.Role != core.RoleOwner {
			continue
		}
		u, err := s.Users.FindUserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		if u.Email == "" {
			continue
		}
		m, err := s.Mailer.Renderer.RecordingReady(u.Email, u.Language, u.TimeZone, data)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
		if owner == "" {
			owner = u.Email
		}
	}
	if rec.Mode == core.ModeTranscript && s.Summary.URL != "" && owner != "" {
		job, err := s.summaryJob(ctx, rec, room, owner)
		if err != nil {
			return err
		}
		msgs = append(msgs, job)
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := s.Mailer.Enqueue(ctx, msgs...); err != nil {
		return err
	}
	s.Mailer.Notify()
	_, err = s.Recordings.SetStatus(ctx, rec.ID, core.RecordingNotificationSucceeded, core.RecordingFrom[core.RecordingNotificationSucceeded]...)
	return err
}

// queueContact queues a new user's addition to the marketing list through
// the outbox. A failure is logged without the address and never blocks the
// sign-in that caused it.
func (s *Server) queueContact(ctx context.Context, u *core.User) {
	if u.Email == "" {
		return
	}
	c := core.Contact{Email: u.Email, FirstName: u.ShortName, Language: u.Language,
		LastName: strings.TrimSpace(strings.TrimPrefix(u.FullName, u.ShortName))}
	m, err := coremail.ContactMessage(c)
	if err == nil {
		err = s.Mailer.Enqueue(ctx, m)
	}
	if err != nil {
		s.Logger.Warn("marketing contact not queued", "user", u.ID, "err", err)
		return
	}
	s.Mailer.Notify()
}

// SummarySettings say where transcripts go to be summarised.
type SummarySettings struct {
	// URL is the summary service's endpoint; empty turns summaries off.
	URL string
	// CallbackURL is where the service reports back (the core's /webhooks/summary).
	CallbackURL string
	// CallbackToken authenticates the service's callback.
	CallbackToken string
	// DownloadTTL is how long the service may fetch the recording.
	DownloadTTL time.Duration
}

// summaryJob is the outbox job that hands a saved transcript to the summary
// service, queued with the owners' notices.
func (s *Server) summaryJob(ctx context.Context, rec *core.Recording, room *core.Room, owner string) (*core.Message, error) {
	u, err := s.Bucket.PresignedGet(ctx, rec.Key(), s.Summary.DownloadTTL)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(core.SummaryRequest{RecordingID: rec.ID, RoomName: room.Name, Language: rec.Options.Language,
		DownloadURL: u, CallbackURL: s.Summary.CallbackURL, OwnerEmail: owner})
	if err != nil {
		return nil, err
	}
	return &core.Message{Kind: core.KindSummaryRequest, To: owner, Subject: "transcript summary", Text: string(b)}, nil
}
