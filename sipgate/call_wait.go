package sipgate

import (
	"context"
	"errors"
	"sync"

	"github.com/meetline/meetline/sipgate/media"
)

// errMaxWait ends a wait for the host or for the lobby's decision after CallConfig.MaxWait.
var errMaxWait = errors.New("sipgate: maximum wait reached")

// admit waits, as the core's JoinRoom stream says, until the caller may go into room: at once, after the
// host joins, or after an administrator admits them from the lobby. Meanwhile the caller hears why they
// wait, then music on hold. It returns the admission, or the call's outcome when the caller may not go in
// (denied, meeting ended, waited too long, core failure, hang-up), after the matching prompt.
func (c *call) admit(room Room) (Admission, Outcome) {
	s, ctx := c.srv, c.ctx
	wctx, cancel := context.WithTimeoutCause(ctx, s.cc.MaxWait, errMaxWait)
	defer cancel()
	var hold holdPlayer
	defer hold.stop()
	var last Admission
	err := s.core.JoinRoom(wctx, JoinRequest{RoomID: room.ID, Caller: c.shownCaller(), CallID: c.callID}, func(a Admission) {
		c.noteAdmission(a.Status)
		if a.Status != last.Status {
			c.log.Info("admission", "status", a.Status.String())
		}
		switch a.Status {
		case WaitingForHost:
			hold.start(wctx, c, media.WaitingForHost, last.Status == a.Status)
		case WaitingInLobby:
			hold.start(wctx, c, media.WaitingForAdmission, last.Status == a.Status)
		default:
			hold.stop()
		}
		last = a
	})
	hold.stop()
	switch {
	case err == nil && last.Status == Admitted:
		return last, 0
	case err == nil && last.Status == Denied:
		c.say(ctx, media.Denied)
		return Admission{}, OutcomeDenied
	case err == nil:
		c.say(ctx, media.MeetingEnded)
		return Admission{}, OutcomeRoomEnded
	case ctx.Err() != nil:
		return Admission{}, c.endedOutcome()
	case errors.Is(context.Cause(wctx), errMaxWait):
		c.say(ctx, media.WaitTimeout)
		return Admission{}, OutcomeWaitTimeout
	}
	c.log.Warn("join room failed", "error", err)
	c.say(ctx, media.Unavailable)
	return Admission{}, OutcomeCoreError
}

// holdPlayer plays a waiting prompt then music on hold, in the background, until stopped or replaced.
type holdPlayer struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// start plays name then music on hold, replacing what plays; unless same, in which case what plays goes on
// (a refresh of the same status must not restart the prompt).
func (h *holdPlayer) start(ctx context.Context, c *call, name media.Name, same bool) {
	if same && h.cancel != nil {
		return
	}
	h.stop()
	ctx, h.cancel = context.WithCancel(ctx)
	h.done.Go(func() {
		if c.play(ctx, name) != nil {
			return
		}
		if music, ok := c.srv.prompts.Get(c.lang, media.MusicOnHold); ok {
			media.Loop(ctx, c.media, music, c.first.Codec)
		}
	})
}

// stop ends what plays and waits for it, so that nothing else writes to the caller's stream meanwhile.
func (h *holdPlayer) stop() {
	if h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
	h.done.Wait()
}
