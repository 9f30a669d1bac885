package dtmf

import (
	"errors"
	"fmt"
	"sync"
)

// Errors of [InfoSequencer.Accept].
var (
	// ErrDuplicate: the CSeq of the last request accepted again, a retransmission that got past the
	// transaction layer; answer 200 OK (the request was processed) and count nothing.
	ErrDuplicate = errors.New("dtmf: INFO CSeq repeated")
	// ErrOutOfOrder: a CSeq lower than one already accepted; RFC 3261 §12.2.2 says to answer
	// 500 Server Internal Error.
	ErrOutOfOrder = errors.New("dtmf: INFO CSeq lower than an earlier request's")
)

// InfoSequencer orders the SIP INFO requests of one dialog by CSeq, the way RFC 3261 §12.2.2 tells a UAS
// to: a request is in order when its CSeq is higher than the last one accepted — by one or by more, because
// gaps are normal (a request challenged for credentials, or one the UAS never saw) — and out of order, to be
// rejected, when it is lower.
//
// Each key is therefore delivered at once or never: there is no holding back to wait for a gap to fill,
// which would need a timer, delay every key, and wait in vain for gaps that are not losses. Requests cross
// only when two INFOs of one caller race — sipgo runs each request in its own goroutine, and UDP may
// reorder — which key presses, tens of milliseconds apart at least, make rare. When it happens the late key
// is dropped and the PIN comes out short and wrong, so the caller retypes it; a PIN with two keys swapped,
// which might open another room, is never produced.
//
// Call Accept for every INFO of the dialog, with or without a key, since every request advances the CSeq.
// The zero value is ready to use. An InfoSequencer is safe for concurrent use.
type InfoSequencer struct {
	mu         sync.Mutex
	started    bool
	last       uint32
	duplicates uint64
	late       uint64
}

// InfoStats counts the INFO requests an [InfoSequencer] refused.
type InfoStats struct {
	Duplicates uint64 // [ErrDuplicate]: retransmissions
	Late       uint64 // [ErrOutOfOrder]: arrived after a later request
}

// Accept returns nil when the request with this CSeq is in order and its key is to be delivered, or an
// error wrapping [ErrDuplicate] or [ErrOutOfOrder] when its key must be dropped.
func (s *InfoSequencer) Accept(cseq uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !s.started || cseq > s.last:
		s.started, s.last = true, cseq
		return nil
	case cseq == s.last:
		s.duplicates++
		return fmt.Errorf("CSeq %d: %w", cseq, ErrDuplicate)
	default:
		s.late++
		return fmt.Errorf("CSeq %d after %d: %w", cseq, s.last, ErrOutOfOrder)
	}
}

// Stats returns the counts of refused requests.
func (s *InfoSequencer) Stats() InfoStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return InfoStats{Duplicates: s.duplicates, Late: s.late}
}
