package api

import (
	"sync"
	"sync/atomic"

	"github.com/meetline/meetline/core"
)

// maxDescribed bounds the memo of describe: far more numbers than any
// deployment's trunks have, which are all it ever sees.
const maxDescribed = 4096

// described memoises PhoneNumber.Describe for the trunks' numbers, which
// every view of a room with dial-in shows: parsing one costs more CPU than
// the rest of CreateRoom's answer.
var (
	described  sync.Map // core.PhoneNumber → numberLabel
	nDescribed atomic.Int32
)

type numberLabel struct{ display, region string }

// describe is n.Describe, from the memo when n was described before.
func describe(n core.PhoneNumber) (display, region string) {
	if l, ok := described.Load(n); ok {
		return l.(numberLabel).display, l.(numberLabel).region
	}
	display, region = n.Describe()
	if nDescribed.Add(1) <= maxDescribed {
		described.Store(n, numberLabel{display, region})
	}
	return display, region
}
