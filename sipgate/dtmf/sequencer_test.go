package dtmf

import (
	"errors"
	"sync"
	"testing"
)

func TestInfoSequencer(t *testing.T) {
	type step struct {
		cseq uint32
		want error
	}
	tests := []struct {
		name  string
		steps []step
		stats InfoStats
	}{
		{"in order", []step{{2, nil}, {3, nil}, {4, nil}}, InfoStats{}},
		{"first CSeq any value", []step{{0, nil}, {1, nil}}, InfoStats{}},
		{"gaps are in order (RFC 3261 §12.2.2)", []step{{2, nil}, {7, nil}, {100, nil}}, InfoStats{}},
		{"retransmission counted once", []step{{2, nil}, {2, ErrDuplicate}, {3, nil}, {3, ErrDuplicate}}, InfoStats{Duplicates: 2}},
		{"out of order dropped", []step{{2, nil}, {4, nil}, {3, ErrOutOfOrder}, {5, nil}}, InfoStats{Late: 1}},
		{"old retransmission is late", []step{{2, nil}, {3, nil}, {2, ErrOutOfOrder}}, InfoStats{Late: 1}},
		{"highest CSeq", []step{{1<<31 - 2, nil}, {1<<31 - 1, nil}}, InfoStats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s InfoSequencer
			for i, st := range tt.steps {
				if err := s.Accept(st.cseq); !errors.Is(err, st.want) || (err == nil) != (st.want == nil) {
					t.Errorf("step %d: Accept(%d) = %v, want %v", i, st.cseq, err, st.want)
				}
			}
			if got := s.Stats(); got != tt.stats {
				t.Errorf("stats %+v, want %+v", got, tt.stats)
			}
		})
	}
}

// TestInfoSequencerConcurrent checks that racing INFOs deliver an increasing subsequence, each CSeq once.
func TestInfoSequencerConcurrent(t *testing.T) {
	var (
		s         InfoSequencer
		mu        sync.Mutex
		delivered []uint32
		wg        sync.WaitGroup
	)
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				cseq := uint32(i*8 + g)
				for range 2 { // every request twice: a retransmission
					mu.Lock()
					if s.Accept(cseq) == nil {
						delivered = append(delivered, cseq)
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for i := 1; i < len(delivered); i++ {
		if delivered[i] <= delivered[i-1] {
			t.Fatalf("delivered %d after %d", delivered[i], delivered[i-1])
		}
	}
	st := s.Stats()
	if got := uint64(len(delivered)) + st.Duplicates + st.Late; got != 1600 {
		t.Errorf("delivered+dropped = %d, want 1600", got)
	}
}
