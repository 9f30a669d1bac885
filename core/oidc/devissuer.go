package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DevClaims are what a development token says about its bearer.
type DevClaims struct {
	Sub       string
	Email     string
	GivenName string
	UsualName string
	Locale    string
	Zoneinfo  string
}

// A DevIssuer is a development OpenID provider: it signs identity tokens
// with one ES256 key and, as an [http.Handler], serves what verifiers need
// to check them, relative to where it is mounted:
//
//	/.well-known/openid-configuration  the discovery document
//	/jwks                              the public key, as a JWK set
//
// It has no authorization endpoint: tokens come from [DevIssuer.Sign].
type DevIssuer struct {
	issuer   string
	audience string
	key      *ecdsa.PrivateKey
	signer   jose.Signer
	discover []byte // the discovery document
	jwks     []byte // the key set
	kid      string
}

// NewDevIssuer returns an issuer whose tokens name issuerURL as their issuer
// and audience as their audience; issuerURL is where the DevIssuer is served.
// key is from [LoadOrCreateKey]; NewDevIssuer panics if it is not on a NIST
// curve go-jose can sign with (P-256, P-384, P-521).
func NewDevIssuer(issuerURL, audience string, key *ecdsa.PrivateKey) *DevIssuer {
	var alg jose.SignatureAlgorithm
	switch key.Curve {
	case elliptic.P256():
		alg = jose.ES256
	case elliptic.P384():
		alg = jose.ES384
	case elliptic.P521():
		alg = jose.ES512
	default:
		panic("oidc: NewDevIssuer: unsupported key curve")
	}
	jwk := jose.JSONWebKey{Key: key.Public(), Algorithm: string(alg), Use: "sig"}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		panic("oidc: NewDevIssuer: " + err.Error())
	}
	// The RFC 7638 thumbprint: derived from the key, so stable across restarts.
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), jwk.KeyID))
	if err != nil {
		panic("oidc: NewDevIssuer: " + err.Error())
	}
	base := strings.TrimSuffix(issuerURL, "/")
	discover, err := json.Marshal(map[string]any{
		"issuer":                                issuerURL,
		"jwks_uri":                              base + "/jwks",
		"id_token_signing_alg_values_supported": []string{string(alg)},
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"claims_supported":                      []string{"iss", "aud", "sub", "iat", "exp", "nbf", "email", "given_name", "usual_name"},
	})
	if err != nil {
		panic("oidc: NewDevIssuer: " + err.Error())
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
	if err != nil {
		panic("oidc: NewDevIssuer: " + err.Error())
	}
	return &DevIssuer{
		issuer:   issuerURL,
		audience: audience,
		key:      key,
		signer:   signer,
		discover: discover,
		jwks:     jwks,
		kid:      jwk.KeyID,
	}
}

// devTokenClaims is the payload of a development token.
type devTokenClaims struct {
	jwt.Claims
	Email     string `json:"email,omitempty"`
	GivenName string `json:"given_name,omitempty"`
	UsualName string `json:"usual_name,omitempty"`
	Locale    string `json:"locale,omitempty"`
	Zoneinfo  string `json:"zoneinfo,omitempty"`
}

// Sign returns a token for claims, valid from now for ttl.
func (d *DevIssuer) Sign(claims DevClaims, ttl time.Duration) (string, error) {
	if claims.Sub == "" {
		return "", errors.New("oidc: a token needs a subject")
	}
	if ttl <= 0 {
		return "", errors.New("oidc: a token needs a positive lifetime")
	}
	now := time.Now()
	return d.sign(devTokenClaims{
		Claims: jwt.Claims{
			Issuer:    d.issuer,
			Audience:  jwt.Audience{d.audience},
			Subject:   claims.Sub,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			Expiry:    jwt.NewNumericDate(now.Add(ttl)),
		},
		Email:     claims.Email,
		GivenName: claims.GivenName,
		UsualName: claims.UsualName,
		Locale:    claims.Locale,
		Zoneinfo:  claims.Zoneinfo,
	})
}

// sign signs any payload with the issuer's key and kid; tests use it to
// make tokens Sign would refuse to.
func (d *DevIssuer) sign(payload any) (string, error) {
	return jwt.Signed(d.signer).Claims(payload).Serialize()
}

// KeySet returns the issuer's public key as a key set, for a [Verifier] made
// [WithKeySet] in the same process.
func (d *DevIssuer) KeySet() gooidc.KeySet {
	return &gooidc.StaticKeySet{PublicKeys: []crypto.PublicKey{d.key.Public()}}
}

// ServeHTTP serves the discovery document and the key set. It is meant to be
// mounted with [http.StripPrefix] at the issuer URL's path.
func (d *DevIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	switch strings.TrimPrefix(r.URL.Path, "/") {
	case ".well-known/openid-configuration":
		body = d.discover
	case "jwks":
		body = d.jwks
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}
