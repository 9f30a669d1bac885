package sipgate

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

func testRecord(id string, final bool) CallRecord {
	r := CallRecord{ID: id, Start: time.Now().UTC().Truncate(time.Millisecond), CallerMasked: "+33 6•• ••• •42", Transport: "udp"}
	if final {
		r.End, r.Final, r.Outcome = r.Start.Add(time.Minute), true, "connected"
	}
	return r
}

func pendingIDs(s *Spool) []string {
	var ids []string
	for _, r := range s.Pending(100) {
		id := r.ID
		if r.Final {
			id += "!"
		}
		ids = append(ids, id)
	}
	return ids
}

func openSpool(t *testing.T, dir string) *Spool {
	t.Helper()
	s, err := OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSpoolSurvivesRestart: what was put and not acknowledged is pending again after a reopen, in order;
// acknowledging a started entry leaves the call's final one pending; a started entry never replaces a
// final one.
func TestSpoolSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	steps := []struct {
		put  []CallRecord
		ack  []CallRecord
		want []string // pending after the step, "!" marking final records
	}{
		{put: []CallRecord{testRecord("a", false), testRecord("b", false)}, want: []string{"a", "b"}},
		{ack: []CallRecord{testRecord("a", false)}, want: []string{"b"}},
		{put: []CallRecord{testRecord("a", true)}, want: []string{"b", "a!"}},
		{put: []CallRecord{testRecord("b", true), testRecord("b", false)}, want: []string{"b!", "a!"}},
		{ack: []CallRecord{testRecord("b", false)}, want: []string{"b!", "a!"}}, // the started entry's ack settles nothing final
		{put: []CallRecord{testRecord("c", true)}, ack: []CallRecord{testRecord("a", true)}, want: []string{"b!", "c!"}},
		{put: []CallRecord{inPhase("d", "typing"), inPhase("d", "lobby")}, ack: []CallRecord{inPhase("d", "typing")},
			want: []string{"b!", "c!", "d"}}, // the lobby phase was not shipped yet
		{ack: []CallRecord{inPhase("d", "lobby")}, want: []string{"b!", "c!"}},
	}
	for i, st := range steps {
		for _, r := range st.put {
			if err := s.Put(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Ack(st.ack); err != nil {
			t.Fatal(err)
		}
		if got := pendingIDs(s); !slices.Equal(got, st.want) {
			t.Fatalf("step %d: pending %v, want %v", i, got, st.want)
		}
		s.Close() // as a crash would leave it: every write is already on disk
		s = openSpool(t, dir)
		if got := pendingIDs(s); !slices.Equal(got, st.want) {
			t.Fatalf("step %d, reopened: pending %v, want %v", i, got, st.want)
		}
	}
}

// TestSpoolTornWrite: a line a crash cut short is dropped at the reopen, and what follows it is intact.
func TestSpoolTornWrite(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	if err := s.Put(testRecord("a", true)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, err := os.OpenFile(filepath.Join(dir, spoolName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"r":{"id":"torn","sta`)
	f.Close()
	s = openSpool(t, dir)
	if err := s.Put(testRecord("b", true)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openSpool(t, dir)
	if got := pendingIDs(s); !slices.Equal(got, []string{"a!", "b!"}) {
		t.Fatalf("pending %v, want [a! b!]", got)
	}
}

// TestSpoolCompacts: once everything is acknowledged, a long spool starts afresh.
func TestSpoolCompacts(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	s.compact = 20
	var batch []CallRecord
	for i := range 11 {
		r := testRecord(newRecordID(), i%2 == 0)
		batch = append(batch, r)
		if err := s.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Ack(batch); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, spoolName))
	if err != nil || fi.Size() != 0 {
		t.Fatalf("spool after everything was acknowledged: %v, %v; want empty", fi.Size(), err)
	}
	if err := s.Put(testRecord("after", true)); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(s); !slices.Equal(got, []string{"after!"}) {
		t.Fatalf("pending %v", got)
	}
}

func TestSpoolClosed(t *testing.T) {
	s := openSpool(t, t.TempDir())
	s.Close()
	if err := s.Put(testRecord("a", true)); err == nil {
		t.Fatal("Put on a closed spool succeeded")
	}
}

// FuzzSpoolReplay: whatever the file holds (a disk error, an edit by hand), opening the spool never fails
// on its content nor panics, and what it keeps is valid JSON lines it reopens identically.
func FuzzSpoolReplay(f *testing.F) {
	f.Add([]byte(`{"r":{"id":"a","start":"2026-12-06T10:00:00Z"}}` + "\n" + `{"ack":"a"}` + "\n"))
	f.Add([]byte(`{"r":{"id":"a","final":true}}` + "\n" + `{"r":{"id":"a"}}` + "\n" + `{"ack":"a"`))
	f.Add([]byte("\x00\xff\n{}\n[]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, spoolName), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := OpenSpool(dir)
		if err != nil {
			t.Fatal(err)
		}
		first := pendingIDs(s)
		s.Close()
		s, err = OpenSpool(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if again := pendingIDs(s); !slices.Equal(first, again) {
			t.Fatalf("reopened %v, first %v", again, first)
		}
	})
}

// BenchmarkSpoolPut is the cost a call pays for its record, twice (at answer and at the end): one
// write and one fsync.
// BenchmarkSpoolPut writes records one after the other, so each pays a whole fsync: the most a record
// costs. make loadtest runs it (and BenchmarkSpoolPutParallel) for the report's call records row, from
// cpu-ns/op: the process's CPU per record, fsync's kernel time included.
func BenchmarkSpoolPut(b *testing.B) {
	s, err := OpenSpool(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := testRecord("a", true)
	defer reportSpoolCost(b, s)()
	for b.Loop() {
		r.ID = newRecordID()
		if err := s.Put(r); err != nil {
			b.Fatal(err)
		}
	}
}

// reportSpoolCost starts counting s's fsyncs and the process's CPU; what it returns reports both per op.
func reportSpoolCost(b *testing.B, s *Spool) func() {
	fsyncs, cpu := s.fsyncs.Load(), processCPU(b)
	return func() {
		b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(s.fsyncs.Load()-fsyncs)/float64(b.N), "fsyncs/op")
	}
}

// processCPU is the CPU time, user and system, the process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func inPhase(id, phase string) CallRecord {
	r := testRecord(id, false)
	r.Phase = phase
	return r
}

// TestSpoolConcurrentPuts: calls that write at once share flushes (group commit) and lose nothing, while
// acknowledgements and compaction run beside them; every Put that returned is there after a reopen.
func TestSpoolConcurrentPuts(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.compact = 50
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if err := s.Put(testRecord(newRecordID(), true)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() { // the shipper: acknowledges what it finds, which also makes the spool rewrite itself
		for range 50 {
			if err := s.Ack(s.Pending(20)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	pending := map[string]bool{}
	for _, r := range s.Pending(1000) {
		pending[r.ID] = true
	}
	s.Close()
	s, err = OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after := map[string]bool{}
	for _, r := range s.Pending(1000) {
		after[r.ID] = true
	}
	if len(after) != len(pending) {
		t.Fatalf("%d records pending after reopening, %d before", len(after), len(pending))
	}
	for id := range pending {
		if !after[id] {
			t.Fatalf("record %s lost", id)
		}
	}
	if len(pending) == 0 || len(pending) > 800 {
		t.Errorf("%d pending: want some of the 800, the rest acknowledged", len(pending))
	}
}

// BenchmarkSpoolPutParallel: many calls writing at once, as at 200 calls/s; with shared flushes the
// time per Put falls as callers are added.
func BenchmarkSpoolPutParallel(b *testing.B) {
	s, err := OpenSpool(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetParallelism(16)
	defer reportSpoolCost(b, s)()
	b.RunParallel(func(pb *testing.PB) {
		r := testRecord("a", true)
		for pb.Next() {
			if err := s.Put(r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestSpoolAckIsNotFsynced: an acknowledgement costs a write but no fsync; if a crash loses it, the record
// is pending again at the reopen and is shipped a second time, which the core ignores (RecordCalls is
// idempotent), so nothing is lost.
func TestSpoolAckIsNotFsynced(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	if err := s.Put(testRecord("a", true)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, spoolName)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	before := s.fsyncs.Load()
	if err := s.Ack([]CallRecord{testRecord("a", true)}); err != nil {
		t.Fatal(err)
	}
	if n := s.fsyncs.Load() - before; n != 0 {
		t.Errorf("%d fsyncs for an acknowledgement, want 0", n)
	}
	if got := pendingIDs(s); len(got) != 0 {
		t.Fatalf("pending %v after the acknowledgement", got)
	}
	s.Close()
	if err := os.Truncate(path, st.Size()); err != nil { // the crash lost the acknowledgement's line
		t.Fatal(err)
	}
	s = openSpool(t, dir)
	if got := pendingIDs(s); !slices.Equal(got, []string{"a!"}) {
		t.Fatalf("pending %v after losing the acknowledgement, want [a!] (shipped again)", got)
	}
}

// TestSpoolPutSoon: a call's phase is written at once and made durable by a flush that follows within
// spoolLag, not by the call waiting for it; Close flushes what is still unsynced.
func TestSpoolPutSoon(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	before := s.fsyncs.Load()
	if err := s.PutSoon(inPhase("a", "typing")); err != nil {
		t.Fatal(err)
	}
	if n := s.fsyncs.Load() - before; n != 0 {
		t.Fatalf("PutSoon waited for %d fsyncs", n)
	}
	if got := pendingIDs(s); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("pending %v, want [a]", got)
	}
	deadline := time.Now().Add(50 * spoolLag)
	for s.fsyncs.Load() == before && time.Now().Before(deadline) {
		time.Sleep(spoolLag / 10)
	}
	if s.fsyncs.Load() == before {
		t.Fatalf("no flush %v after PutSoon", 50*spoolLag)
	}

	if err := s.PutSoon(inPhase("b", "typing")); err != nil {
		t.Fatal(err)
	}
	before = s.fsyncs.Load()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.fsyncs.Load() == before {
		t.Error("Close left a PutSoon line unsynced")
	}
	s = openSpool(t, dir)
	if got := pendingIDs(s); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("reopened: pending %v, want [a b]", got)
	}
}
