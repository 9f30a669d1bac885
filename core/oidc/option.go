package oidc

import (
	"net/http"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

// defaultHTTPTimeout bounds discovery and key-set fetches when the caller
// brings no client. It matters: go-oidc refreshes keys in a background request
// that ignores the caller's context, and while one refresh hangs every later
// one waits for it, so a client without a timeout could freeze key rotation.
const defaultHTTPTimeout = 10 * time.Second

// An Option configures a [Verifier].
type Option func(*options)

type options struct {
	client *http.Client
	keySet gooidc.KeySet
}

// WithHTTPClient makes the verifier fetch the discovery document and the
// issuer's keys with client. Give it a timeout.
func WithHTTPClient(client *http.Client) Option {
	return func(o *options) { o.client = client }
}

// WithKeySet makes the verifier check signatures against keys instead of the
// issuer's published ones, and skip discovery: no request is made at all. The
// core uses it with [DevIssuer.KeySet] to verify its own development tokens
// without calling itself while it starts.
func WithKeySet(keys gooidc.KeySet) Option {
	return func(o *options) { o.keySet = keys }
}
