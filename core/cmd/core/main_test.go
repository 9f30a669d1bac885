package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/core/testenv"
)

// TestServe runs the core as its main does, on the test's own database,
// bucket and key prefix, and stops it as SIGTERM would.
func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminAddr := adminLn.Addr().String()
	adminLn.Close()
	s3 := testenv.StorageConfig(t)
	keyFile := filepath.Join(t.TempDir(), "issuer.pem")
	env := getenv(map[string]string{
		"CORE_ADDR":                addr,
		"CORE_ADMIN_ADDR":          adminAddr,
		"DATABASE_URL":             testenv.DatabaseURL(t),
		"VALKEY_ADDR":              testenv.Getenv(t, "VALKEY_ADDR"),
		"VALKEY_PREFIX":            testenv.Name("serve:") + ":",
		"S3_ENDPOINT":              s3.Endpoint,
		"S3_ACCESS_KEY":            s3.AccessKey,
		"S3_SECRET_KEY":            s3.SecretKey,
		"S3_BUCKET":                s3.Bucket,
		"LIVEKIT_URL":              testenv.Getenv(t, "LIVEKIT_URL"),
		"LIVEKIT_API_KEY":          testenv.Getenv(t, "LIVEKIT_API_KEY"),
		"LIVEKIT_API_SECRET":       testenv.Getenv(t, "LIVEKIT_API_SECRET"),
		"LOG_LEVEL":                "warn",
		"CORE_DEV_ISSUER":          "true",
		"CORE_DEV_ISSUER_KEY_FILE": keyFile,
		"SERVICE_TOKENS":           "operator:operator-token-for-tests-0123456789abcdef",
		"STORAGE_WEBHOOK_TOKEN":    "storage-token-for-tests-0123456789abcdef",
	})

	if err := run(context.Background(), []string{"migrate"}, env, io.Discard); err != nil {
		t.Fatalf("core migrate: %v", err)
	}
	// core demo is idempotent: the same PIN both times.
	var demo1, demo2 bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, env, &demo1); err != nil {
		t.Fatalf("core demo: %v", err)
	}
	if err := run(context.Background(), []string{"demo"}, env, &demo2); err != nil {
		t.Fatalf("core demo again: %v", err)
	}
	if demo1.String() != demo2.String() || !strings.Contains(demo1.String(), "export DEMO_ROOM_PIN='") ||
		!strings.Contains(demo1.String(), "export DEMO_TRUNK_NUMBER='+33123456789'") {
		t.Errorf("core demo printed %q then %q", demo1.String(), demo2.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env, io.Discard) }()

	url := "http://" + addr
	var res *http.Response
	for deadline := time.Now().Add(20 * time.Second); ; {
		res, err = http.Get(url + "/readyz")
		if err == nil && res.StatusCode == http.StatusOK {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("core not ready: %v %v", res, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err = http.Post(url+"/meetline.v1.ConfigService/GetConfig", "application/json", bytes.NewBufferString("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"languages"`) {
		t.Errorf("GetConfig = %d %s", res.StatusCode, body)
	}

	// A token from `core token` signs alice in through the development issuer.
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"token", "--sub", "alice", "--email", "alice@example.org"}, env, &tok); err != nil {
		t.Fatal(err)
	}
	if body := post(t, url+"/meetline.v1.UserService/GetMe", strings.TrimSpace(tok.String()), 200); !strings.Contains(body, `"sub":"alice"`) {
		t.Errorf("GetMe as alice = %s", body)
	}
	post(t, url+"/meetline.v1.UserService/GetMe", "", 401)
	post(t, url+"/meetline.v1.RecordingService/ListRecordings", strings.TrimSpace(tok.String()), 200)
	post(t, url+"/webhooks/storage?token=storage-token-for-tests-0123456789abcdef", "", 400) // "{}" is no S3 event: wired and authenticated
	post(t, url+"/meetline.v1.TrunkService/ListTrunks", "operator-token-for-tests-0123456789abcdef", 200)
	res, err = http.Get(url + "/dev-issuer/.well-known/openid-configuration")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("discovery: %v %v", res, err)
	}
	res.Body.Close()
	// Metrics on the admin listener only.
	for _, tt := range []struct {
		base string
		want int
	}{{url, 404}, {"http://" + adminAddr, 200}} {
		if res, err = http.Get(tt.base + "/metrics"); err != nil || res.StatusCode != tt.want {
			t.Errorf("%s/metrics: %v %v, want %d", tt.base, res, err, tt.want)
		} else {
			res.Body.Close()
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after cancel, want nil", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("core did not stop after cancel")
	}
}

func TestRunRejectsUnknownCommand(t *testing.T) {
	err := run(context.Background(), []string{"frobnicate"}, getenv(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Errorf("err = %v", err)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	err := run(context.Background(), nil, getenv(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("err = %v", err)
	}
}

// post sends an empty JSON request with an optional bearer token, checks the
// status and returns the body.
func post(t *testing.T, url, token string, status int) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewBufferString("{}"))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Errorf("POST %s = %d %s, want %d", url, res.StatusCode, body, status)
	}
	return string(body)
}

func TestTokenNeedsSub(t *testing.T) {
	err := run(context.Background(), []string{"token", "--email", "a@example.org"}, getenv(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--sub") {
		t.Errorf("err = %v", err)
	}
}

// getenv reads vars as the environment.
func getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestConfigCheck prints the effective configuration, defaults and derived
// values included, with every secret masked, then fails naming every bad
// variable at once.
func TestConfigCheck(t *testing.T) {
	vars := map[string]string{
		"DATABASE_URL": "postgres://meetline:dbpass@db/meetline", "VALKEY_ADDR": "valkey:6379",
		"S3_ENDPOINT": "http://minio:9000", "S3_ACCESS_KEY": "meetline", "S3_SECRET_KEY": "s3-secret-789",
		"LIVEKIT_URL": "http://livekit:7880", "LIVEKIT_API_KEY": "key", "LIVEKIT_API_SECRET": "lk-secret-012",
		"SERVICE_TOKENS": "operator:op-token-123-0123456789abcdef0123456789", "LOBBY_TICKET_SECRET": "ticket-secret-456-0123456789abcdef0123456789",
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"config", "check"}, getenv(vars), &out); err != nil {
		t.Fatalf("config check: %v", err)
	}
	for _, want := range []string{`CORE_ADDR="127.0.0.1:8080"`, `CORE_PUBLIC_URL="http://127.0.0.1:8080"`,
		`DATABASE_URL="postgres://meetline:xxxxx@db/meetline"`, `LIVEKIT_API_SECRET="********"`,
		`SERVICE_TOKENS="********"`, `LOBBY_TICKET_SECRET="********"`, `VALKEY_PASSWORD=""`, `PIN_RETRIES="5"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config check lacks %s:\n%s", want, out.String())
		}
	}
	for _, secret := range []string{"dbpass", "s3-secret-789", "lk-secret-012", "op-token-123", "ticket-secret-456"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("config check printed the secret %q", secret)
		}
	}

	out.Reset()
	vars["DATABASE_URL"], vars["PIN_RETRIES"], vars["LOG_LEVEL"] = "", "0", "loud"
	err := run(context.Background(), []string{"config", "check"}, getenv(vars), &out)
	for _, want := range []string{"DATABASE_URL is required", `PIN_RETRIES="0"`, `LOG_LEVEL="loud"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config check error %v lacks %s", err, want)
		}
	}
	if !strings.Contains(out.String(), "LIVEKIT_URL=") {
		t.Errorf("a failing config check printed no configuration:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"config"}, getenv(vars), io.Discard); err == nil {
		t.Error("core config without check: no error")
	}
}
