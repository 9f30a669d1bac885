package sipgate

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/emiago/sipgo/sip"
)

// CallRecord is sipgate's record of one call, for the core's call history (issue 23). It never holds the
// caller's clear number (CallerMasked is the logs' form, CallerHash an HMAC with sipgate's key) nor the PIN.
type CallRecord struct {
	ID           string        `json:"id"`
	Start        time.Time     `json:"start"`
	Answer       time.Time     `json:"answer,omitzero"`
	End          time.Time     `json:"end,omitzero"`
	Called       string        `json:"called,omitempty"`
	TrunkID      string        `json:"trunk,omitempty"`
	CallerMasked string        `json:"caller,omitempty"`
	CallerHash   string        `json:"caller_hash,omitempty"`
	Transport    string        `json:"transport,omitempty"`
	DTMF         string        `json:"dtmf,omitempty"`
	PIN          string        `json:"pin,omitempty"` // none, ok, wrong, limited, timeout
	RoomID       string        `json:"room,omitempty"`
	Admission    string        `json:"admission,omitempty"` // direct, host, lobby
	Handoff      string        `json:"handoff,omitempty"`   // bridge, refer
	Bridged      time.Duration `json:"bridged,omitempty"`
	HangupBy     string        `json:"hangup_by,omitempty"` // caller, sipgate
	Outcome      string        `json:"outcome,omitempty"`
	SIPCode      int           `json:"sip_code,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	Instance     string        `json:"instance,omitempty"`
	Final        bool          `json:"final,omitempty"`
	Phase        string        `json:"phase,omitempty"` // ringing, typing, host, lobby, bridged; "" once final
}

// errShortKey refuses a hash key short enough to guess.
var errShortKey = errors.New("want a key of at least 16 bytes")

// Records writes the calls' records to the spool and wakes the shipper; see [OpenRecords].
type Records struct {
	spool    *Spool
	key      []byte
	instance string
	wake     chan struct{}
	metrics  *recordMetrics // registered by the Server that takes r
}

// RecordsConfig says where call records are spooled and how callers are hashed.
type RecordsConfig struct {
	// Dir (SIPGATE_CALL_RECORDS_DIR) holds the spool; empty turns records off.
	Dir string
	// Key (SIPGATE_CALL_RECORDS_KEY) keys the callers' hash, so that the hash of a number cannot be
	// found by hashing every number: keep it secret, and the same on every replica.
	Key string
	// Instance (SIPGATE_INSTANCE, default the host name) names this replica in the records.
	Instance string
}

// OpenRecords opens the spool of cfg.Dir.
func OpenRecords(cfg RecordsConfig) (*Records, error) {
	if len(cfg.Key) < 16 {
		return nil, fmt.Errorf("sipgate: call records: %w", errShortKey)
	}
	s, err := OpenSpool(cfg.Dir)
	if err != nil {
		return nil, err
	}
	return &Records{spool: s, key: []byte(cfg.Key), instance: cfg.Instance, wake: make(chan struct{}, 1),
		metrics: newRecordMetrics()}, nil
}

// Close closes the spool.
func (r *Records) Close() error { return r.spool.Close() }

// hash is the caller's keyed hash, "" for an anonymous caller.
func (r *Records) hash(caller string) string {
	if caller == "" {
		return ""
	}
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(caller))
	return hex.EncodeToString(m.Sum(nil))
}

// put spools rec and wakes the shipper: a final record durably, a phase without waiting for the disk
// (Spool.PutSoon), since the call waits for it as it answers and starts its prompts. A spool that cannot
// be written is logged by the caller: the call goes on, its record is what is lost.
func (r *Records) put(rec CallRecord) error {
	start := time.Now()
	put := r.spool.PutSoon
	if rec.Final {
		put = r.spool.Put
	}
	if err := put(rec); err != nil {
		return err
	}
	r.metrics.observeWrite(rec.Final, start)
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// newRecordID is a random UUID (version 4).
func newRecordID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// record is the call's record as it stands; the script's goroutine fills it.
func (c *call) record() CallRecord {
	r := c.rec
	r.Called, r.DTMF = truncate(c.called, 32), c.dtmfMethod()
	r.CallerMasked = maskNumber(c.caller)
	r.Instance = c.srv.records.instance
	r.CallerHash = c.srv.records.hash(c.caller)
	return r
}

// recordStarted spools the record of a call just answered, so that a crash leaves a trace of it.
func (c *call) recordStarted() {
	if c.srv.records == nil {
		return
	}
	c.rec.Answer, c.rec.SIPCode = time.Now(), 200
	c.enterPhase("typing")
}

// enterPhase spools the call's record in its new phase, for the operators' live view: a non-final record
// replaces the call's pending one, so a phase costs one spool write.
func (c *call) enterPhase(phase string) {
	if c.srv.records == nil || c.rec.Phase == phase {
		return
	}
	c.rec.Phase = phase
	if err := c.srv.records.put(c.record()); err != nil {
		c.log.Error("call record not spooled", "error", err)
	}
}

// recordEnded spools the call's final record, once the dialog is over.
func (c *call) recordEnded(o Outcome) {
	if c.srv.records == nil {
		return
	}
	r := c.record()
	r.End, r.Final, r.Outcome, r.Phase = time.Now(), true, o.String(), ""
	r.PIN = pinOutcome(o, r.RoomID)
	if r.SIPCode == 0 && c.cancelled.Load() {
		r.SIPCode = 487 // sipgo answered the CANCEL
	}
	switch o {
	case OutcomeConnected:
		r.Handoff = "bridge"
	case OutcomeTransferred:
		r.Handoff = "refer"
	}
	if r.Admission == "" && r.Handoff != "" {
		r.Admission = "direct"
	}
	r.HangupBy, r.Reason = "sipgate", reasonText(o)
	if c.callerBye.Load() != nil || o == OutcomeHangup {
		r.HangupBy, r.Reason = "caller", truncate(c.hangupReason(), 200)
	}
	if err := c.srv.records.put(r); err != nil {
		c.log.Error("call record not spooled", "error", err)
	}
}

// pinOutcome says how the PIN dialogue went, from the call's outcome and whether a room was found.
func pinOutcome(o Outcome, room string) string {
	switch {
	case room != "":
		return "ok"
	case o == OutcomeWrongPIN:
		return "wrong"
	case o == OutcomeLimited:
		return "limited"
	case o == OutcomeTimeout, o == OutcomeMaxDuration:
		return "timeout"
	}
	return "none"
}

// reasonText is the Reason header sipgate sends when it hangs up with o.
func reasonText(o Outcome) string { return reasonHeader(o).Value() }

// noteBye, on the loop, remembers that the caller hung up, and the Reason they gave (RFC 3326).
func (c *call) noteBye(bye interface{ GetHeader(string) sip.Header }) {
	reason := ""
	if h := bye.GetHeader("Reason"); h != nil {
		reason = h.Value()
	}
	c.callerBye.Store(&reason)
}

// hangupReason is the Reason of the caller's BYE, if any.
func (c *call) hangupReason() string {
	if r := c.callerBye.Load(); r != nil {
		return *r
	}
	return ""
}

// noteAdmission remembers the longest way in a caller went: waiting for the host, or in the lobby.
func (c *call) noteAdmission(s AdmissionStatus) {
	switch s {
	case WaitingForHost:
		if c.rec.Admission == "" {
			c.rec.Admission = "host"
		}
		c.enterPhase("host")
	case WaitingInLobby:
		c.rec.Admission = "lobby"
		c.enterPhase("lobby")
	}
}

// noteBridged, called as the bridge starts, returns what records its length when it ends.
func (c *call) noteBridged() func() {
	start := time.Now()
	c.enterPhase("bridged")
	return func() { c.rec.Bridged = time.Since(start) }
}

// truncate cuts s to at most n bytes, on a rune boundary: the core refuses longer fields, and a caller's
// header or a SIP user name may be anything.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
