// Package web serves meetline's web console: a single-page app (TypeScript,
// core/web/src) that signs a person in, lists their rooms, joins meetings with
// LiveKit's browser SDK and talks to the core only through the Connect
// clients generated from rpc/meetline/v1. `make web` builds it into dist/,
// which is committed and embedded here, so running the core needs no Node.
//
// The console shares the core's port and origin: [New] wraps the core's API
// handler and keeps for itself only what the app needs (see [New]); every
// other request goes on to the API.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/meetline/meetline/core/oidc"
)

//go:embed dist
var dist embed.FS

// Config says how people sign in to the console.
type Config struct {
	// Issuer and ClientID are the OpenID provider people sign in with
	// (OIDC_ISSUER_URL and OIDC_AUDIENCE): the app runs the authorization
	// code flow with PKCE against it and sends the identity token it gets
	// to the core as a bearer token. Empty Issuer: nobody can sign in.
	Issuer, ClientID string
	// Scopes are those the app asks the provider for; "openid email profile"
	// when empty.
	Scopes string
	// DevKeyFile, when set, makes the console sign people in itself, as the
	// development issuer whose key it is (CORE_DEV_ISSUER_KEY_FILE; Issuer
	// must then be that issuer's URL): the sign-in page asks for a name and
	// an address and gets a token for them. Development only: anyone who
	// reaches the page signs in as anyone.
	DevKeyFile string
	// DevTokenTTL is the validity of those tokens; 12 hours when zero.
	DevTokenTTL time.Duration
}

// asset is one file of dist, ready to serve.
type asset struct {
	body, gz    []byte
	contentType string
	etag        string
}

type handler struct {
	next   http.Handler
	assets map[string]*asset // by URL path: "/index.html", "/assets/app.js"
	config []byte            // GET /console/config
	dev    *oidc.DevIssuer
	ttl    time.Duration
}

// New returns a handler that serves the console and passes every other
// request to next:
//
//	GET /, GET /<slug>       the app (index.html): its start page, and a room's page (the links in invitations)
//	GET /recordings/<id>     the app's page of a recording (the link in "your recording is ready")
//	GET /operator/<page>     the operators' pages: trunks, live, calls
//	GET /console/settings    the app's page of the person's language and time zone
//	GET /assets/…            the app's script and style sheet
//	GET /console/config      how to sign in, as JSON
//	POST /console/dev-token  a development identity token (with DevKeyFile only)
//
// A slug is what core.Slugify makes (lower-case letters, digits and dashes);
// the API's own one-segment paths (/healthz, /readyz, /metrics, /media-auth)
// stay the API's.
func New(next http.Handler, cfg Config) (http.Handler, error) {
	assets, err := loadAssets()
	if err != nil {
		return nil, err
	}
	h := &handler{next: next, assets: assets, ttl: cfg.DevTokenTTL}
	if h.ttl <= 0 {
		h.ttl = 12 * time.Hour
	}
	mode := map[string]string{"signIn": "none"}
	switch {
	case cfg.DevKeyFile != "":
		key, err := oidc.LoadOrCreateKey(cfg.DevKeyFile)
		if err != nil {
			return nil, fmt.Errorf("web: development issuer: %w", err)
		}
		h.dev = oidc.NewDevIssuer(cfg.Issuer, cfg.ClientID, key)
		mode["signIn"] = "dev"
	case cfg.Issuer != "":
		mode = map[string]string{"signIn": "oidc", "issuer": cfg.Issuer, "clientId": cfg.ClientID, "scopes": cfg.Scopes}
	}
	if h.config, err = json.Marshal(mode); err != nil {
		return nil, err
	}
	return h, nil
}

// loadAssets reads dist once per process, and compresses what gains from it.
var loadAssets = sync.OnceValues(func() (map[string]*asset, error) {
	assets := map[string]*asset{}
	err := fs.WalkDir(dist, "dist", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := dist.ReadFile(name)
		if err != nil {
			return err
		}
		assets[strings.TrimPrefix(name, "dist")] = newAsset(name, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if assets["/index.html"] == nil {
		return nil, fmt.Errorf("web: dist/index.html is missing: run make web")
	}
	return assets, nil
})

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	a := &asset{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
		contentType: mime.TypeByExtension(path.Ext(name))}
	if a.contentType == "" {
		a.contentType = "application/octet-stream"
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(body)
	zw.Close()
	if buf.Len() < len(body)*9/10 {
		a.gz = buf.Bytes()
	}
	return a
}

// slug matches what core.Slugify makes, and room ids.
var slug = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// recordingPath is a recording's page: the recording ready e-mail's link.
var recordingPath = regexp.MustCompile(`^/recordings/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// operatorPath is one of the operators' pages.
var operatorPath = regexp.MustCompile(`^/operator/(trunks|live|calls)$`)

// settingsPath is the signed-in person's settings page, under /console/ so
// that no room's slug takes it.
const settingsPath = "/console/settings"

// apiPaths are the API's paths of one segment, which look like slugs.
var apiPaths = map[string]bool{"healthz": true, "readyz": true, "metrics": true, "media-auth": true}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case p == "/console/config" && get:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(h.config)
	case p == "/console/dev-token" && r.Method == http.MethodPost && h.dev != nil:
		h.devToken(w, r)
	case strings.HasPrefix(p, "/assets/") && get:
		a := h.assets[p]
		if a == nil {
			http.NotFound(w, r)
			return
		}
		h.serve(w, r, a)
	case get && (p == "/" || p == settingsPath || isRoomPath(p) || recordingPath.MatchString(p) || operatorPath.MatchString(p)):
		setPageHeaders(w.Header())
		h.serve(w, r, h.assets["/index.html"])
	default:
		h.next.ServeHTTP(w, r)
	}
}

func isRoomPath(p string) bool {
	s := strings.TrimPrefix(p, "/")
	return len(s) <= 100 && slug.MatchString(s) && !apiPaths[s]
}

// setPageHeaders keeps the page to its own scripts and styles. Connections
// may go elsewhere: LiveKit's server (LIVEKIT_PUBLIC_URL, WebSocket and
// HTTP), the OpenID provider's token endpoint, the bucket's download links.
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"media-src 'self' blob: mediastream:; connect-src 'self' http: https: ws: wss:; worker-src 'self' blob:; "+
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self)")
}

// serve writes a, compressed when the client takes gzip; browsers revalidate
// every time (the names are not content-hashed) and get 304 while unchanged.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, a *asset) {
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", a.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = a.gz
		hd.Set("Content-Encoding", "gzip")
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func acceptsGzip(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
		coding, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0"
		}
	}
	return false
}

// devToken signs a development identity token for the name and address
// posted: the subject is the address, in lower case, so that one address is
// one user whatever name comes with it (`core token --sub` signs the same).
func (h *handler) devToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		http.Error(w, "want a JSON object with name and email", http.StatusBadRequest)
		return
	}
	name, email := strings.TrimSpace(in.Name), strings.ToLower(strings.TrimSpace(in.Email))
	local, domain, ok := strings.Cut(email, "@")
	switch {
	case name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name):
		http.Error(w, "the name must have 1 to 100 characters", http.StatusBadRequest)
		return
	case !ok || local == "" || domain == "" || len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>"):
		http.Error(w, "the e-mail address is not valid", http.StatusBadRequest)
		return
	}
	given, usual, _ := strings.Cut(name, " ")
	tok, err := h.dev.Sign(oidc.DevClaims{Sub: email, Email: email, GivenName: given, UsualName: strings.TrimSpace(usual)}, h.ttl)
	if err != nil {
		http.Error(w, "could not sign a token", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]string{"token": tok})
}
