package sipgate

import (
	"sync"

	"github.com/emiago/sipgo/sip"
)

// callTable holds the calls in progress: a slot per INVITE being answered (bounded by the call limit) and,
// once the dialog exists, the call under its dialog ID (RFC 3261 §12) so that ACK, INFO, BYE and re-INVITE
// find it.
type callTable struct {
	max int

	mu       sync.Mutex
	slots    int
	byDialog map[string]*call
	byLeg    map[string]bridged // by the dialog ID of the call's leg to LiveKit
}

// bridged is a call with its leg to LiveKit.
type bridged struct {
	c *call
	l *leg
}

func newCallTable(max int) *callTable {
	return &callTable{max: max, byDialog: make(map[string]*call), byLeg: make(map[string]bridged)}
}

// reserve takes a slot, or reports false at the limit.
func (t *callTable) reserve() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.slots >= t.max {
		return false
	}
	t.slots++
	return true
}

func (t *callTable) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.slots--
}

func (t *callTable) add(c *call) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byDialog[c.dlg.id] = c
}

func (t *callTable) remove(c *call) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byDialog, c.dlg.id)
}

// match returns the call an in-dialog request belongs to, or nil.
func (t *callTable) match(req *sip.Request) *call {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byDialog[id]
}

// addLeg files c under its LiveKit leg's dialog, so that LiveKit's BYE and re-INVITEs find it.
func (t *callTable) addLeg(c *call, l *leg) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byLeg[l.dlg.ID] = bridged{c, l}
}

func (t *callTable) removeLeg(l *leg) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byLeg, l.dlg.ID)
}

// matchLeg returns the call whose leg to LiveKit an in-dialog request from LiveKit belongs to, with the leg,
// or nil. Seen from sipgate, the UAC of that dialog, the request's From tag is the remote one (§12.2.2).
func (t *callTable) matchLeg(req *sip.Request) (*call, *leg) {
	id, err := sip.DialogIDFromRequestUAC(req)
	if err != nil {
		return nil, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.byLeg[id]
	return b.c, b.l
}

// all returns the calls in progress.
func (t *callTable) all() []*call {
	t.mu.Lock()
	defer t.mu.Unlock()
	calls := make([]*call, 0, len(t.byDialog))
	for _, c := range t.byDialog {
		calls = append(calls, c)
	}
	return calls
}
