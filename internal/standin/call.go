package standin

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
)

// Call is a snapshot of one call, for tests (Server.Calls).
type Call struct {
	ID         string // LiveKit's call id (SCL_…), also attribute sip.callID
	SIPCallID  string // the INVITE's Call-ID
	Room       string
	Identity   string
	Name       string
	Attributes map[string]string
	Started    time.Time
	Ended      bool
	PacketsIn  uint64 // RTP packets received from the caller
	PacketsOut uint64 // RTP packets echoed back
	Keys       string // the keys the caller typed (RFC 4733), as told to the room
}

// call is a live or recently ended call.
type call struct {
	info     Call // fixed fields; counters and Ended below
	dlg      *sipgo.DialogServerSession
	in, out  atomic.Uint64
	ended    atomic.Bool
	answered atomic.Bool // set by accept once the 200 OK is sent
	keysMu   sync.Mutex
	keys     []byte

	ctx    context.Context // ends with the call
	cancel context.CancelFunc
	bye    sync.Once // we send BYE at most once, and never after the caller's
}

func (c *call) snapshot() Call {
	s := c.info
	s.Attributes = maps.Clone(c.info.Attributes)
	s.PacketsIn, s.PacketsOut, s.Ended = c.in.Load(), c.out.Load(), c.ended.Load()
	c.keysMu.Lock()
	s.Keys = string(c.keys)
	c.keysMu.Unlock()
	return s
}

// hangup ends the call from our side: the call's context, and BYE to the
// caller (RFC 3261 §15.1.1) once the call is answered. Before the 200 there is
// nothing to BYE: accept sees the cancelled context and refuses the call, or,
// when the 200 was on its way, sends the BYE itself (sendBye).
func (c *call) hangup() {
	c.cancel()
	if c.answered.Load() {
		c.sendBye()
	}
}

// sendBye sends BYE once, unless the caller already ended the dialog.
func (c *call) sendBye() {
	c.bye.Do(func() {
		if c.dlg.Context().Err() == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			c.dlg.Bye(ctx)
			cancel()
		}
	})
}

// maxEnded is how many ended calls Calls keeps reporting.
const maxEnded = 256

// Calls returns the live calls and the most recently ended ones.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, 0, len(s.calls))
	for _, c := range s.calls {
		out = append(out, c.snapshot())
	}
	return out
}

func (s *Server) addCall(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[c.info.ID] = c
}

// endCall marks c ended and forgets the oldest ended calls beyond maxEnded.
func (s *Server) endCall(c *call) {
	c.ended.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = append(s.ended, c.info.ID)
	for len(s.ended) > maxEnded {
		delete(s.calls, s.ended[0])
		s.ended = s.ended[1:]
	}
}

// typed notes a key the caller typed.
func (c *call) typed(d byte) {
	c.keysMu.Lock()
	c.keys = append(c.keys, d)
	c.keysMu.Unlock()
}
