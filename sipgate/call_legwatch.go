package sipgate

import (
	"context"
	"time"
)

// watchLeg calls dead, once, when LiveKit's leg of a bridged call has sent no RTP for NoRTPTimeout while
// neither side holds the call, and returns; it returns at once when ctx ends. (A caller on hold is left
// alone: its hold has its own timeout, and LiveKit's SIP stand-in, which echoes the caller, falls silent
// with it.) LiveKit's SIP service sends the room's mixed audio,
// silence included, every 20 ms, so a silent leg is a LiveKit SIP instance that died (a crash, a lost node)
// and will send no BYE: without this the caller stays connected to nothing, as make chaos found when it
// killed LiveKit's SIP stand-in under bridged calls. The relay keeps the leg's LastReceived fresh.
func (c *call) watchLeg(ctx context.Context, l *leg, dead func()) {
	limit := c.srv.cc.NoRTPTimeout
	t := time.NewTicker(min(limit/4, time.Second))
	defer t.Stop()
	since := time.Now() // the bridge's start, or the end of LiveKit's last hold
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if l.media.Held() || c.media.Held() {
				since = now
				continue
			}
			if now.Sub(latest(l.media.LastReceived(), since)) > limit {
				dead()
				return
			}
		}
	}
}
