package media

import (
	"sync"
	"sync/atomic"
	"time"
)

// A pacer sends the next frame of every prompt and music track playing on
// its calls every 20 ms in a few passes, instead of one timer (and one
// goroutine wake-up) per call: with thousands of calls in the IVR or on hold
// the cost per frame is then the send itself. The 20 ms are cut into
// phases of 2.5 ms: a new track joins the current phase, so its first frame
// leaves within 2.5 ms (a prompt answering a key, "connecting" after the '#',
// is not delayed by up to a whole frame), and each pass sends an eighth of
// the calls' frames, which keeps the bursts, and the timing error they
// cause, small. Each track keeps
// its phase, so its frames are evenly spaced whatever the others do; passes
// that come late are caught up (run), so a prompt lasts as long as its
// recording. The pacer's goroutine runs only while something plays.
type pacer struct {
	mu      sync.Mutex
	pending []*track // added since the last pass
	running bool     // the goroutine runs; it stops when nothing plays

	fresh  []*track         // the goroutine's copy of pending, for its pass
	phases [phases][]*track // the goroutine's own
	phase  int              // of the next pass
	tracks int              // in phases
}

const (
	// phases is how many passes share each 20 ms: 400 passes a second for
	// the process, whatever the number of calls.
	phases = 8
	// maxLag is how late the pacer may fall (a stalled process) before it
	// stops catching up with a burst and re-anchors its schedule instead.
	maxLag = 5 * frameDuration
)

// pacers is the process's pacer. One per core would spread the sends over
// the cores, but BenchmarkPacer measured one per process at the same CPU per
// frame (0.89 of a timer per call against 1.05 per core, 1,000 calls) with a
// receive jitter p99 of 1.4 ms against 5.9 ms: the passes of several pacers
// contend for the same two cores. newPacers takes any count, to measure again.
var pacers = newPacers(1)

type pacerSet struct {
	ps   []*pacer
	next atomic.Uint32
}

func newPacers(n int) *pacerSet {
	set := &pacerSet{ps: make([]*pacer, max(n, 1))}
	for i := range set.ps {
		set.ps[i] = &pacer{}
	}
	return set
}

func (set *pacerSet) pick() *pacer {
	return set.ps[int(set.next.Add(1))%len(set.ps)]
}

// track is one Play or Loop: frames sent in turn on a session.
type track struct {
	s      *Session
	pt     uint8
	frames [][]byte // shared with the Prompt, never modified
	n      int      // frames to send; < 0: loop until stopped

	mu   sync.Mutex // held by the pacer while it sends, so stop waits for a send in progress
	i    int        // next frame
	over bool       // stopped, finished or failed: the pacer drops it
	err  error
	done chan struct{} // closed once the last frame has played out, or on a send error
}

// stop ends the track; once it returns no frame of the track is sent.
func (t *track) stop() {
	t.mu.Lock()
	t.over = true
	t.mu.Unlock()
}

// add hands t to the pacer; its first frame goes out in the next pass, within
// frameDuration/phases.
func (p *pacer) add(t *track) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = append(p.pending, t)
	if !p.running {
		p.running = true
		go p.run()
	}
}

// run makes a pass now and every frameDuration/phases after, until nothing
// plays. Passes are due at fixed times from the start, so a late one is
// caught up at once (the process was descheduled); a stall longer than
// maxLag re-anchors the schedule instead of sending a burst.
func (p *pacer) run() {
	const period = frameDuration / phases
	timer := time.NewTimer(period)
	defer timer.Stop()
	due := time.Now()
	for {
		p.pass()
		if p.tracks == 0 && p.idle() {
			return
		}
		due = due.Add(period)
		if late := time.Since(due); late > maxLag {
			due = due.Add(late)
		}
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			<-timer.C
		}
	}
}

// idle reports whether nothing was added since the last pass, and if so
// marks the goroutine stopped, atomically with add.
func (p *pacer) idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) > 0 {
		return false
	}
	p.running = false
	return true
}

// pass sends one frame of every track of the current phase, the tracks
// added since the last pass first (a prompt answering a key does not wait
// for the other calls' sends), takes those into the phase, and drops the
// tracks that are over.
func (p *pacer) pass() {
	p.mu.Lock()
	p.fresh = append(p.fresh[:0], p.pending...)
	clear(p.pending)
	p.pending = p.pending[:0]
	p.mu.Unlock()

	fresh := p.fresh[:0]
	for _, t := range p.fresh {
		if t.step() {
			fresh = append(fresh, t)
		}
	}
	active := p.phases[p.phase]
	keep := active[:0]
	for _, t := range active {
		if t.step() {
			keep = append(keep, t)
		}
	}
	clear(active[len(keep):])
	keep = append(keep, fresh...)
	clear(p.fresh)
	p.tracks += len(keep) - len(active)
	p.phases[p.phase] = keep
	p.phase = (p.phase + 1) % phases
}

// step sends the track's next frame, or, the pass after its last one,
// reports that it has played out; it returns whether the track goes on.
func (t *track) step() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.over {
		return false
	}
	if t.n >= 0 && t.i >= t.n {
		return t.finish(nil)
	}
	if t.i == 0 {
		t.s.StartTalkspurt()
	}
	if err := t.s.WriteFrame(t.pt, t.frames[t.i%len(t.frames)], FrameSamples); err != nil {
		return t.finish(err)
	}
	t.i++
	return true
}

func (t *track) finish(err error) bool {
	t.over, t.err = true, err
	close(t.done)
	return false
}
