package api

import (
	"context"
	"strings"

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
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := s.Mailer.Enqueue(ctx, msgs...); err != nil {
		return err
	}
	s.Mailer.Notify()
	_, err = s.Recordings.SetStatus(ctx, rec.ID, core.RecordingNotificationSucceeded, core.RecordingSaved)
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
