package sipgate

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// scrape reads srv's /metrics into a map from sample (name with its labels, as written) to value.
func scrape(t testing.TB, srv *Server) map[string]float64 {
	t.Helper()
	_, body := get(t, srv.Handler(), "/metrics")
	m := make(map[string]float64)
	for line := range strings.SplitSeq(body, "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		m[k] = f
	}
	return m
}

// TestCallRecordsMetrics: every record a call waits for is observed once in the write histogram and
// counted by kind, calls writing at once share fsyncs (fewer than the records), and what the core stored
// counts as shipped, in batches, its acknowledgements costing no fsync.
func TestCallRecordsMetrics(t *testing.T) {
	fx := startCore(t)
	recs, err := OpenRecords(RecordsConfig{Dir: t.TempDir(), Key: testRecordsKey, Instance: "sipgate-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer recs.Close()
	srv, err := New("127.0.0.1:0", WithLogger(discard), WithRecords(recs))
	if err != nil {
		t.Fatal(err)
	}
	idle := scrape(t, srv)
	for _, name := range []string{`sipgate_call_records_write_seconds_count{kind="phase"}`,
		`sipgate_call_records_write_seconds_count{kind="final"}`, `sipgate_call_records_spooled_total{kind="final"}`,
		`sipgate_call_records_spooled_total{kind="phase"}`, "sipgate_call_records_shipped_total", "sipgate_call_records_dropped_total",
		"sipgate_call_records_ship_seconds_count", "sipgate_call_records_pending"} {
		if v, ok := idle[name]; !ok || v != 0 {
			t.Errorf("before any call %s = %v (present %v), want 0", name, v, ok)
		}
	}
	fsyncs0 := idle["sipgate_call_records_fsyncs_total"] // the open's rewrite
	const writers, each = 16, 25
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for j := range each {
				if err := recs.put(testRecord(newRecordID(), j%5 == 4)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// The phases' fsync follows within spoolLag: let it run, so that what follows counts the shipping's alone.
	eventually(t, "the phases' fsync", func() bool {
		recs.spool.mu.Lock()
		defer recs.spool.mu.Unlock()
		return !recs.spool.lagging && recs.spool.synced == recs.spool.written
	})
	m := scrape(t, srv)
	const records, finals = writers * each, writers * (each / 5)
	want := map[string]float64{
		`sipgate_call_records_write_seconds_count{kind="phase"}`: records - finals,
		`sipgate_call_records_write_seconds_count{kind="final"}`: finals,
		`sipgate_call_records_spooled_total{kind="final"}`:       finals,
		`sipgate_call_records_spooled_total{kind="phase"}`:       records - finals,
		"sipgate_call_records_pending":                           records,
	}
	for name, v := range want {
		if m[name] != v {
			t.Errorf("%s = %v, want %v", name, m[name], v)
		}
	}
	fsyncs := m["sipgate_call_records_fsyncs_total"] - fsyncs0
	if fsyncs < 1 || fsyncs/records >= 1 {
		t.Errorf("%v fsyncs for %d records written at once: want at least 1 and fewer than the records", fsyncs, records)
	}
	if b := m["sipgate_call_records_spool_bytes_total"]; b < records*50 {
		t.Errorf("%v bytes spooled for %d records", b, records)
	}

	live := NewCoreClient(CoreConfig{URL: fx.url, Token: testSipgateToken, ResolveTimeout: 5 * time.Second})
	if err := recs.Flush(context.Background(), live); err != nil {
		t.Fatal(err)
	}
	after := scrape(t, srv)
	if after["sipgate_call_records_shipped_total"] != records || after["sipgate_call_records_pending"] != 0 {
		t.Errorf("shipped %v, pending %v; want %d and 0", after["sipgate_call_records_shipped_total"],
			after["sipgate_call_records_pending"], records)
	}
	if n := after["sipgate_call_records_ship_seconds_count"]; n != records/shipBatch {
		t.Errorf("%v RecordCalls timed, want %d batches", n, records/shipBatch)
	}
	if d := after["sipgate_call_records_fsyncs_total"] - m["sipgate_call_records_fsyncs_total"]; d != 0 {
		t.Errorf("%v fsyncs for %d acknowledgement batches, want none (a lost one only re-ships)", d, records/shipBatch)
	}
}

// TestRecordMetricsAllocate: counting a record on the call's path allocates nothing (no label is built).
func TestRecordMetricsAllocate(t *testing.T) {
	m, start := newRecordMetrics(), time.Now()
	if n := testing.AllocsPerRun(100, func() { m.observeWrite(true, start); m.observeWrite(false, start) }); n != 0 {
		t.Errorf("%v allocations per record counted", n)
	}
}
