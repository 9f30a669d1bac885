package mail_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
)

// fast are worker settings for tests: quick polls and retries.
func fast(opts ...mail.WorkerOption) []mail.WorkerOption {
	return append([]mail.WorkerOption{
		mail.WithPollInterval(20 * time.Millisecond), mail.WithBackoff(20*time.Millisecond, 200*time.Millisecond),
		mail.WithBatchSize(5), mail.WithLease(30 * time.Second),
	}, opts...)
}

// start runs w until the test ends, and checks that Run then returns.
func start(t testing.TB, w *mail.Worker) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
}

func enqueue(t testing.TB, o *postgres.Outbox, n int, prefix string) []*core.Message {
	t.Helper()
	msgs := make([]*core.Message, n)
	for i := range msgs {
		msgs[i] = message(fmt.Sprintf("%s%d@example.com", prefix, i), fmt.Sprintf("%s %d", prefix, i))
	}
	if err := o.Enqueue(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
	return msgs
}

func eventually(t testing.TB, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deliveredOnce waits for msgs in mailpit and fails unless each arrived
// exactly once, to its recipient, and nothing else did.
func deliveredOnce(t testing.TB, mp *testenv.MailpitServer, msgs []*core.Message) {
	t.Helper()
	mp.WaitMessages(len(msgs), 30*time.Second)
	time.Sleep(200 * time.Millisecond) // room for a duplicate to show up
	got := map[string]int{}
	for _, s := range mp.Messages() {
		if len(s.To) != 1 {
			t.Fatalf("message %q has %d recipients", s.Subject, len(s.To))
		}
		got[s.Subject+" → "+s.To[0].Address]++
	}
	for _, m := range msgs {
		key := m.Subject + " → " + m.To
		if got[key] != 1 {
			t.Errorf("%s arrived %d times", key, got[key])
		}
		delete(got, key)
	}
	for k, n := range got {
		t.Errorf("unexpected %s (%d)", k, n)
	}
}

func status(t testing.TB, o *postgres.Outbox, id string) *postgres.OutboxRecord {
	t.Helper()
	r, err := o.FindMessage(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func counter(t testing.TB, reg *prometheus.Registry, name, final string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			label := ""
			for _, l := range m.GetLabel() {
				label = l.GetValue()
			}
			if label == final {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// lockedBuffer collects a worker's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestWorkerDelivers(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	o := postgres.NewOutbox(testenv.Postgres(t))
	reg := prometheus.NewRegistry()
	w := mail.NewWorker(o, sender(t, mp, nil), fast(mail.WithMetrics(reg), mail.WithPollInterval(time.Hour))...)
	start(t, w)
	msgs := enqueue(t, o, 12, "deliver")
	w.Notify() // the poll interval is an hour: only Notify can start it
	deliveredOnce(t, mp, msgs)
	for _, m := range msgs {
		if r := status(t, o, m.ID); r.Status != "sent" || r.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts", m.ID, r.Status, r.Attempts)
		}
	}
	if got := counter(t, reg, "meetline_mail_sent_total", ""); got != 12 {
		t.Errorf("meetline_mail_sent_total = %v", got)
	}
}

// TestWorkersShareOutbox runs two workers, as two core replicas would, on
// separate connection pools to one database: every message arrives once.
func TestWorkersShareOutbox(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	url := testenv.DatabaseURL(t)
	var outboxes []*postgres.Outbox
	for range 2 {
		db, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		outboxes = append(outboxes, postgres.NewOutbox(db))
	}
	msgs := enqueue(t, outboxes[0], 60, "shared")
	s := sender(t, mp, func(c *mail.Config) { c.Username, c.Password = "alice", "secret" }) // shared, as in one process
	for _, o := range outboxes {
		start(t, mail.NewWorker(o, s, fast(mail.WithBatchSize(3))...))
	}
	deliveredOnce(t, mp, msgs)
	for _, m := range msgs {
		if r := status(t, outboxes[0], m.ID); r.Status != "sent" || r.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts", m.ID, r.Status, r.Attempts)
		}
	}
}

// TestWorkerSMTPDown is issue 7's test: with the SMTP server down, queued
// mail waits and is retried; once the server is back, every message arrives
// exactly once, and the failed attempts are on record.
func TestWorkerSMTPDown(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	mp.Stop()
	o := postgres.NewOutbox(testenv.Postgres(t))
	reg := prometheus.NewRegistry()
	msgs := enqueue(t, o, 20, "down")
	start(t, mail.NewWorker(o, sender(t, mp, nil), fast(mail.WithMetrics(reg), mail.WithMaxAttempts(1000))...))
	eventually(t, 20*time.Second, "every message tried twice", func() bool {
		for _, m := range msgs {
			if r := status(t, o, m.ID); r.Attempts < 2 || r.Status != "pending" {
				return false
			}
		}
		return true
	})
	if r := status(t, o, msgs[0].ID); !strings.Contains(r.LastError, "connect") {
		t.Errorf("last_error %q", r.LastError)
	}
	mp.Start()
	deliveredOnce(t, mp, msgs)
	for _, m := range msgs {
		if r := status(t, o, m.ID); r.Status != "sent" || r.Attempts < 2 {
			t.Errorf("%s: %s after %d attempts", m.ID, r.Status, r.Attempts)
		}
	}
	if got := counter(t, reg, "meetline_mail_failed_total", "false"); got < 20 {
		t.Errorf(`meetline_mail_failed_total{final="false"} = %v, want ≥ 20`, got)
	}
	if got := counter(t, reg, "meetline_mail_sent_total", ""); got != 20 {
		t.Errorf("meetline_mail_sent_total = %v", got)
	}
}

// refusing is a transport whose server always answers 421, quoting the
// recipient as real servers do.
type refusing struct{}

func (refusing) Send(_ context.Context, msgs ...*core.Message) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = fmt.Errorf("421 4.7.0 <%s>: try again later", m.To)
	}
	return errs
}

// TestWorkerGivesUp: a message that keeps failing is kept as failed after
// MaxAttempts, with the error but without the address, in the database and
// in the log.
func TestWorkerGivesUp(t *testing.T) {
	t.Parallel()
	o := postgres.NewOutbox(testenv.Postgres(t))
	reg := prometheus.NewRegistry()
	var logs lockedBuffer
	msgs := enqueue(t, o, 1, "carol.jones")
	start(t, mail.NewWorker(o, refusing{}, fast(mail.WithMaxAttempts(3), mail.WithBackoff(time.Millisecond, 5*time.Millisecond),
		mail.WithMetrics(reg), mail.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))...))
	var r *postgres.OutboxRecord
	eventually(t, 10*time.Second, "the message failed", func() bool {
		r = status(t, o, msgs[0].ID)
		return r.Status == "failed"
	})
	if r.Attempts != 3 || r.LastError != "421 4.7.0 <[address]>: try again later" {
		t.Errorf("attempts %d, last_error %q", r.Attempts, r.LastError)
	}
	if f, nf := counter(t, reg, "meetline_mail_failed_total", "true"), counter(t, reg, "meetline_mail_failed_total", "false"); f != 1 || nf != 2 {
		t.Errorf("failed_total final=true %v, final=false %v; want 1 and 2", f, nf)
	}
	if l := logs.String(); strings.Contains(l, "carol.jones") || !strings.Contains(l, "[address]") {
		t.Errorf("log:\n%s", l)
	}
}

// TestWorkerPermanentFailure: a 5yz reply is not retried.
func TestWorkerPermanentFailure(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t, "--smtp-allowed-recipients", `^ok`)
	o := postgres.NewOutbox(testenv.Postgres(t))
	bad := enqueue(t, o, 1, "nobody")[0]
	good := enqueue(t, o, 1, "ok")
	start(t, mail.NewWorker(o, sender(t, mp, nil), fast()...))
	deliveredOnce(t, mp, good)
	var r *postgres.OutboxRecord
	eventually(t, 5*time.Second, "the message failed", func() bool {
		r = status(t, o, bad.ID)
		return r.Status == "failed"
	})
	if r.Attempts != 1 || !strings.Contains(r.LastError, "550") || strings.Contains(r.LastError, "nobody") {
		t.Errorf("attempts %d, last_error %q", r.Attempts, r.LastError)
	}
}
