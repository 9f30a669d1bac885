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

// TestConfigCheck prints every variable with its effective value, secrets masked, and names every bad one.
func TestConfigCheck(t *testing.T) {
	vars := map[string]string{sipgate.EnvCoreURL: "http://core:8080", sipgate.EnvCoreToken: "sipgate-secret-token",
		sipgate.EnvLiveKitSIPPassword: "lk-password", sipgate.EnvRTPPorts: "30000-30100"}
	var out bytes.Buffer
	if err := checkConfig(func(name string) string { return vars[name] }, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`SIPGATE_SIP_ADDR="127.0.0.1:5060"`, `SIPGATE_CORE_URL="http://core:8080"`,
		`SIPGATE_CORE_TOKEN="********"`, `SIPGATE_LIVEKIT_SIP_PASSWORD="********"`, `SIPGATE_RTP_PORTS="30000-30100"`,
		`SIPGATE_MAX_CALLS="500"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config check lacks %s:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "sipgate-secret-token") || strings.Contains(out.String(), "lk-password") {
		t.Errorf("config check printed a secret:\n%s", out.String())
	}
	vars = map[string]string{sipgate.EnvMaxCalls: "many", sipgate.EnvRTPIP: "0.0.0.0"}
	err := checkConfig(func(name string) string { return vars[name] }, &out)
	for _, name := range []string{sipgate.EnvMaxCalls, sipgate.EnvRTPIP, sipgate.EnvCoreURL, sipgate.EnvCoreToken} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}
