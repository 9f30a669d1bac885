package sipgate

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testRecordsKey keys the callers' hash in tests.
const testRecordsKey = "test-call-records-key"

// shipRecords opens the call records spool in dir and ships it to core until the test ends.
func shipRecords(t testing.TB, dir string, core RecordSink) *Records {
	t.Helper()
	recs, err := OpenRecords(RecordsConfig{Dir: dir, Key: testRecordsKey, Instance: "sipgate-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	done.Go(func() { recs.Ship(ctx, core, discard) })
	t.Cleanup(func() {
		cancel()
		done.Wait()
		recs.Close()
	})
	return recs
}

// storedRecord is a row of the core's call_records.
type storedRecord struct {
	id, outcome, transport, caller, callerHash, pin, hangupBy, instance, handoff string
	final                                                                        bool
	sipCode                                                                      int
	bridgedMs                                                                    int64
}

func (fx *coreFixture) records(t testing.TB) []storedRecord {
	t.Helper()
	rows, err := fx.db.Pool.Query(context.Background(), `SELECT id, outcome, transport, caller, caller_hash, pin_outcome,
		hangup_by, instance, handoff, final, sip_code, bridged_ms FROM call_records ORDER BY started_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedRecord
	for rows.Next() {
		var r storedRecord
		if err := rows.Scan(&r.id, &r.outcome, &r.transport, &r.caller, &r.callerHash, &r.pin, &r.hangupBy, &r.instance,
			&r.handoff, &r.final, &r.sipCode, &r.bridgedMs); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

var outcomeSample = regexp.MustCompile(`^sipgate_calls_total\{outcome="([a-z0-9_]+)"\} 1$`)

// checkOneRecord fails the test unless the gateway's core holds exactly one final record, whose outcome is
// the one sipgate_calls_total counted, for the test's one call.
func (r *running) checkOneRecord(t testing.TB) storedRecord {
	t.Helper()
	_, body := get(t, r.Handler(), "/metrics")
	var counted []string
	for line := range strings.SplitSeq(body, "\n") {
		if m := outcomeSample.FindStringSubmatch(line); m != nil {
			counted = append(counted, m[1])
		}
	}
	if len(counted) != 1 {
		t.Fatalf("calls counted by outcome: %v, want one call", counted)
	}
	if f := r.metric(t, `sipgate_call_records_spooled_total{kind="final"}`); f != "1" {
		t.Errorf("%s final records spooled for one call, want 1", f)
	}
	var got []storedRecord
	eventually(t, "the call's final record in the core", func() bool {
		got = r.fx.records(t)
		return len(got) == 1 && got[0].final
	})
	rec := got[0]
	if rec.outcome != counted[0] || rec.instance != "sipgate-test" || rec.hangupBy == "" || rec.transport == "" {
		t.Errorf("record %+v, want outcome %s", rec, counted[0])
	}
	if rec.caller == "" || rec.callerHash == "" {
		t.Errorf("record %+v: the caller is missing", rec)
	}
	r.fx.noClearNumber(t, "+33612345642") // the sipp scenarios' caller
	t.Logf("record %+v", rec)
	return rec
}

// TestCallRecordsSurviveAKill: records spooled while the core is unreachable, by a sipgate then killed
// (no flush, a record cut short in the middle of its write), reach the core after the restart; records
// the core stored but whose acknowledgement sipgate never wrote are sent again and stored once.
func TestCallRecordsSurviveAKill(t *testing.T) {
	fx := startCore(t)
	dir := t.TempDir()

	// First life: the core is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	deadCore := NewCoreClient(CoreConfig{URL: down, Token: testSipgateToken, ResolveTimeout: time.Second})
	recs, err := OpenRecords(RecordsConfig{Dir: dir, Key: testRecordsKey, Instance: "sipgate-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, kill := context.WithCancel(context.Background())
	shipped := make(chan struct{})
	go func() { recs.Ship(ctx, deadCore, discard); close(shipped) }()
	want := map[string]string{}
	for i := range 5 {
		r := testRecord(newRecordID(), i != 4) // the last call is in progress at the kill
		r.CallerHash = recs.hash("+33612345642")
		if err := recs.put(r); err != nil {
			t.Fatal(err)
		}
		want[r.ID] = r.Outcome
	}
	time.Sleep(100 * time.Millisecond) // the shipper tries, and fails
	kill()
	<-shipped
	recs.spool.f.WriteString(`{"r":{"id":"half-writ`) // the write the kill cut short
	recs.spool.f.Close()

	// Between lives, the core stores two of them (sipgate died before it wrote their acknowledgement).
	liveCore := NewCoreClient(CoreConfig{URL: fx.url, Token: testSipgateToken, ResolveTimeout: 2 * time.Second})
	s, err := OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := liveCore.RecordCalls(context.Background(), s.Pending(2)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Second life: everything arrives, once.
	recs = shipRecords(t, dir, liveCore)
	eventually(t, "every record in the core", func() bool { return len(fx.records(t)) == len(want) })
	eventually(t, "an empty spool", func() bool { return len(recs.spool.Pending(10)) == 0 })
	for _, r := range fx.records(t) {
		outcome, ok := want[r.id]
		if !ok || r.outcome != outcome || r.final != (outcome != "") {
			t.Errorf("stored %+v, want outcome %q", r, outcome)
		}
		if r.callerHash != recs.hash("+33612345642") {
			t.Errorf("caller hash %q", r.callerHash)
		}
	}
}

// TestCallRecordsRefused: a record the core refuses (here, one that carries a clear number) is dropped
// alone; the others of its batch are stored.
func TestCallRecordsRefused(t *testing.T) {
	fx := startCore(t)
	core := NewCoreClient(CoreConfig{URL: fx.url, Token: testSipgateToken, ResolveTimeout: 2 * time.Second})
	dir := t.TempDir()
	s, err := OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	bad := testRecord("bad", true)
	bad.CallerMasked = "+33612345642"
	for _, r := range []CallRecord{testRecord(newRecordID(), true), bad, testRecord(newRecordID(), true)} {
		if err := s.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	recs := shipRecords(t, dir, core)
	eventually(t, "an empty spool", func() bool { return len(recs.spool.Pending(10)) == 0 })
	if got := fx.records(t); len(got) != 2 {
		t.Fatalf("stored %+v, want the two valid records", got)
	}
	srv, err := New("127.0.0.1:0", WithLogger(discard), WithRecords(recs))
	if err != nil {
		t.Fatal(err)
	}
	if m := scrape(t, srv); m["sipgate_call_records_shipped_total"] != 2 || m["sipgate_call_records_dropped_total"] != 1 {
		t.Errorf("shipped %v, dropped %v; want 2 and 1", m["sipgate_call_records_shipped_total"], m["sipgate_call_records_dropped_total"])
	}
}

func TestOpenRecordsErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	tests := []struct {
		name string
		cfg  RecordsConfig
	}{
		{"short key", RecordsConfig{Dir: t.TempDir(), Key: "short"}},
		{"dir is a file", RecordsConfig{Dir: file, Key: testRecordsKey}},
	}
	for _, tt := range tests {
		if _, err := OpenRecords(tt.cfg); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// noClearNumber fails the test if any table of the core's database holds number, with or without its "+".
func (fx *coreFixture) noClearNumber(t testing.TB, number string) {
	t.Helper()
	ctx := context.Background()
	rows, err := fx.db.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	for _, table := range tables {
		var text string
		if err := fx.db.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT coalesce(string_agg(t::text, ' '), '') FROM %q t`, table)).Scan(&text); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if strings.Contains(text, strings.TrimPrefix(number, "+")) {
			t.Errorf("table %s holds the caller's clear number", table)
		}
	}
}

// TestCallRecordsFlush: a stopping replica ships what its spool holds, or says why it could not.
func TestCallRecordsFlush(t *testing.T) {
	fx := startCore(t)
	recs, err := OpenRecords(RecordsConfig{Dir: t.TempDir(), Key: testRecordsKey, Instance: "sipgate-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer recs.Close()
	for range 3 {
		if err := recs.put(testRecord(newRecordID(), true)); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	dead := NewCoreClient(CoreConfig{URL: "http://" + ln.Addr().String(), Token: testSipgateToken, ResolveTimeout: time.Second})
	if err := recs.Flush(context.Background(), dead); err == nil {
		t.Fatal("Flush to a core that is down succeeded")
	}
	live := NewCoreClient(CoreConfig{URL: fx.url, Token: testSipgateToken, ResolveTimeout: 2 * time.Second})
	if err := recs.Flush(context.Background(), live); err != nil {
		t.Fatal(err)
	}
	if n := len(fx.records(t)); n != 3 || len(recs.spool.Pending(10)) != 0 {
		t.Fatalf("%d records in the core, %d in the spool; want 3 and 0", n, len(recs.spool.Pending(10)))
	}
}

// TestRingingPhase: a call sipgate accepted shows as ringing in the core, before the caller's ACK answers it,
// then as typing once answered.
func TestRingingPhase(t *testing.T) {
	t.Parallel()
	cc := dialogCalls()
	cc.T1 = 500 * time.Millisecond // 64·T1 without the ACK: half a minute to look
	r := startGateway(t, cc)
	p := newPeer(t, r.Addr())
	phase := func() (string, bool) {
		var ph string
		var answered bool
		err := r.fx.db.Pool.QueryRow(context.Background(), `SELECT phase, answered_at IS NOT NULL FROM call_records`).Scan(&ph, &answered)
		if err != nil {
			return "", false
		}
		return ph, answered
	}
	p.answered(p.offer("0", "sendrecv"))
	eventually(t, "the call ringing in the core", func() bool {
		ph, answered := phase()
		return ph == "ringing" && !answered
	})
	p.send(p.ack(1, ""))
	eventually(t, "the call answered, typing its PIN", func() bool {
		ph, answered := phase()
		return ph == "typing" && answered
	})
	p.send(p.request("BYE", "", ""))
	eventually(t, "the call's final record", func() bool {
		ph, _ := phase()
		return ph == "" && len(r.fx.records(t)) == 1 && r.fx.records(t)[0].final
	})
	// One call: ringing and typing, then its end; each written once, each waited for once.
	for sample, want := range map[string]string{`sipgate_call_records_spooled_total{kind="phase"}`: "2",
		`sipgate_call_records_spooled_total{kind="final"}`: "1", `sipgate_call_records_write_seconds_count{kind="phase"}`: "2",
		`sipgate_call_records_write_seconds_count{kind="final"}`: "1",
		`sipgate_calls_total{outcome="hangup"}`:                  "1"} {
		if got := r.metric(t, sample); got != want {
			t.Errorf("%s = %q, want %s", sample, got, want)
		}
	}
}
