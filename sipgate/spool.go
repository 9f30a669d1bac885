package sipgate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// spoolName is the spool's file in its directory.
const spoolName = "calls.spool"

// spoolEntry is one line of the spool: a call record, or the core's acknowledgement of one version of a
// call's record (the final one settles the call; a non-final one, only if no later phase replaced it).
type spoolEntry struct {
	Record *CallRecord `json:"r,omitempty"`
	Ack    string      `json:"ack,omitempty"`
	Final  bool        `json:"final,omitempty"`
	Phase  string      `json:"phase,omitempty"`
}

// Spool keeps call records on disk until the core acknowledges them, so that neither a core outage nor
// a sipgate restart (or SIGKILL) loses one. It is an append-only file of JSON lines. A final record's
// line is fsynced before Put returns. A call in progress writes its phases with PutSoon, which returns
// once the line is written: a SIGKILL cannot lose it (the kernel holds the write), a machine crash only
// within spoolLag, and the call does not wait for the disk as it answers or starts its prompt. An
// acknowledgement's line is only written: a crash that loses one makes sipgate ship the record again,
// which the core ignores as one it has. Opening the spool replays the file and rewrites it with the
// records still pending, which also drops a line a crash cut short.
//
// fsyncs are shared (group commit): while one caller flushes the file, with the lock released, others
// write their lines and wait; the next flush covers them all. At 200 calls/s a flush per record, each
// holding the lock, was the capacity limit (make loadtest: a third of the calls refused as busy).
type Spool struct {
	mu      sync.Mutex
	flushed *sync.Cond // signalled when a flush ends
	f       *os.File
	written uint64 // lines written to f, counted since open
	synced  uint64 // of those, the lines a flush has made durable
	syncing bool   // a flush runs, outside the lock
	lagging bool   // a flush is due within spoolLag for lines PutSoon wrote
	path    string
	pending map[string]CallRecord // the latest unacknowledged version of each call's record
	order   []string              // pending ids, oldest first
	lines   int                   // lines in the file
	compact int                   // past this many lines, an empty spool is rewritten
	// fsyncs and wrote count, since open, the spool's fsyncs and the bytes it wrote (records,
	// acknowledgements and rewrites): read by the metrics without the lock.
	fsyncs, wrote atomic.Uint64
}

// OpenSpool opens (creating it when needed) the spool in dir.
func OpenSpool(dir string) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sipgate: call records spool: %w", err)
	}
	s := &Spool{path: filepath.Join(dir, spoolName), pending: make(map[string]CallRecord), compact: spoolCompactLines}
	s.flushed = sync.NewCond(&s.mu)
	if b, err := os.ReadFile(s.path); err == nil {
		s.replay(b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sipgate: call records spool: %w", err)
	}
	if err := s.rewrite(); err != nil {
		return nil, fmt.Errorf("sipgate: call records spool: %w", err)
	}
	return s, nil
}

// replay applies the file's entries in order; a line that does not parse (the last one, cut by a crash
// during its write) is skipped.
func (s *Spool) replay(b []byte) {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		var e spoolEntry
		if len(line) == 0 || json.Unmarshal(line, &e) != nil {
			continue
		}
		s.apply(e)
	}
}

// apply records e in memory.
func (s *Spool) apply(e spoolEntry) {
	switch {
	case e.Record != nil && e.Record.ID != "":
		prev, ok := s.pending[e.Record.ID]
		if ok && prev.Final && !e.Record.Final {
			return // a started entry never replaces the final one
		}
		if !ok {
			s.order = append(s.order, e.Record.ID)
		}
		s.pending[e.Record.ID] = *e.Record
	case e.Ack != "":
		if r, ok := s.pending[e.Ack]; ok && (e.Final || !r.Final && r.Phase == e.Phase) {
			delete(s.pending, e.Ack)
		}
	}
}

// rewrite replaces the file with the pending records alone, atomically (write, fsync, rename, fsync the
// directory).
func (s *Spool) rewrite() error {
	var buf bytes.Buffer
	for _, id := range s.live() {
		r := s.pending[id]
		b, err := json.Marshal(spoolEntry{Record: &r})
		if err != nil {
			return err
		}
		buf.Write(append(b, '\n'))
	}
	tmp := s.path + ".tmp"
	if err := writeSync(tmp, buf.Bytes()); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		return err
	}
	s.fsyncs.Add(2) // the file's and the directory's
	s.wrote.Add(uint64(buf.Len()))
	for s.syncing { // the flush in flight holds the old file
		s.flushed.Wait()
	}
	if s.f != nil {
		s.f.Close()
	}
	s.synced = s.written // the new file was written and fsynced whole
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	s.f, s.lines = f, len(s.order)
	return nil
}

// live drops acknowledged and repeated ids from s.order (a call acknowledged as started comes back
// with its final record) and returns it.
func (s *Spool) live() []string {
	kept, seen := s.order[:0], make(map[string]bool, len(s.pending))
	for _, id := range s.order {
		if _, ok := s.pending[id]; ok && !seen[id] {
			kept, seen[id] = append(kept, id), true
		}
	}
	s.order = kept
	return kept
}

// Put writes r to the spool; once it returns nil, r survives a crash.
func (s *Spool) Put(r CallRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.append(true, spoolEntry{Record: &r})
}

// PutSoon writes r to the spool and returns without waiting for the disk: r survives a crash of sipgate
// at once, and one of the machine once the flush due within spoolLag (or an earlier Put's) has run.
func (s *Spool) PutSoon(r CallRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(false, spoolEntry{Record: &r}); err != nil {
		return err
	}
	if !s.lagging {
		s.lagging = true
		time.AfterFunc(spoolLag, s.flushLagging)
	}
	return nil
}

// spoolLag bounds how long a line PutSoon wrote waits for its fsync.
const spoolLag = 100 * time.Millisecond

// flushLagging makes what PutSoon wrote durable. An error is left for the next Put, whose flush meets
// it too.
func (s *Spool) flushLagging() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lagging = false
	if s.f != nil {
		_ = s.flush(s.written)
	}
}

// Pending returns up to n records the core has not acknowledged, oldest first.
func (s *Spool) Pending(n int) []CallRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CallRecord
	for _, id := range s.live() {
		if len(out) == n {
			break
		}
		out = append(out, s.pending[id])
	}
	return out
}

// Ack marks records as acknowledged by the core: each settles the version sent (a started entry leaves
// the call's final one pending). Once nothing is pending, a spool of many lines starts afresh.
func (s *Spool) Ack(records []CallRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	acks := make([]spoolEntry, len(records))
	for i, r := range records {
		acks[i] = spoolEntry{Ack: r.ID, Final: r.Final, Phase: r.Phase}
	}
	if err := s.append(false, acks...); err != nil {
		return err
	}
	if len(s.pending) == 0 && s.lines > s.compact {
		return s.rewrite()
	}
	return nil
}

// spoolCompactLines is the length past which an empty spool is rewritten.
const spoolCompactLines = 10000

// append writes entries in one write and applies them; when durable, it returns once a flush made them
// durable (flush), and every caller's lines share the flushes. A batch of acknowledgements costs one
// write. s.mu is held.
func (s *Spool) append(durable bool, entries ...spoolEntry) error {
	if s.f == nil {
		return errors.New("sipgate: call records spool closed")
	}
	var buf []byte
	for _, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf = append(append(buf, b...), '\n')
	}
	if _, err := s.f.Write(buf); err != nil {
		return fmt.Errorf("sipgate: call records spool: %w", err)
	}
	s.wrote.Add(uint64(len(buf)))
	s.lines += len(entries)
	s.written += uint64(len(entries))
	for _, e := range entries {
		s.apply(e)
	}
	if !durable {
		return nil
	}
	return s.flush(s.written)
}

// flush returns once the first upto lines written are durable: it fsyncs the file itself, with s.mu
// released, unless a flush already runs, which it waits for (and then, if that one began before its
// lines were written, runs the next). s.mu is held.
func (s *Spool) flush(upto uint64) error {
	for s.synced < upto {
		if s.syncing {
			s.flushed.Wait()
			continue
		}
		s.syncing = true
		f, target := s.f, s.written
		s.mu.Unlock()
		err := f.Sync()
		s.fsyncs.Add(1)
		s.mu.Lock()
		s.syncing = false
		s.flushed.Broadcast()
		if err != nil {
			return fmt.Errorf("sipgate: call records spool: %w", err)
		}
		s.synced = max(s.synced, target)
	}
	return nil
}

// len is how many records the core has not acknowledged yet.
func (s *Spool) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Close makes what was written durable and closes the file.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	ferr := s.flush(s.written)
	for s.syncing {
		s.flushed.Wait()
	}
	if s.f == nil {
		return ferr
	}
	err := s.f.Close()
	s.f = nil
	return errors.Join(ferr, err)
}

func writeSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, bytes.NewReader(b)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
