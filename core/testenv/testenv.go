// Package testenv gives each test its own slice of the real services that
// `make test` starts (deploy/local): a migrated database cloned from a
// template, a Valkey key prefix, an S3 bucket and LiveKit room names, so that
// packages run in parallel without seeing each other's data. Core builds a
// whole core on such slices through core/app, as the core's main does.
//
// A test that needs a service and does not find it fails, saying to run
// `make test`; it never skips.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// Getenv returns the variable's value or fails the test.
func Getenv(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: this test needs the local services; run `make test` "+
			"(or `make up && . .run/env` before `go test`)", name)
	}
	return v
}

// Name returns a short random name with the given prefix, unique across
// concurrent test runs: use it for anything the test creates in a shared service.
func Name(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Logger returns a logger that writes to the test's log, shown when it fails.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
