package sipgate

import (
	"context"
	"sync"

	"github.com/meetline/meetline/sipgate/media"
)

// keypadCommands serves a bridged caller's keypad commands until ctx ends: the relay shows the caller's
// telephone-events to c.recv (media.WithEvents) and SIP INFO reaches it too; a recognised command goes to
// the core, and the answer is spoken to the caller alone, the meeting's audio paused for its length
// (PauseRelay/ResumeRelay keep the caller's RTP stream continuous). Commands are carried out one at a time,
// in order; a new one cuts the answer to the last one short, so that "*6 *9" in a row waits for nothing.
func (c *call) keypadCommands(ctx context.Context, room Room) {
	var k keypad
	var speaking sync.WaitGroup
	hush := func() {}
	defer func() { hush(); speaking.Wait() }()
	for {
		select {
		case <-ctx.Done():
			return
		case p, ok := <-c.recv.Presses():
			if !ok {
				return
			}
			cmd := k.press(p)
			if cmd == KeypadNone {
				continue
			}
			hush()
			speaking.Wait()
			answer := c.keypadCommand(ctx, room, cmd)
			sctx, cancel := context.WithCancel(ctx)
			hush = cancel
			speaking.Go(func() { c.interject(sctx, answer...) })
		}
	}
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
