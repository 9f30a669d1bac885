package media

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A pacer sends the next frame of every prompt and music track playing on
// its calls in one pass every 20 ms, instead of one timer (and one goroutine
// wake-up) per call: with thousands of calls in the IVR or on hold the cost
// per frame is then the send itself. Its goroutine runs only while something
// plays. Each track keeps the pacer's 20 ms grid from its first frame on, so
// frames are evenly spaced whatever the other tracks do; a pass that comes
// late (a stalled process) is not caught up with a burst: the ticker drops
// the missed ticks and the stream goes on from there.
type pacer struct {
	mu      sync.Mutex
	pending []*track // added since the last pass
	running bool     // the goroutine runs; it stops when nothing plays

	active []*track // the goroutine's own
}

// pacers holds one pacer per core: a pass is one goroutine's sequential
// sends, so one per core lets the sends of many calls use every core.
// Tracks are spread round-robin.
var pacers = newPacers(runtime.GOMAXPROCS(0))

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

// add hands t to the pacer; its first frame goes out in the next pass.
func (p *pacer) add(t *track) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = append(p.pending, t)
	if !p.running {
		p.running = true
		go p.run()
	}
}

// run makes a pass now and every 20 ms after, until nothing plays.
func (p *pacer) run() {
	tick := time.NewTicker(frameDuration)
	defer tick.Stop()
	for {
		p.pass()
		if len(p.active) == 0 && p.idle() {
			return
		}
		<-tick.C
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

// pass sends one frame of every track, and drops those that are over.
func (p *pacer) pass() {
	p.mu.Lock()
	p.active = append(p.active, p.pending...)
	clear(p.pending)
	p.pending = p.pending[:0]
	p.mu.Unlock()

	keep := p.active[:0]
	for _, t := range p.active {
		if t.step() {
			keep = append(keep, t)
		}
	}
	clear(p.active[len(keep):])
	p.active = keep
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
