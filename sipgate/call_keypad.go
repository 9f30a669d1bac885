package sipgate

import (
	"context"
	"sync"

	"github.com/meetline/meetline/sipgate/media"
)

// inMeeting serves a bridged caller until ctx ends or a host removes them: it answers their keypad commands
// and tells them what hosts do to them (actions, from the core's WatchCall), and first, when the core said
// so, that nobody else is in the meeting. The relay shows the caller's telephone-events to c.recv
// (media.WithEvents) and SIP INFO reaches it too; a recognised command goes to the core. Everything is
// spoken to the caller alone, the meeting's audio paused for its length (PauseRelay/ResumeRelay keep the
// caller's RTP stream continuous), one thing at a time, in order: a new one cuts the last one short, so
// that "*6 *9" in a row waits for nothing. A removal is said in full, the meeting's audio left paused,
// and makes inMeeting return true: the bridge ends, and the call with OutcomeRemoved.
func (c *call) inMeeting(ctx context.Context, room Room, first bool, actions <-chan HostAction) (removed bool) {
	var k keypad
	var speaking sync.WaitGroup
	hush := func() {}
	defer func() { hush(); speaking.Wait() }()
	speak := func(answer []media.Name) {
		hush()
		speaking.Wait()
		sctx, cancel := context.WithCancel(ctx)
		hush = cancel
		speaking.Go(func() { c.interject(sctx, answer...) })
	}
	if first {
		speak([]media.Name{media.FirstParticipant})
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case a := <-actions:
			if a.Kind == HostRemoved {
				hush()
				speaking.Wait()
				c.log.Info("removed by a host")
				c.media.PauseRelay() // for good: the bridge ends after the goodbye
				c.say(ctx, media.Removed)
				return true
			}
			speak(hostActionPrompt(a))
		case p, ok := <-c.recv.Presses():
			if !ok {
				return false
			}
			cmd := k.press(p)
			if cmd == KeypadNone {
				continue
			}
			hush()
			speaking.Wait()
			speak(c.keypadCommand(ctx, room, cmd))
		}
	}
}

// hostActionPrompt is what a caller hears of a host's mute or unmute: whether they may unmute themselves
// too.
func hostActionPrompt(a HostAction) []media.Name {
	switch {
	case a.Kind == HostUnmuted:
		return []media.Name{media.HostUnmuted}
	case a.SelfUnmute:
		return []media.Name{media.HostMuted}
	}
	return []media.Name{media.UnmuteRefused}
}

// watchHost follows the core's WatchCall stream for the call until ctx ends, and hands its actions over
// on the returned channel. It starts before the leg to LiveKit, so that the stream is open when the
// caller can first be seen, and acted on, in the meeting.
func (c *call) watchHost(ctx context.Context) <-chan HostAction {
	actions := make(chan HostAction, 4)
	go func() {
		err := c.srv.core.WatchCall(ctx, callIDSpec.value(c.callID), func(a HostAction) {
			select {
			case actions <- a:
			case <-ctx.Done():
			}
		})
		if ctx.Err() == nil {
			c.log.Warn("hosts' actions not followed: the caller will not hear of them", "error", err)
		}
	}()
	return actions
}

// keypadCommand carries out one command and returns the prompts that tell the caller what became of it.
func (c *call) keypadCommand(ctx context.Context, room Room, cmd KeypadCommand) []media.Name {
	st, err := c.srv.core.PhoneCommand(ctx, callIDSpec.value(c.callID), room.ID, cmd)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		c.log.Warn("keypad command failed", "command", keypadLabel(cmd), "error", err)
		return []media.Name{media.Unavailable}
	}
	c.srv.metrics.keypad.WithLabelValues(keypadLabel(cmd)).Inc()
	switch {
	case cmd == KeypadStatus:
		return []media.Name{media.ParticipantCount(st.Participants), media.KeypadMenu}
	case cmd == KeypadToggleHand && st.HandRaised:
		return []media.Name{media.HandRaised}
	case cmd == KeypadToggleHand:
		return []media.Name{media.HandLowered}
	case st.UnmuteRefused:
		return []media.Name{media.UnmuteRefused}
	case st.Muted:
		return []media.Name{media.Muted}
	}
	return []media.Name{media.Unmuted}
}

// interject plays prompts to the bridged caller in place of the meeting's audio.
func (c *call) interject(ctx context.Context, names ...media.Name) {
	c.media.PauseRelay()
	defer c.media.ResumeRelay()
	c.say(ctx, names...)
}

func keypadLabel(cmd KeypadCommand) string {
	switch cmd {
	case KeypadToggleMute:
		return "toggle_mute"
	case KeypadToggleHand:
		return "toggle_hand"
	}
	return "status"
}
