package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meetline/meetline/sipgate"
)

// syncBuffer is a bytes.Buffer safe for the logger's writes and the test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunRejectsBadEnvironment(t *testing.T) {
	getenv := func(name string) string {
		if name == sipgate.EnvDrainTimeout {
			return "soon"
		}
		return ""
	}
	err := run(context.Background(), getenv, &syncBuffer{})
	if err == nil || !strings.Contains(err.Error(), sipgate.EnvDrainTimeout) {
		t.Fatalf("run = %v, want an error naming %s", err, sipgate.EnvDrainTimeout)
	}
}

// TestRunDrainsOnSignal stands in for SIGTERM by cancelling run's context: run must drain and return nil,
// which main turns into exit status 0.
func TestRunDrainsOnSignal(t *testing.T) {
	env := map[string]string{
		sipgate.EnvSIPAddr:      "127.0.0.1:0",
		sipgate.EnvHTTPAddr:     "127.0.0.1:0",
		sipgate.EnvDrainTimeout: "5s",
		sipgate.EnvCoreURL:      "http://127.0.0.1:9", // never called: no INVITE in this test
		sipgate.EnvCoreToken:    "test-token",
		sipgate.EnvRTPPorts:     "40000-40099",
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, logs) }()

	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"msg":"sip listening"`) {
		if time.Now().After(deadline) {
			t.Fatalf("sipgate never listened; logs:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v, want nil; logs:\n%s", err, logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("run did not return after the signal; logs:\n%s", logs)
	}
	for _, want := range []string{`"msg":"sip draining"`, `"msg":"stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}
