package testenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/meetline/meetline/core/storage"
)

// S3Events starts a versitygw of the test's own that posts its object
// events to webhookURL (which must already answer: versitygw sends a test
// event at start and refuses to run without a reply), with one bucket, and
// returns its configuration. It stops when the test ends.
func S3Events(t testing.TB, webhookURL string) storage.Config {
	t.Helper()
	bin := filepath.Join(Getenv(t, "MEETLINE_TOOLS"), "bin", "versitygw")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("testenv: %v: run `make test`", err)
	}
	port := freePort(t, "tcp")
	cfg := storage.Config{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), AccessKey: "events-key",
		SecretKey: "events-secret", Region: "us-east-1", Bucket: "recordings-bucket"}
	dir := t.TempDir()
	log, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--port", "127.0.0.1:"+strconv.Itoa(port), "--access", cfg.AccessKey, "--secret", cfg.SecretKey,
		"--event-webhook-url", webhookURL, "posix", filepath.Join(dir, "data"))
	os.MkdirAll(filepath.Join(dir, "data"), 0o700)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
	})
	b, err := storage.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		err := b.Client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err == nil {
			return cfg
		}
		if ctx.Err() != nil {
			out, _ := os.ReadFile(log.Name())
			t.Fatalf("testenv: versitygw with events did not start: %v\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
