package api

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/meetline/meetline/core"
	coremail "github.com/meetline/meetline/core/mail"
)

// recordingSaved is what both finalisers do once a recording is saved: the
// person who started it and each owner of the room get "your recording is
// ready" (once each) in their language and time zone, through the outbox,
// and the recording moves to notification_succeeded. Those without an
// address are skipped; with nobody at all the recording stays saved.
func (s *Server) recordingSaved(ctx context.Context, rec *core.Recording) error {
	room, err := s.Rooms.FindRoom(ctx, rec.RoomID)
	if err != nil {
		return err
	}
	users, err := s.recordingAudience(ctx, rec)
	if err != nil {
		return err
	}
	data := coremail.RecordingReady{RoomName: room.Name, CreatedAt: rec.CreatedAt,
		URL: strings.TrimRight(s.Mailer.RoomURL, "/") + "/recordings/" + rec.ID}
	if at, ok := rec.ExpiresAt(s.Recording.ExpirationDays); ok {
		data.ExpiresAt = at
	}
	var msgs []*core.Message
	var owner string // the first with an address, the starter first: the summary's recipient
	for _, u := range users {
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
	if rec.Summarised() && s.Summary.URL != "" && owner != "" {
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

// recordingAudience is who hears that rec is ready: its starter first, then
// the room's owners, each once. A starter since deleted is simply absent.
func (s *Server) recordingAudience(ctx context.Context, rec *core.Recording) ([]*core.User, error) {
	accesses, err := s.Accesses.FindAccesses(ctx, rec.RoomID)
	if err != nil {
		return nil, err
	}
	ids := []string{}
	if rec.StartedBy != "" {
		ids = append(ids, rec.StartedBy)
	}
	for _, a := range accesses {
		if a.Role == core.RoleOwner && a.UserID != rec.StartedBy {
			ids = append(ids, a.UserID)
		}
	}
	users := make([]*core.User, 0, len(ids))
	for _, id := range ids {
		u, err := s.Users.FindUserByID(ctx, id)
		if core.Code(err) == core.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, nil
}

// queueContact queues the addition of a user who just consented to the
// marketing list through the outbox. A failure is logged without the address
// and never fails the UpdateMe that caused it.
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
