package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/oidc"
	"github.com/meetline/meetline/internal/envconf"
)

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
	cfg := app.Defaults()
	l := envconf.New(getenv)
	l.String(&cfg.Addr, "CORE_ADDR")
	l.String(&cfg.PublicURL, "CORE_PUBLIC_URL")
	l.String(&cfg.OIDCAudience, "OIDC_AUDIENCE")
	l.String(&cfg.DevIssuerKeyFile, "CORE_DEV_ISSUER_KEY_FILE")
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.Addr
	}
	key, err := oidc.LoadOrCreateKey(cfg.DevIssuerKeyFile)
	if err != nil {
		return err
	}
	issuer := oidc.NewDevIssuer(cfg.DevIssuerURL(), cfg.OIDCAudience, key)
	tok, err := issuer.Sign(oidc.DevClaims{Sub: *sub, Email: *email, GivenName: *given, UsualName: *usual}, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
