package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	"github.com/minio/minio-go/v7"

	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/valkey"
)

// Valkey returns a client whose keys live under a prefix of the test's own;
// they are deleted when the test ends.
func Valkey(t testing.TB) *valkey.Client {
	t.Helper()
	ctx := context.Background()
	c, err := valkey.Open(ctx, Getenv(t, "VALKEY_ADDR"), Name("test:")+":")
	if err != nil {
		t.Fatalf("testenv: %v (run `make test`)", err)
	}
	t.Cleanup(func() {
		deletePrefix(c)
		c.Close()
	})
	return c
}

// deletePrefix deletes every key under c's prefix.
func deletePrefix(c *valkey.Client) {
	ctx := context.Background()
	var cursor uint64
	for {
		e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(c.Prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			return
		}
		if len(e.Elements) > 0 {
			c.Do(ctx, c.B().Del().Key(e.Elements...).Build())
		}
		if cursor = e.Cursor; cursor == 0 {
			return
		}
	}
}

// StorageConfig creates a bucket of the test's own and returns the
// configuration that reaches it. The bucket and its objects are removed when
// the test ends.
func StorageConfig(t testing.TB) storage.Config {
	t.Helper()
	cfg := storage.Config{
		Endpoint:  Getenv(t, "S3_ENDPOINT"),
		AccessKey: Getenv(t, "S3_ACCESS_KEY"),
		SecretKey: Getenv(t, "S3_SECRET_KEY"),
		Region:    "us-east-1",
		Bucket:    Name("t-"),
	}
	b, err := storage.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
		t.Fatalf("testenv: make bucket: %v (run `make test`)", err)
	}
	t.Cleanup(func() {
		objects := b.Client.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true})
		for range b.Client.RemoveObjects(ctx, cfg.Bucket, objects, minio.RemoveObjectsOptions{}) {
		}
		b.Client.RemoveBucket(ctx, cfg.Bucket)
	})
	return cfg
}

// LiveKit returns the configuration of the local LiveKit server and a room
// name prefix of the test's own; rooms with that prefix are deleted when the
// test ends.
func LiveKit(t testing.TB) (cfg livekit.Config, roomPrefix string) {
	t.Helper()
	cfg = livekit.Config{
		URL:       Getenv(t, "LIVEKIT_URL"),
		APIKey:    Getenv(t, "LIVEKIT_API_KEY"),
		APISecret: Getenv(t, "LIVEKIT_API_SECRET"),
	}
	roomPrefix = Name("t-") + "-"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c := livekit.New(cfg)
		res, err := c.Rooms.ListRooms(ctx, &lkproto.ListRoomsRequest{})
		if err != nil {
			return
		}
		for _, r := range res.Rooms {
			if strings.HasPrefix(r.Name, roomPrefix) {
				c.Rooms.DeleteRoom(ctx, &lkproto.DeleteRoomRequest{Room: r.Name})
			}
		}
	})
	return cfg, roomPrefix
}
