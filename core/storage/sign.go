package storage

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// emptySHA256 is the SHA-256 of an empty body, which a GET carries.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// ObjectURL is the path-style URL of key in the bucket.
func (b *Bucket) ObjectURL(key string) string {
	escaped := make([]string, 0, 4)
	for _, part := range strings.Split(key, "/") {
		escaped = append(escaped, url.PathEscape(part))
	}
	return strings.TrimRight(b.cfg.Endpoint, "/") + "/" + url.PathEscape(b.Name) + "/" + strings.Join(escaped, "/")
}

// SignedGetHeaders returns the headers that make a GET of key acceptable to
// the S3 service: Authorization, X-Amz-Date and X-Amz-Content-Sha256 (AWS
// Signature Version 4). nginx's auth_request hands them on, so browsers
// download recordings from the bucket directly, after the core said yes.
func (b *Bucket) SignedGetHeaders(key string) (map[string][]string, error) {
	req, err := http.NewRequest(http.MethodGet, b.ObjectURL(key), nil)
	if err != nil {
		return nil, fmt.Errorf("storage: sign: %w", err)
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	signed := signer.SignV4(*req, b.cfg.AccessKey, b.cfg.SecretKey, "", b.cfg.Region)
	h := http.Header{}
	for _, name := range []string{"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256"} {
		h.Set(name, signed.Header.Get(name))
	}
	return h, nil
}

// PresignedGet returns a URL that downloads key without credentials until ttl passes.
func (b *Bucket) PresignedGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	u, err := b.Client.PresignedGetObject(ctx, b.Name, key, ttl, nil)
	if err != nil {
		return "", fmt.Errorf("storage: presign: %w", err)
	}
	return u.String(), nil
}

// Remove deletes key; a key already gone is no error.
func (b *Bucket) Remove(ctx context.Context, key string) error {
	if err := b.Client.RemoveObject(ctx, b.Name, key, minio.RemoveObjectOptions{}); err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return nil
		}
		return fmt.Errorf("storage: remove: %w", err)
	}
	return nil
}
