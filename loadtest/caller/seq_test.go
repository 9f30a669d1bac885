package caller

import "testing"

func TestSeqTracker(t *testing.T) {
	tests := []struct {
		name           string
		seqs           []uint16
		expected, lost uint64
	}{
		{"none", nil, 0, 0},
		{"in order", []uint16{10, 11, 12, 13}, 4, 0},
		{"one gap", []uint16{10, 11, 13, 14}, 5, 1},
		{"wraps without loss", []uint16{65534, 65535, 0, 1}, 4, 0},
		{"wraps with loss", []uint16{65534, 0, 1}, 4, 1},
		{"reordered", []uint16{10, 12, 11, 13}, 4, 0},
		{"reordered before the first", []uint16{10, 9, 11}, 3, 0},
		{"duplicate counts as received", []uint16{10, 11, 11, 12}, 3, 0},
		{"late packet after a wrap", []uint16{65535, 0, 65533, 1}, 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s seqTracker
			for _, q := range tt.seqs {
				s.add(q)
			}
			if s.expected() != tt.expected || s.lost() != tt.lost {
				t.Errorf("expected %d lost %d, want %d and %d", s.expected(), s.lost(), tt.expected, tt.lost)
			}
		})
	}
}
