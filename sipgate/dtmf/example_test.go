package dtmf_test

import (
	"fmt"
	"time"

	"github.com/meetline/meetline/sipgate/dtmf"
)

// The IVR loop of one call: keys from the Receiver drive the Entry, a timer armed for Entry.Deadline
// drives its timeouts.
func Example() {
	recv := dtmf.NewReceiver(dtmf.ReceiverConfig{})
	// The media goroutine would call recv.RTP for each telephone-event packet; sipgo's OnInfo handler
	// answers each INFO with dtmf.StatusCode(recv.INFO(cseq, contentType, body)).
	recv.RTP(0x01020305, 24400, []byte{4, 0x0a, 0, 0})    // '4', first packet, duration 0
	recv.RTP(0x01020305, 24400, []byte{4, 0x8a, 6, 0x40}) // its end packet
	recv.RTP(0x01020305, 24800, []byte{2, 0x8a, 6, 0x40}) // '2', first packets lost
	fmt.Println(dtmf.StatusCode(recv.INFO(7, "application/dtmf-relay", []byte("Signal=2\r\nDuration=160\r\n"))))
	recv.RTP(0x01020305, 25200, []byte{11, 0x0a, 0, 0}) // '#'

	entry := dtmf.NewEntry(dtmf.EntryConfig{}, time.Now())
	timer := time.NewTimer(time.Until(entry.Deadline()))
	defer timer.Stop()
	for {
		var r dtmf.Result
		select {
		case p := <-recv.Presses():
			r = entry.Press(p.Digit, p.At)
		case now := <-timer.C:
			r = entry.Timeout(now)
		}
		timer.Reset(time.Until(entry.Deadline()))
		if r.Outcome != dtmf.Continue {
			fmt.Println(r.Outcome, r.PIN, recv.Stats().Ignored)
			return
		}
	}
	// Output:
	// 200
	// done 42 1
}
