package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	lkproto "github.com/livekit/protocol/livekit"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/internal/envconf"
)

// Config is everything the core reads from its environment; LoadConfig names
// each variable and its default, and README.md lists them for operators.
type Config struct {
	Addr string
	// AdminAddr (CORE_ADMIN_ADDR) serves the operators' endpoints: metrics,
	// detailed readiness, reflection and profiles (App.AdminHandler). Keep it
	// off any proxy and off the internet.
	AdminAddr       string
	PublicURL       string
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	// ReadHeaderTimeout, ReadTimeout and IdleTimeout bound how long a client
	// may take to send a request's headers, then its body, and how long an
	// idle connection stays open (HTTPServer).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	// MaxConnAge is how long a client connection serves new requests before
	// the core asks the client to open another (HTTPServer, retireConns).
	MaxConnAge     time.Duration
	MigrateOnStart bool

	DatabaseURL string

	ValkeyAddr     string
	ValkeyUser     string
	ValkeyPassword string
	ValkeyPrefix   string

	S3Endpoint  string
	S3AccessKey string
	S3SecretKey string
	S3Region    string
	S3Bucket    string

	LiveKitURL       string
	LiveKitPublicURL string
	LiveKitAPIKey    string
	LiveKitAPISecret string
	LiveKitTokenTTL  time.Duration
	// LiveKitSIP is the SIP routing the core provisions in LiveKit for
	// sipgate (core/cmd/core/siprouting.go); without AllowedAddresses it provisions none.
	LiveKitSIP livekit.SIPRouting
	// LiveKitSIPTiming says how often every replica checks that routing.
	LiveKitSIPTiming livekit.ReconcileTiming
	// LiveKitReferAddresses are the carriers' addresses from which LiveKit takes the calls of REFER
	// hand-offs, each to the single-use callee of its transfer; none turns REFER off (sipgate bridges).
	LiveKitReferAddresses []string
	// LiveKitTransferTTL bounds how long a transfer's callee stays open in LiveKit if sipgate never
	// closes it.
	LiveKitTransferTTL time.Duration

	OIDCIssuerURL  string
	OIDCAudience   string
	OIDCMatchEmail bool
	// OIDCScopes are what the console asks the provider for: ProConnect, for
	// one, wants "openid email given_name usual_name".
	OIDCScopes       string
	DevIssuer        bool
	DevIssuerKeyFile string
	ServiceTokens    string
	PINRetries       int
	PIN              core.PINPolicy // docs/security.md

	LobbyTicketSecret string
	// LobbyTicketTTL (LOBBY_TICKET_TTL, 1 h) is how long a lobby ticket opens.
	LobbyTicketTTL      time.Duration
	LobbyTTLs           core.LobbyTTLs
	LobbyPerParticipant core.AttemptLimit
	LobbyPerAddress     core.AttemptLimit
	// LobbyMaxWaiting caps a room's waiting entries; LobbyStreams caps the
	// WatchEntry streams per ticket, user and address (api.LobbySettings).
	LobbyMaxWaiting int
	LobbyStreams    struct{ PerTicket, PerUser, PerAddress int }
	// TrustedProxies (TRUSTED_PROXIES) are the proxies whose
	// X-Forwarded-For names the client.
	TrustedProxies    api.TrustedProxies
	WebhookRoomFilter *regexp.Regexp

	SMTP               mail.Config
	MailBrand          mail.Brand
	MailPollInterval   time.Duration
	MailMaxAttempts    int
	InvitationsPerHour int
	// InvitationRecipients bound the addresses invitations go to
	// (INVITATION_RECIPIENTS_*, INVITATION_DOMAINS).
	InvitationRecipients api.RecipientLimits
	// RoomsPerHour and PINRegenerationsPerHour bound each user's
	// CreateRoom and RegeneratePin calls.
	RoomsPerHour            int
	PINRegenerationsPerHour int
	// RoomDefaultAccessLevel is the access level of a room created without
	// one by a user who chose no default (ROOM_DEFAULT_ACCESS_LEVEL).
	RoomDefaultAccessLevel core.AccessLevel
	// MailRetention is how long sent mail stays in the outbox
	// (MAIL_RETENTION_DAYS); MailPurgeInterval how often it is purged.
	MailRetention      time.Duration
	MailPurgeInterval  time.Duration
	SummaryURL         string
	SummaryToken       string
	SummaryCallbackTok string
	SummaryTimeout     time.Duration
	MarketingProvider  string
	BrevoURL           string
	BrevoAPIKey        string
	BrevoListIDs       []int64

	TelephonyEnabled       bool
	TelephonyDefaultRegion string
	// CallRecords: CALL_RECORDS_RETENTION_DAYS (default 90) and
	// CALL_RECORDS_LOST_AFTER (default 12h, a call open longer is lost).
	CallRecords core.CallRecordSettings

	RecordingEnabled              bool
	RecordingTranscriptionEnabled bool
	RecordingExpirationDays       int
	RecordingStartTimeout         time.Duration
	RecordingDownloadTTL          time.Duration
	RecordingExpiryInterval       time.Duration
	StorageWebhookToken           string
	EgressS3Endpoint              string
}

// Defaults is the configuration of a core whose environment sets nothing but
// the required variables.
func Defaults() Config {
	return Config{
		Addr:               "127.0.0.1:8080",
		AdminAddr:          "127.0.0.1:9090",
		LogLevel:           slog.LevelInfo,
		ShutdownTimeout:    20 * time.Second,
		ReadHeaderTimeout:  10 * time.Second,
		ReadTimeout:        30 * time.Second,
		IdleTimeout:        2 * time.Minute,
		MaxConnAge:         5 * time.Minute,
		MigrateOnStart:     true,
		ValkeyPrefix:       "meetline:",
		S3Region:           "us-east-1",
		S3Bucket:           "meetline",
		LiveKitTokenTTL:    livekit.DefaultTokenTTL,
		LiveKitSIP:         livekit.SIPRouting{TrunkName: "meetline-sipgate"},
		LiveKitSIPTiming:   livekit.DefaultReconcileTiming,
		LiveKitTransferTTL: time.Minute,
		OIDCAudience:       "meetline",
		OIDCScopes:         "openid email profile",

		DevIssuerKeyFile: ".run/dev-issuer.pem",
		PINRetries:       5,
		LobbyTTLs:        core.LobbyTTLs{Waiting: 3 * time.Second, Accepted: 6 * time.Hour, Denied: 5 * time.Second},

		LobbyPerParticipant: core.AttemptLimit{Max: 150, Window: time.Minute},
		LobbyPerAddress:     core.AttemptLimit{Max: 1500, Window: time.Minute},
		LobbyMaxWaiting:     100,
		LobbyTicketTTL:      time.Hour,
		LobbyStreams:        struct{ PerTicket, PerUser, PerAddress int }{2, 5, 50},
		PIN: core.PINPolicy{
			Source:     core.AttemptLimit{Max: 5, Window: 15 * time.Minute},
			Number:     core.AttemptLimit{Max: 100, Window: time.Minute},
			Attack:     100,
			TarpitStep: 2 * time.Second,
			TarpitMax:  30 * time.Second,
		},

		SMTP:                    mail.Config{TLS: mail.TLSStartTLS, Timeout: 15 * time.Second},
		MailBrand:               mail.Brand{Name: "Meetline"},
		MailPollInterval:        2 * time.Second,
		MailMaxAttempts:         8,
		InvitationsPerHour:      20,
		InvitationRecipients:    api.RecipientLimits{PerHour: 100, PerDay: 300, GlobalPerHour: 5000},
		RoomsPerHour:            60,
		PINRegenerationsPerHour: 20,
		RoomDefaultAccessLevel:  core.AccessRestricted,
		MailRetention:           30 * 24 * time.Hour,
		MailPurgeInterval:       time.Hour,
		SummaryTimeout:          30 * time.Second,
		TelephonyEnabled:        true,
		TelephonyDefaultRegion:  "FR",
		CallRecords:             core.CallRecordSettings{Retention: 90 * 24 * time.Hour, LostAfter: 12 * time.Hour},

		RecordingEnabled:      true,
		RecordingStartTimeout: 10 * time.Second,
		RecordingDownloadTTL:  time.Hour,
		// Expiry is counted in days: an hour late is on time.
		RecordingExpiryInterval: time.Hour,
	}
}

// LoadConfig reads the configuration through getenv on top of Defaults. The
// error names every bad or missing variable; the Loader it returns prints
// the effective configuration (`core config check`).
func LoadConfig(getenv func(string) string) (Config, *envconf.Loader, error) {
	c := Defaults()
	l := envconf.New(getenv)
	l.Require("DATABASE_URL", "VALKEY_ADDR", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY",
		"LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")
	l.String(&c.Addr, "CORE_ADDR")
	l.String(&c.AdminAddr, "CORE_ADMIN_ADDR")
	l.String(&c.PublicURL, "CORE_PUBLIC_URL")
	envconf.Value(l, &c.LogLevel, "LOG_LEVEL", parseLevel)
	l.Duration(&c.ShutdownTimeout, "CORE_SHUTDOWN_TIMEOUT")
	l.Duration(&c.ReadHeaderTimeout, "CORE_READ_HEADER_TIMEOUT")
	l.Duration(&c.ReadTimeout, "CORE_READ_TIMEOUT")
	l.Duration(&c.IdleTimeout, "CORE_IDLE_TIMEOUT")
	l.Duration(&c.MaxConnAge, "CORE_MAX_CONN_AGE")
	l.Bool(&c.MigrateOnStart, "CORE_MIGRATE_ON_START")

	l.String(&c.DatabaseURL, "DATABASE_URL")
	l.String(&c.ValkeyAddr, "VALKEY_ADDR")
	l.String(&c.ValkeyUser, "VALKEY_USER")
	l.Secret(&c.ValkeyPassword, "VALKEY_PASSWORD")
	l.String(&c.ValkeyPrefix, "VALKEY_PREFIX")

	l.String(&c.S3Endpoint, "S3_ENDPOINT")
	l.String(&c.S3AccessKey, "S3_ACCESS_KEY")
	l.Secret(&c.S3SecretKey, "S3_SECRET_KEY")
	l.String(&c.S3Region, "S3_REGION")
	l.String(&c.S3Bucket, "S3_BUCKET")
	l.String(&c.EgressS3Endpoint, "EGRESS_S3_ENDPOINT")

	l.String(&c.LiveKitURL, "LIVEKIT_URL")
	l.String(&c.LiveKitPublicURL, "LIVEKIT_PUBLIC_URL")
	l.String(&c.LiveKitAPIKey, "LIVEKIT_API_KEY")
	l.Secret(&c.LiveKitAPISecret, "LIVEKIT_API_SECRET")
	l.Duration(&c.LiveKitTokenTTL, "LIVEKIT_TOKEN_TTL")
	l.String(&c.LiveKitSIP.TrunkName, "LIVEKIT_SIP_TRUNK_NAME")
	envconf.Value(l, &c.LiveKitSIP.AllowedAddresses, "LIVEKIT_SIP_ALLOWED_ADDRESSES", parseAddresses)
	l.String(&c.LiveKitSIP.AuthUsername, "LIVEKIT_SIP_AUTH_USERNAME")
	l.Secret(&c.LiveKitSIP.AuthPassword, "LIVEKIT_SIP_AUTH_PASSWORD")
	l.Duration(&c.LiveKitSIPTiming.Interval, "LIVEKIT_SIP_RECONCILE_INTERVAL")
	envconf.Value(l, &c.LiveKitReferAddresses, "LIVEKIT_SIP_REFER_ADDRESSES", parseAddresses)
	l.Duration(&c.LiveKitTransferTTL, "LIVEKIT_SIP_TRANSFER_TTL")
	envconf.Value(l, &c.WebhookRoomFilter, "LIVEKIT_WEBHOOK_ROOM_FILTER", parseRegexp)

	l.String(&c.OIDCIssuerURL, "OIDC_ISSUER_URL")
	l.String(&c.OIDCAudience, "OIDC_AUDIENCE")
	l.Bool(&c.OIDCMatchEmail, "OIDC_MATCH_EMAIL")
	envconf.Value(l, &c.OIDCScopes, "OIDC_SCOPES", parseScopes)
	l.Bool(&c.DevIssuer, "CORE_DEV_ISSUER")
	l.String(&c.DevIssuerKeyFile, "CORE_DEV_ISSUER_KEY_FILE")
	l.Secret(&c.ServiceTokens, "SERVICE_TOKENS")

	l.Int(&c.PINRetries, "PIN_RETRIES", 1, 100)
	l.Int(&c.PIN.Source.Max, "PIN_CALLER_MAX_FAILURES", 1, 1000000)
	l.Duration(&c.PIN.Source.Window, "PIN_CALLER_WINDOW")
	l.Int(&c.PIN.Number.Max, "PIN_NUMBER_MAX_FAILURES", 1, 1000000)
	l.Duration(&c.PIN.Number.Window, "PIN_NUMBER_WINDOW")
	l.Int(&c.PIN.Attack, "PIN_ATTACK_FAILURES", 1, 1000000)
	l.Duration(&c.PIN.TarpitStep, "PIN_TARPIT_STEP")
	l.Duration(&c.PIN.TarpitMax, "PIN_TARPIT_MAX")
	l.Secret(&c.LobbyTicketSecret, "LOBBY_TICKET_SECRET")
	l.Duration(&c.LobbyTicketTTL, "LOBBY_TICKET_TTL")
	l.Duration(&c.LobbyTTLs.Waiting, "LOBBY_WAITING_TTL")
	l.Duration(&c.LobbyTTLs.Accepted, "LOBBY_ACCEPTED_TTL")
	l.Duration(&c.LobbyTTLs.Denied, "LOBBY_DENIED_TTL")
	l.Int(&c.LobbyPerParticipant.Max, "LOBBY_REQUESTS_PER_MINUTE", 1, 1000000)
	l.Int(&c.LobbyPerAddress.Max, "LOBBY_REQUESTS_PER_ADDRESS_PER_MINUTE", 1, 10000000)
	l.Int(&c.LobbyMaxWaiting, "LOBBY_MAX_WAITING", 1, 100000)
	l.Int(&c.LobbyStreams.PerTicket, "LOBBY_STREAMS_PER_TICKET", 1, 1000)
	l.Int(&c.LobbyStreams.PerUser, "LOBBY_STREAMS_PER_USER", 1, 1000)
	l.Int(&c.LobbyStreams.PerAddress, "LOBBY_STREAMS_PER_ADDRESS", 1, 100000)
	envconf.Value(l, &c.TrustedProxies, "TRUSTED_PROXIES", parseProxies)

	l.String(&c.SMTP.Host, "SMTP_HOST")
	l.Int(&c.SMTP.Port, "SMTP_PORT", 0, 65535)
	envconf.Value(l, &c.SMTP.TLS, "SMTP_TLS", func(v string) (mail.TLSMode, error) { return mail.TLSMode(v), nil })
	l.String(&c.SMTP.Username, "SMTP_USERNAME")
	l.Secret(&c.SMTP.Password, "SMTP_PASSWORD")
	l.String(&c.SMTP.Auth, "SMTP_AUTH")
	l.String(&c.SMTP.From, "MAIL_FROM")
	l.String(&c.SMTP.FromName, "MAIL_FROM_NAME")
	l.Duration(&c.SMTP.Timeout, "SMTP_TIMEOUT")
	l.String(&c.MailBrand.Name, "MAIL_BRAND_NAME")
	l.String(&c.MailBrand.LogoURL, "MAIL_LOGO_URL")
	l.String(&c.MailBrand.BaseURL, "MAIL_BASE_URL")
	l.Duration(&c.MailPollInterval, "MAIL_POLL_INTERVAL")
	l.Int(&c.MailMaxAttempts, "MAIL_MAX_ATTEMPTS", 1, 100)
	l.Int(&c.InvitationsPerHour, "INVITATIONS_PER_HOUR", 1, 100000)
	l.Int(&c.InvitationRecipients.PerHour, "INVITATION_RECIPIENTS_PER_HOUR", 1, 1000000)
	l.Int(&c.InvitationRecipients.PerDay, "INVITATION_RECIPIENTS_PER_DAY", 1, 10000000)
	l.Int(&c.InvitationRecipients.GlobalPerHour, "INVITATION_RECIPIENTS_GLOBAL_PER_HOUR", 1, 100000000)
	envconf.Value(l, &c.InvitationRecipients.Domains, "INVITATION_DOMAINS", parseDomains)
	l.Int(&c.RoomsPerHour, "ROOMS_PER_HOUR", 1, 100000)
	l.Int(&c.PINRegenerationsPerHour, "PIN_REGENERATIONS_PER_HOUR", 1, 100000)
	envconf.Value(l, &c.RoomDefaultAccessLevel, "ROOM_DEFAULT_ACCESS_LEVEL", parseAccessLevel)
	envconf.Value(l, &c.MailRetention, "MAIL_RETENTION_DAYS", parseDays)
	l.Duration(&c.MailPurgeInterval, "MAIL_PURGE_INTERVAL")
	l.String(&c.SummaryURL, "SUMMARY_URL")
	l.Secret(&c.SummaryToken, "SUMMARY_TOKEN")
	l.Secret(&c.SummaryCallbackTok, "SUMMARY_CALLBACK_TOKEN")
	l.Duration(&c.SummaryTimeout, "SUMMARY_TIMEOUT")
	l.String(&c.MarketingProvider, "MARKETING_PROVIDER")
	l.String(&c.BrevoURL, "BREVO_API_URL")
	l.Secret(&c.BrevoAPIKey, "BREVO_API_KEY")
	envconf.Value(l, &c.BrevoListIDs, "BREVO_LIST_IDS", parseInts)

	l.Bool(&c.TelephonyEnabled, "TELEPHONY_ENABLED")
	envconf.Value(l, &c.TelephonyDefaultRegion, "TELEPHONY_DEFAULT_REGION", parseRegion)
	envconf.Value(l, &c.CallRecords.Retention, "CALL_RECORDS_RETENTION_DAYS", parseDays)
	l.Duration(&c.CallRecords.LostAfter, "CALL_RECORDS_LOST_AFTER")
	l.Bool(&c.RecordingEnabled, "RECORDING_ENABLED")
	l.Bool(&c.RecordingTranscriptionEnabled, "RECORDING_TRANSCRIPTION_ENABLED")
	l.Int(&c.RecordingExpirationDays, "RECORDING_EXPIRATION_DAYS", 0, 36500)
	l.Duration(&c.RecordingStartTimeout, "RECORDING_START_TIMEOUT")
	l.Duration(&c.RecordingDownloadTTL, "RECORDING_DOWNLOAD_TTL")
	l.Duration(&c.RecordingExpiryInterval, "RECORDING_EXPIRY_INTERVAL")
	l.Secret(&c.StorageWebhookToken, "STORAGE_WEBHOOK_TOKEN")

	c.derive()
	c.check(l)
	return c, l, l.Err()
}

// derive fills the defaults that follow from other variables.
func (c *Config) derive() {
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	if c.MailBrand.BaseURL == "" {
		c.MailBrand.BaseURL = c.PublicURL
	}
	if c.SMTP.FromName == "" {
		c.SMTP.FromName = c.MailBrand.Name
	}
	if c.EgressS3Endpoint == "" {
		c.EgressS3Endpoint = c.S3Endpoint
	}
	if c.DevIssuer && c.OIDCIssuerURL == "" {
		c.OIDCIssuerURL = c.DevIssuerURL()
	}
}

// check reports the rules across variables. The failing variable is the
// empty one: a password never reaches the error.
func (c *Config) check(l *envconf.Loader) {
	need := func(name, want string) { l.Fail(name, "", errors.New("want "+want)) }
	if c.SMTP.Host != "" && c.SMTP.From == "" {
		need("MAIL_FROM", "the address mail is sent from, since SMTP_HOST is set")
	}
	switch {
	case c.MarketingProvider != "" && c.MarketingProvider != "brevo":
		l.Fail("MARKETING_PROVIDER", c.MarketingProvider, errors.New("want empty (off) or brevo"))
	case c.MarketingProvider == "brevo" && c.BrevoAPIKey == "":
		need("BREVO_API_KEY", "the Brevo API key, since MARKETING_PROVIDER=brevo")
	case c.MarketingProvider != "" && c.SMTP.Host == "":
		need("SMTP_HOST", "an SMTP server: the outbox worker that sends contacts runs with mail")
	case c.SummaryURL != "" && c.SMTP.Host == "":
		need("SMTP_HOST", "an SMTP server: the outbox worker that calls the summary service runs with mail")
	case c.SummaryURL != "" && (c.SummaryToken == "" || c.SummaryCallbackTok == ""):
		need("SUMMARY_TOKEN", "the summary service's token and SUMMARY_CALLBACK_TOKEN, since SUMMARY_URL is set")
	}
	if c.AdminAddr == c.Addr {
		l.Fail("CORE_ADMIN_ADDR", c.AdminAddr, errors.New("want an address other than CORE_ADDR's: "+
			"metrics, profiles and detailed readiness are for operators only"))
	}
	c.checkSecrets(l)
	switch sip := c.LiveKitSIP; {
	case sip.AuthUsername != "" && sip.AuthPassword == "":
		need("LIVEKIT_SIP_AUTH_PASSWORD", "the password that goes with LIVEKIT_SIP_AUTH_USERNAME")
	case sip.AuthUsername == "" && sip.AuthPassword != "":
		need("LIVEKIT_SIP_AUTH_USERNAME", "the user name that goes with LIVEKIT_SIP_AUTH_PASSWORD")
	case len(c.LiveKitReferAddresses) > 0 && sip.AuthUsername == "":
		need("LIVEKIT_SIP_AUTH_USERNAME", "sipgate's digest credentials: with LIVEKIT_SIP_REFER_ADDRESSES set, they alone keep a carrier's call to a room's name out of sipgate's trunk")
	}
}

// MinSecretBytes is the shortest shared secret the core accepts: 256 bits
// if random, out of reach of guessing.
const MinSecretBytes = 32

// checkSecrets refuses short shared secrets, and the development issuer on
// a core others reach: it signs anyone in as anyone (/console/dev-token).
// LIVEKIT_API_SECRET is LiveKit's to check: it refuses a short one outside
// its development mode, which local stacks use.
func (c *Config) checkSecrets(l *envconf.Loader) {
	for _, s := range []struct{ name, v string }{{"LOBBY_TICKET_SECRET", c.LobbyTicketSecret},
		{"STORAGE_WEBHOOK_TOKEN", c.StorageWebhookToken}, {"SUMMARY_CALLBACK_TOKEN", c.SummaryCallbackTok}} {
		if s.v != "" && len(s.v) < MinSecretBytes {
			l.Fail(s.name, "", fmt.Errorf("want at least %d bytes (openssl rand -hex 32)", MinSecretBytes))
		}
	}
	if _, err := api.ParseServiceTokens(c.ServiceTokens); err != nil {
		l.Fail("SERVICE_TOKENS", "", err)
	}
	if c.DevIssuer && !loopback(c.PublicURL) {
		l.Fail("CORE_DEV_ISSUER", "true", errors.New("want false unless CORE_PUBLIC_URL is a loopback address: "+
			"the development issuer signs anyone in as anyone"))
	}
}

// loopback reports whether rawURL's host is this machine only.
func loopback(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(u.Hostname())
	return err == nil && ip.IsLoopback()
}

func parseLevel(v string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		return 0, errors.New("want debug, info, warn or error")
	}
	return l, nil
}

func parseRegion(v string) (string, error) {
	if v = strings.ToUpper(v); len(v) != 2 {
		return "", errors.New("want an ISO 3166-1 alpha-2 code such as FR")
	}
	return v, nil
}

func parseInts(v string) ([]int64, error) {
	var out []int64
	for _, f := range list(v) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, errors.New("want comma-separated whole numbers")
		}
		out = append(out, n)
	}
	return out, nil
}

// parseAddresses reads comma-separated IP addresses and CIDR blocks, checked
// as LiveKit checks a trunk's allowed addresses: LiveKit drops an entry it
// cannot parse, and a trunk left with none accepts calls from anywhere.
func parseAddresses(v string) ([]string, error) {
	out := list(v)
	for _, f := range out {
		if _, err := lkproto.ParseSIPAllowedAddress(f); err != nil {
			return nil, errors.New("want comma-separated IP addresses or CIDR blocks")
		}
	}
	return out, nil
}

// parseDomains reads comma-separated domain names, lowercased.
func parseDomains(v string) ([]string, error) {
	out := list(strings.ToLower(v))
	for _, d := range out {
		if strings.ContainsAny(d, "@/: ") || !strings.Contains(d, ".") {
			return nil, errors.New("want comma-separated domain names such as example.org")
		}
	}
	return out, nil
}

// parseProxies reads comma-separated CIDR blocks or addresses (one address:
// a block of one).
func parseProxies(v string) (api.TrustedProxies, error) {
	var out api.TrustedProxies
	for _, f := range list(v) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, errors.New("want comma-separated CIDR blocks or IP addresses")
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// list splits a comma-separated value, dropping blanks.
func list(v string) []string {
	var out []string
	for f := range strings.SplitSeq(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseScopes reads space-separated OAuth scopes (RFC 6749 §3.3), which
// must include openid.
func parseScopes(v string) (string, error) {
	scopes := strings.Fields(v)
	if !slices.Contains(scopes, "openid") {
		return "", errors.New(`want space-separated scopes including "openid"`)
	}
	return strings.Join(scopes, " "), nil
}

func parseRegexp(v string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(v)
	if err != nil {
		return nil, errors.New("want a Go regular expression")
	}
	return re, nil
}

// DevIssuerURL is where the core serves its development identity issuer.
func (c Config) DevIssuerURL() string { return strings.TrimRight(c.PublicURL, "/") + "/dev-issuer" }

// LiveKit is the configuration of the LiveKit client: the server, and the
// bucket as egress reaches it.
func (c Config) LiveKit() livekit.Config {
	return livekit.Config{URL: c.LiveKitURL, PublicURL: c.LiveKitPublicURL, APIKey: c.LiveKitAPIKey,
		APISecret: c.LiveKitAPISecret, TokenTTL: c.LiveKitTokenTTL,
		Egress: livekit.EgressStorage{Endpoint: c.EgressS3Endpoint, AccessKey: c.S3AccessKey,
			SecretKey: c.S3SecretKey, Region: c.S3Region, Bucket: c.S3Bucket}}
}

// parseDays reads a whole number of days, at least one: records kept for no
// day at all would be dropped before an operator could read them.
// parseAccessLevel reads public, trusted or restricted.
func parseAccessLevel(v string) (core.AccessLevel, error) {
	if l := core.AccessLevel(v); l.Valid() {
		return l, nil
	}
	return "", errors.New("want public, trusted or restricted")
}

func parseDays(v string) (time.Duration, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 3660 {
		return 0, errors.New("want a whole number of days from 1 to 3660")
	}
	return time.Duration(n) * 24 * time.Hour, nil
}
