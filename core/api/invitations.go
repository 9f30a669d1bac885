package api

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meetline/meetline/core"
	coremail "github.com/meetline/meetline/core/mail"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// Mailer queues messages for the outbox worker and wakes it.
type Mailer struct {
	Renderer *coremail.Renderer
	// Enqueue writes messages to the outbox in one transaction.
	Enqueue func(ctx context.Context, msgs ...*core.Message) error
	// Notify wakes the local worker (others pick the mail up at their next poll).
	Notify func()
	// RoomURL is where a room's page is: RoomURL + "/" + slug.
	RoomURL string
	// PerInviter bounds invitations sent by one person.
	PerInviter core.AttemptLimit
	// Recipients bound how many addresses invitations go to, so that the
	// core is no spam relay.
	Recipients RecipientLimits
}

// RecipientLimits bound invitation recipients: per inviter an hour and a
// day (a new account gets its own, hence the global cap), and for everyone
// together an hour. Domains, when set, are the only domains invitations may
// go to, besides people who have an account.
type RecipientLimits struct {
	PerHour, PerDay, GlobalPerHour int
	Domains                        []string
}

const (
	maxInvitees          = 50
	maxInvitationMessage = 1000
)

// invitationService implements meetline.v1.InvitationService.
type invitationService struct {
	*Server
}

// Invite renders one message per distinct recipient, in their language and
// time zone when they are a known user (in the inviter's otherwise), and
// queues them all at once.
func (s *invitationService) Invite(ctx context.Context, req *meetlinev1.InviteRequest) (*meetlinev1.InviteResponse, error) {
	emails, err := invitees(req.Emails)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(req.Message); n > maxInvitationMessage {
		return nil, core.Invalid("message", "must be at most %d characters, not %d", maxInvitationMessage, n)
	}
	var grant core.Role
	if req.GrantRole != meetlinev1.Role_ROLE_UNSPECIFIED {
		if grant, err = roleFromProto("grant_role", req.GrantRole); err != nil {
			return nil, err
		}
	}
	mine, err := s.requireRole(ctx, req.RoomId, core.RoleAdministrator)
	if err != nil {
		return nil, err
	}
	if grant != core.RoleNone && !core.CanGrant(mine, grant) {
		return nil, core.Errorf(core.EFORBIDDEN, "only owners may grant the owner role")
	}
	inviter := core.CallerFrom(ctx).User
	if err := s.Limiter.Allow(ctx, "invite:"+inviter.ID, s.Mailer.PerInviter); err != nil {
		return nil, err
	}
	room, err := s.Rooms.FindRoom(ctx, req.RoomId)
	if err != nil {
		return nil, err
	}
	inv, err := s.invitation(ctx, room, inviter, req)
	if err != nil {
		return nil, err
	}
	known, err := s.Users.FindUsersByEmail(ctx, emails)
	if err != nil {
		return nil, err
	}
	if err := s.Mailer.Recipients.check(emails, known); err != nil {
		return nil, err
	}
	if err := s.countRecipients(ctx, inviter.ID, len(emails)); err != nil {
		return nil, err
	}
	if err := s.grantInvitees(ctx, room.ID, emails, grant); err != nil {
		return nil, err
	}
	msgs := make([]*core.Message, 0, len(emails))
	for _, to := range emails {
		lang, tz := inviter.Language, inviter.TimeZone // a stranger reads the inviter's language
		if u := known[strings.ToLower(to)]; u != nil {
			lang, tz = u.Language, u.TimeZone
		}
		m, err := s.Mailer.Renderer.Invitation(to, lang, tz, inv)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	if err := s.Mailer.Enqueue(ctx, msgs...); err != nil {
		return nil, err
	}
	s.Mailer.Notify()
	return &meetlinev1.InviteResponse{Queued: int32(len(msgs))}, nil
}

// check refuses, with Domains set, an address outside them that is no
// user's, naming it by its index.
func (l RecipientLimits) check(emails []string, known map[string]*core.User) error {
	if len(l.Domains) == 0 {
		return nil
	}
	for i, e := range emails {
		_, domain, _ := strings.Cut(strings.ToLower(e), "@")
		if slices.Contains(l.Domains, domain) || known[strings.ToLower(e)] != nil {
			continue
		}
		return core.Errorf(core.EFORBIDDEN, "emails[%d]: invitations go only to addresses at %s, or to people with an account here",
			i, strings.Join(l.Domains, ", "))
	}
	return nil
}

// countRecipients counts n recipients against the inviter's hourly and
// daily budgets and the global one, all or none.
func (s *invitationService) countRecipients(ctx context.Context, inviter string, n int) error {
	l := s.Mailer.Recipients
	return s.Limiter.AllowN(ctx, n,
		core.Budget{Key: "invite:to:h:" + inviter, Limit: core.AttemptLimit{Max: l.PerHour, Window: time.Hour},
			Message: fmt.Sprintf("you may invite at most %d people an hour; try again later", l.PerHour)},
		core.Budget{Key: "invite:to:d:" + inviter, Limit: core.AttemptLimit{Max: l.PerDay, Window: 24 * time.Hour},
			Message: fmt.Sprintf("you may invite at most %d people a day; try again tomorrow", l.PerDay)},
		core.Budget{Key: "invite:to:all", Limit: core.AttemptLimit{Max: l.GlobalPerHour, Window: time.Hour},
			Message: "too many invitations are being sent right now; try again later"})
}

// grantInvitees gives each invitee role in room (none: nothing to do);
// those who already have a role, or one waiting, keep it.
func (s *invitationService) grantInvitees(ctx context.Context, room string, emails []string, role core.Role) error {
	if role == core.RoleNone {
		return nil
	}
	for _, e := range emails {
		if _, _, err := s.grantByEmail(ctx, room, e, role); err != nil && core.Code(err) != core.ECONFLICT {
			return err
		}
	}
	return nil
}

// invitees checks each address, naming the bad one by its index, and drops
// duplicates compared case-insensitively, keeping the first spelling.
func invitees(in []string) ([]string, error) {
	if len(in) == 0 || len(in) > maxInvitees {
		return nil, core.Invalid("emails", "must hold 1 to %d addresses, not %d", maxInvitees, len(in))
	}
	seen := make(map[string]bool, len(in))
	var out []string
	for i, e := range in {
		a, err := mail.ParseAddress(strings.TrimSpace(e))
		if err != nil || a.Name != "" || a.Address != strings.TrimSpace(e) {
			return nil, core.Invalid(fmt.Sprintf("emails[%d]", i), "is not an e-mail address")
		}
		if key := strings.ToLower(a.Address); !seen[key] {
			seen[key] = true
			out = append(out, a.Address)
		}
	}
	return out, nil
}

// invitation is what every recipient's message says: the room's link and,
// when telephony is on and the room has a PIN, how to dial in.
func (s *invitationService) invitation(ctx context.Context, room *core.Room, inviter *core.User, req *meetlinev1.InviteRequest) (coremail.Invitation, error) {
	inv := coremail.Invitation{InviterName: inviter.FullName, RoomName: room.Name,
		RoomURL: strings.TrimRight(s.Mailer.RoomURL, "/") + "/" + room.Slug, Message: req.Message}
	if inv.InviterName == "" {
		inv.InviterName = inviter.ShortName
	}
	if req.StartTime != nil {
		inv.Start = req.StartTime.AsTime()
		if inv.Start.Before(time.Now().Add(-time.Hour)) {
			return inv, core.Invalid("start_time", "is in the past")
		}
	}
	dial, err := s.dialIn(ctx, room)
	if err != nil {
		return inv, err
	}
	inv.PIN = dial.Pin
	for _, n := range dial.Numbers {
		inv.DialIn = append(inv.DialIn, coremail.DialIn{Display: n.Display, TelURI: n.TelUri})
	}
	return inv, nil
}
