package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/oidc"
)

// identity returns the verifier of users' tokens. With CORE_DEV_ISSUER the
// core is its own identity provider, served under /dev-issuer/ on mux and
// trusted without an HTTP round trip to itself; production configures
// OIDC_ISSUER_URL and never sets CORE_DEV_ISSUER.
func identity(ctx context.Context, cfg config, mux *http.ServeMux, log *slog.Logger) (api.TokenVerifier, error) {
	if cfg.DevIssuer {
		key, err := oidc.LoadOrCreateKey(cfg.DevIssuerKeyFile)
		if err != nil {
			return nil, fmt.Errorf("development issuer: %w", err)
		}
		issuer := oidc.NewDevIssuer(cfg.DevIssuerURL(), cfg.OIDCAudience, key)
		mux.Handle("/dev-issuer/", http.StripPrefix("/dev-issuer", issuer))
		log.Warn("development identity issuer enabled: anyone with its key signs in as anyone", "issuer", cfg.DevIssuerURL())
		if cfg.OIDCIssuerURL == cfg.DevIssuerURL() {
			return oidc.NewVerifier(ctx, cfg.OIDCIssuerURL, cfg.OIDCAudience, oidc.WithKeySet(issuer.KeySet()))
		}
	}
	if cfg.OIDCIssuerURL == "" {
		log.Warn("no OIDC_ISSUER_URL: users cannot sign in; service tokens only")
		return nil, nil
	}
	return oidc.NewVerifier(ctx, cfg.OIDCIssuerURL, cfg.OIDCAudience)
}

// printToken implements `core token --sub alice --email alice@example.org`:
// it signs a token with the development issuer's key, for `make run` and
// scripts. It reads CORE_ADDR/CORE_PUBLIC_URL, OIDC_AUDIENCE and
// CORE_DEV_ISSUER_KEY_FILE, nothing else.
func printToken(args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("core token", flag.ContinueOnError)
	sub := fs.String("sub", "", "subject (required)")
	email := fs.String("email", "", "e-mail address")
	given := fs.String("given-name", "", "given name (default: the subject, capitalised)")
	usual := fs.String("usual-name", "", "usual (family) name")
	ttl := fs.Duration("ttl", 12*time.Hour, "validity")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sub == "" {
		return fmt.Errorf("core token: --sub is required")
	}
	if *given == "" {
		*given = strings.ToUpper((*sub)[:1]) + (*sub)[1:]
	}
	e := &env{getenv: getenv}
	cfg := config{Addr: e.str("CORE_ADDR", "127.0.0.1:8080"), PublicURL: e.str("CORE_PUBLIC_URL", "")}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.Addr
	}
	key, err := oidc.LoadOrCreateKey(e.str("CORE_DEV_ISSUER_KEY_FILE", ".run/dev-issuer.pem"))
	if err != nil {
		return err
	}
	issuer := oidc.NewDevIssuer(cfg.DevIssuerURL(), e.str("OIDC_AUDIENCE", "meetline"), key)
	tok, err := issuer.Sign(oidc.DevClaims{Sub: *sub, Email: *email, GivenName: *given, UsualName: *usual}, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
