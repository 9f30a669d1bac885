package core

import (
	"context"
	"regexp"
	"time"
)

// CallRecord is what sipgate keeps of one phone call, for operators and for
// carriers' billing disputes. Personal data law asks it to be minimal: it
// never holds the caller's clear number (CallerMasked is the logs' masked
// form, CallerHash a keyed hash to tell repeated callers apart) nor the PIN.
type CallRecord struct {
	ID       string
	Start    time.Time
	Answer   time.Time // zero for a call never answered
	End      time.Time // zero while the call is in progress
	Called   PhoneNumber
	TrunkID  string
	Caller   string // masked: "+33 6•• ••• •42"
	CallerID string // HMAC-SHA256 of the clear number, hex

	Transport string
	DTMF      string
	PIN       string // none, ok, wrong, limited, timeout
	RoomID    string
	Admission string // direct, host, lobby
	Handoff   string // bridge, refer
	Bridged   time.Duration
	HangupBy  string // caller, sipgate, none
	Outcome   string // sipgate's outcome, or OutcomeLost
	SIPCode   int
	Reason    string
	Instance  string
	Final     bool
	Phase     string // ringing, typing, host, lobby, bridged while in progress
}

// OutcomeLost closes the record of a call whose end never reached the core
// (sipgate killed mid-call) once CallRecordSettings.LostAfter has passed.
const OutcomeLost = "lost"

// MaxCallRecordBatch bounds the records of one RecordCalls request.
const MaxCallRecordBatch = 500

// CallRecordService stores call records.
type CallRecordService interface {
	// RecordCalls stores records, idempotently by ID: a final record replaces
	// the started one of the same call, never the reverse.
	RecordCalls(ctx context.Context, records []CallRecord) error
	// CloseLost marks as lost the calls started before before that never
	// ended, and returns how many.
	CloseLost(ctx context.Context, before time.Time) (int64, error)
	// DropBefore deletes the records of every month that ended before t, a
	// partition at a time, and returns how many partitions went.
	DropBefore(ctx context.Context, t time.Time) (int, error)

	// FindCallRecords returns a page of the calls filter selects, newest
	// first, and the token of the next page ("" after the last).
	FindCallRecords(ctx context.Context, filter CallFilter) ([]CallRecord, string, error)
	// CountCallRecords counts the calls filter selects (its page is ignored).
	CountCallRecords(ctx context.Context, filter CallFilter) (CallCounts, error)
	// EachCallRecord calls fn with every call filter selects, oldest first,
	// until fn fails (its page is ignored).
	EachCallRecord(ctx context.Context, filter CallFilter, fn func(CallRecord) error) error
	// LiveCalls returns the calls started since since that have not ended,
	// oldest first.
	LiveCalls(ctx context.Context, since time.Time) ([]CallRecord, error)
}

// CallFilter selects call records; a zero field matches every record.
type CallFilter struct {
	From, To  time.Time // started at or after From, before To
	TrunkID   string
	Called    PhoneNumber
	RoomID    string
	Outcome   string
	PageSize  int
	PageToken string
}

// CallCounts are the counts of calls per outcome, and per hour and outcome.
type CallCounts struct {
	Outcomes []OutcomeCount
	Hours    []HourCount
	// Numbers are the dialled numbers with the most wrong-PIN calls first,
	// at most MaxNumberCounts: where someone guesses PINs.
	Numbers []NumberCount
}

// NumberCount is the number of calls to one dialled number, and of those
// that ended on a wrong PIN (pin_outcome wrong, or limited: the caller was
// refused for its earlier failures).
type NumberCount struct {
	Called   PhoneNumber
	Calls    int64
	WrongPIN int64
}

// MaxNumberCounts bounds CallCounts.Numbers.
const MaxNumberCounts = 50

// OutcomeCount is the number of calls with one outcome.
type OutcomeCount struct {
	Outcome string
	Count   int64
}

// HourCount is the number of calls with one outcome started in one hour.
type HourCount struct {
	Hour    time.Time
	Outcome string
	Count   int64
}

// CallRecordSettings say how long records live.
type CallRecordSettings struct {
	// Retention (CALL_RECORDS_RETENTION_DAYS) is how long records are kept.
	Retention time.Duration
	// LostAfter is how long a call may stay open before it counts as lost.
	LostAfter time.Duration
}

var (
	callerHash   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	clearDigits  = regexp.MustCompile(`[0-9]{5}`)
	recordTokens = regexp.MustCompile(`^[a-z0-9_]{0,32}$`)
)

// Validate checks a record sipgate sent; the error names the first bad field.
// A caller with five digits in a row is refused: masked numbers keep at most
// four (country code and line kind), so it would be a clear number.
func (r *CallRecord) Validate() error {
	switch {
	case r.ID == "" || len(r.ID) > 64:
		return Invalid("id", "must be 1 to 64 characters")
	case r.Start.IsZero():
		return Invalid("start_time", "is required")
	case r.Final && r.End.IsZero():
		return Invalid("end_time", "is required in a final record")
	case !r.End.IsZero() && r.End.Before(r.Start):
		return Invalid("end_time", "is before start_time")
	case clearDigits.MatchString(r.Caller) || len(r.Caller) > 64:
		return Invalid("caller_masked", "must be masked")
	case r.CallerID != "" && !callerHash.MatchString(r.CallerID):
		return Invalid("caller_hash", "must be 64 hex digits")
	case r.Bridged < 0:
		return Invalid("bridged_ms", "must not be negative")
	}
	words := [...]struct{ field, v string }{{"transport", r.Transport}, {"dtmf_method", r.DTMF}, {"pin_outcome", r.PIN},
		{"admission", r.Admission}, {"handoff", r.Handoff}, {"hangup_by", r.HangupBy}, {"outcome", r.Outcome}, {"phase", r.Phase}}
	for _, w := range words {
		if !recordTokens.MatchString(w.v) {
			return Invalid(w.field, "must be a lower-case word")
		}
	}
	if len(r.Reason) > 200 || len(r.Instance) > 200 || len(r.Called) > 32 || len(r.TrunkID) > 64 || len(r.RoomID) > 64 {
		return Invalid("record", "has a field too long")
	}
	return nil
}
