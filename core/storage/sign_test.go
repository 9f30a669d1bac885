package storage_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/testenv"
)

// TestSignedDownloads uploads to the real S3 service and downloads the
// object the two ways browsers will: with the headers nginx adds after
// media auth, and with a presigned URL.
func TestSignedDownloads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, err := storage.Open(testenv.StorageConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	const key = "recordings/3b1d2c4e-0000-4000-8000-000000000001.ogg"
	content := []byte("OggS fake recording")
	if _, err := b.Client.PutObject(ctx, b.Name, key, bytes.NewReader(content), int64(len(content)),
		minio.PutObjectOptions{ContentType: "audio/ogg"}); err != nil {
		t.Fatal(err)
	}
	get := func(url string, h http.Header) (int, []byte) {
		req, _ := http.NewRequest("GET", url, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, body
	}

	h, err := b.SignedGetHeaders(key)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(b.ObjectURL(key), h); code != 200 || !bytes.Equal(body, content) {
		t.Errorf("GET with signed headers = %d %q", code, body)
	}
	if code, _ := get(b.ObjectURL(key), nil); code == 200 {
		t.Error("an unsigned GET succeeded")
	}
	if code, _ := get(b.ObjectURL("recordings/other.ogg"), h); code == 200 {
		t.Error("headers signed for one key opened another")
	}

	u, err := b.PresignedGet(ctx, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(u, nil); code != 200 || !bytes.Equal(body, content) {
		t.Errorf("presigned GET = %d %q", code, body)
	}
}
