package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/oidc"
)

// identity returns the verifier of users' tokens, and the development issuer
// when there is one. With CORE_DEV_ISSUER the
// core is its own identity provider, served under /dev-issuer/ on mux and
// trusted without an HTTP round trip to itself; production configures
// OIDC_ISSUER_URL and never sets CORE_DEV_ISSUER.
func identity(ctx context.Context, cfg Config, mux *http.ServeMux, log *slog.Logger) (api.TokenVerifier, *oidc.DevIssuer, error) {
	if cfg.DevIssuer {
		key, err := oidc.LoadOrCreateKey(cfg.DevIssuerKeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("development issuer: %w", err)
		}
		issuer := oidc.NewDevIssuer(cfg.DevIssuerURL(), cfg.OIDCAudience, key)
		mux.Handle("/dev-issuer/", http.StripPrefix("/dev-issuer", issuer))
		log.Warn("development identity issuer enabled: anyone with its key signs in as anyone", "issuer", cfg.DevIssuerURL())
		if cfg.OIDCIssuerURL == cfg.DevIssuerURL() {
			v, err := oidc.NewVerifier(ctx, cfg.OIDCIssuerURL, cfg.OIDCAudience, oidc.WithKeySet(issuer.KeySet()))
			return v, issuer, err
		}
	}
	if cfg.OIDCIssuerURL == "" {
		log.Warn("no OIDC_ISSUER_URL: users cannot sign in; service tokens only")
		return nil, nil, nil
	}
	v, err := oidc.NewVerifier(ctx, cfg.OIDCIssuerURL, cfg.OIDCAudience)
	return v, nil, err
}
