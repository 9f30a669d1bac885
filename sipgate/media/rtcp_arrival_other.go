//go:build !linux

package media

import (
	"syscall"
	"time"
)

// stampArrivals does nothing without SO_TIMESTAMPNS.
func stampArrivals(syscall.RawConn) {}

// arrivedAt returns now: without the kernel's stamp, an RTCP datagram's
// arrival is when drain reads it (a round-trip time up to a report
// interval too long).
func arrivedAt([]byte) time.Time { return time.Now() }
