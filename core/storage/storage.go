// Package storage keeps recordings in S3-compatible object storage (MinIO,
// versitygw, AWS) through minio-go.
package storage

import (
	"context"
	"fmt"
	"net/url"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Bucket is the one bucket the core reads and writes.
type Bucket struct {
	Client *minio.Client
	Name   string
	cfg    Config
}

// Config says where the bucket is.
type Config struct {
	Endpoint  string // URL: http://host:port or https://host
	AccessKey string
	SecretKey string
	Region    string
	Bucket    string
}

// Open returns a Bucket for cfg. It does not contact the server; Ping does.
// Path-style addressing works with every S3 implementation, virtual-host style
// only with those that have DNS for it.
func Open(cfg Config) (*Bucket, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("storage: endpoint %q is not an http(s) URL", cfg.Endpoint)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return &Bucket{Client: c, Name: cfg.Bucket, cfg: cfg}, nil
}

// BucketName is the bucket's name.
func (b *Bucket) BucketName() string { return b.Name }

// Ping checks the bucket exists and the credentials can see it.
func (b *Bucket) Ping(ctx context.Context) error {
	ok, err := b.Client.BucketExists(ctx, b.Name)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if !ok {
		return fmt.Errorf("storage: bucket %q does not exist", b.Name)
	}
	return nil
}
