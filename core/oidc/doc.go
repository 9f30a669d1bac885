// Package oidc tells the core who a web client is.
//
// Web clients sign in with the organisation's OpenID provider and send the
// identity token they got as "Authorization: Bearer <token>". A [Verifier]
// checks that token against the provider's published keys (discovered from
// its /.well-known/openid-configuration) and turns it into [core.Claims]; the
// cryptography and the JWT parsing are go-oidc's and go-jose's, not ours. The
// verifier is the first code to read untrusted input on every web request, so
// everything it rejects is a plain EUNAUTHORIZED whose message never echoes
// the token.
//
// For development there is no provider to sign in with, so [DevIssuer] is a
// minimal one: it keeps a signing key on disk ([LoadOrCreateKey]), serves the
// discovery document and the key set, and mints tokens for whatever subject
// the developer asks for ("core token --sub alice"). Production configuration
// names a real issuer and never mounts a DevIssuer.
package oidc
