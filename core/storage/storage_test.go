package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/testenv"
)

func TestPing(t *testing.T) {
	t.Parallel()
	cfg := testenv.StorageConfig(t)
	b, err := storage.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Ping(context.Background()); err != nil {
		t.Errorf("Ping = %v", err)
	}

	cfg.Bucket = testenv.Name("missing-")
	b, _ = storage.Open(cfg)
	if err := b.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Ping(missing bucket) = %v", err)
	}

	cfg = testenv.StorageConfig(t)
	cfg.SecretKey = "wrong"
	b, _ = storage.Open(cfg)
	if err := b.Ping(context.Background()); err == nil {
		t.Error("Ping with a wrong secret succeeded")
	}
}

func TestOpenRejectsEndpoint(t *testing.T) {
	for _, endpoint := range []string{"", "127.0.0.1:9000", "ftp://host", "http://"} {
		if _, err := storage.Open(storage.Config{Endpoint: endpoint}); err == nil {
			t.Errorf("Open(%q) succeeded", endpoint)
		}
	}
}
