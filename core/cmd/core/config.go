package main

import (
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	lkproto "github.com/livekit/protocol/livekit"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/mail"
)

// config is everything the core reads from its environment; loadConfig names
// each variable and its default, and README.md lists them for operators.
type config struct {
	Addr            string
	PublicURL       string
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	MigrateOnStart  bool
	// Pprof (CORE_PPROF) serves net/http/pprof's profiles under
	// /debug/pprof/, for load tests; off by default (see debugRoutes).
	Pprof bool

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
	// sipgate (siprouting.go); without AllowedAddresses it provisions none.
	LiveKitSIP livekit.SIPRouting
	// LiveKitSIPTiming says how often every replica checks that routing.
	LiveKitSIPTiming livekit.ReconcileTiming

	OIDCIssuerURL     string
	OIDCAudience      string
	OIDCMatchEmail    bool
	DevIssuer         bool
	DevIssuerKeyFile  string
	ServiceTokens     string
	PINRetries        int
	PINCallerFailures core.AttemptLimit
	PINNumberFailures core.AttemptLimit

	LobbyTicketSecret   string
	LobbyTTLs           core.LobbyTTLs
	LobbyPerParticipant core.AttemptLimit
	LobbyPerAddress     core.AttemptLimit
	WebhookRoomFilter   *regexp.Regexp

	SMTP               mail.Config
	MailBrand          mail.Brand
	MailPollInterval   time.Duration
	MailMaxAttempts    int
	InvitationsPerHour int
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

	RecordingEnabled              bool
	RecordingTranscriptionEnabled bool
	RecordingExpirationDays       int
	RecordingStartTimeout         time.Duration
	RecordingDownloadTTL          time.Duration
	StorageWebhookToken           string
	EgressS3Endpoint              string
}

// env reads variables through getenv and remembers the first bad one.
type env struct {
	getenv func(string) string
	err    error
}

func (e *env) fail(name, value, want string) {
	if e.err == nil {
		e.err = fmt.Errorf("%s=%q: want %s", name, value, want)
	}
}

func (e *env) str(name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

func (e *env) required(name string) string {
	v := e.getenv(name)
	if v == "" && e.err == nil {
		e.err = fmt.Errorf("%s is required (run `make run`, or see README.md)", name)
	}
	return v
}

func (e *env) boolean(name string, def bool) bool {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, v, "true or false")
	}
	return b
}

func (e *env) integer(name string, def, lo, hi int) int {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.fail(name, v, fmt.Sprintf("a whole number from %d to %d", lo, hi))
	}
	return n
}

func (e *env) duration(name string, def time.Duration) time.Duration {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.fail(name, v, "a positive Go duration such as 30s")
	}
	return d
}

func (e *env) ints(name string) []int64 {
	v := e.getenv(name)
	var out []int64
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			e.fail(name, v, "comma-separated whole numbers")
		}
		out = append(out, n)
	}
	return out
}

// addresses reads comma-separated IP addresses and CIDR blocks, checked as
// LiveKit checks a trunk's allowed addresses: LiveKit drops an entry it
// cannot parse, and a trunk left with none accepts calls from anywhere.
func (e *env) addresses(name string) []string {
	v := e.getenv(name)
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if _, err := lkproto.ParseSIPAllowedAddress(f); err != nil {
			e.fail(name, v, "comma-separated IP addresses or CIDR blocks")
		}
		out = append(out, f)
	}
	return out
}

func (e *env) regexp(name string) *regexp.Regexp {
	v := e.getenv(name)
	if v == "" {
		return nil
	}
	re, err := regexp.Compile(v)
	if err != nil {
		e.fail(name, v, "a Go regular expression")
	}
	return re
}

func (e *env) level(name string, def slog.Level) slog.Level {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		e.fail(name, v, "debug, info, warn or error")
	}
	return l
}

// loadConfig reads the configuration; the error names the first bad variable.
func loadConfig(getenv func(string) string) (config, error) {
	e := &env{getenv: getenv}
	c := config{
		Addr:            e.str("CORE_ADDR", "127.0.0.1:8080"),
		PublicURL:       e.str("CORE_PUBLIC_URL", ""),
		LogLevel:        e.level("LOG_LEVEL", slog.LevelInfo),
		ShutdownTimeout: e.duration("CORE_SHUTDOWN_TIMEOUT", 20*time.Second),
		MigrateOnStart:  e.boolean("CORE_MIGRATE_ON_START", true),
		Pprof:           e.boolean("CORE_PPROF", false),

		DatabaseURL: e.required("DATABASE_URL"),

		ValkeyAddr:     e.required("VALKEY_ADDR"),
		ValkeyUser:     e.str("VALKEY_USER", ""),
		ValkeyPassword: e.str("VALKEY_PASSWORD", ""),
		ValkeyPrefix:   e.str("VALKEY_PREFIX", "meetline:"),

		S3Endpoint:  e.required("S3_ENDPOINT"),
		S3AccessKey: e.required("S3_ACCESS_KEY"),
		S3SecretKey: e.required("S3_SECRET_KEY"),
		S3Region:    e.str("S3_REGION", "us-east-1"),
		S3Bucket:    e.str("S3_BUCKET", "meetline"),

		LiveKitURL:       e.required("LIVEKIT_URL"),
		LiveKitPublicURL: e.str("LIVEKIT_PUBLIC_URL", ""),
		LiveKitAPIKey:    e.required("LIVEKIT_API_KEY"),
		LiveKitAPISecret: e.required("LIVEKIT_API_SECRET"),
		LiveKitTokenTTL:  e.duration("LIVEKIT_TOKEN_TTL", 6*time.Hour),
		LiveKitSIP: livekit.SIPRouting{
			TrunkName:        e.str("LIVEKIT_SIP_TRUNK_NAME", "meetline-sipgate"),
			AllowedAddresses: e.addresses("LIVEKIT_SIP_ALLOWED_ADDRESSES"),
			AuthUsername:     e.str("LIVEKIT_SIP_AUTH_USERNAME", ""),
			AuthPassword:     e.str("LIVEKIT_SIP_AUTH_PASSWORD", ""),
		},
		LiveKitSIPTiming: livekit.ReconcileTiming{
			Interval: e.duration("LIVEKIT_SIP_RECONCILE_INTERVAL", livekit.DefaultReconcileTiming.Interval),
			Attempt:  livekit.DefaultReconcileTiming.Attempt,
			Min:      livekit.DefaultReconcileTiming.Min,
		},

		OIDCIssuerURL:     e.str("OIDC_ISSUER_URL", ""),
		OIDCAudience:      e.str("OIDC_AUDIENCE", "meetline"),
		OIDCMatchEmail:    e.boolean("OIDC_MATCH_EMAIL", false),
		DevIssuer:         e.boolean("CORE_DEV_ISSUER", false),
		DevIssuerKeyFile:  e.str("CORE_DEV_ISSUER_KEY_FILE", ".run/dev-issuer.pem"),
		ServiceTokens:     e.str("SERVICE_TOKENS", ""),
		PINRetries:        e.integer("PIN_RETRIES", 5, 1, 100),
		LobbyTicketSecret: e.str("LOBBY_TICKET_SECRET", ""),
		LobbyTTLs: core.LobbyTTLs{
			Waiting:  e.duration("LOBBY_WAITING_TTL", 3*time.Second),
			Accepted: e.duration("LOBBY_ACCEPTED_TTL", 6*time.Hour),
			Denied:   e.duration("LOBBY_DENIED_TTL", 5*time.Second),
		},
		LobbyPerParticipant: core.AttemptLimit{Max: e.integer("LOBBY_REQUESTS_PER_MINUTE", 150, 1, 1000000), Window: time.Minute},
		LobbyPerAddress:     core.AttemptLimit{Max: e.integer("LOBBY_REQUESTS_PER_ADDRESS_PER_MINUTE", 1500, 1, 10000000), Window: time.Minute},
		WebhookRoomFilter:   e.regexp("LIVEKIT_WEBHOOK_ROOM_FILTER"),
		PINCallerFailures: core.AttemptLimit{
			Max:    e.integer("PIN_CALLER_MAX_FAILURES", 5, 1, 1000000),
			Window: e.duration("PIN_CALLER_WINDOW", 15*time.Minute),
		},
		PINNumberFailures: core.AttemptLimit{
			Max:    e.integer("PIN_NUMBER_MAX_FAILURES", 100, 1, 1000000),
			Window: e.duration("PIN_NUMBER_WINDOW", time.Minute),
		},

		SMTP: mail.Config{
			Host:     e.str("SMTP_HOST", ""),
			Port:     e.integer("SMTP_PORT", 0, 0, 65535),
			TLS:      mail.TLSMode(e.str("SMTP_TLS", string(mail.TLSStartTLS))),
			Username: e.str("SMTP_USERNAME", ""),
			Password: e.str("SMTP_PASSWORD", ""),
			Auth:     e.str("SMTP_AUTH", ""),
			From:     e.str("MAIL_FROM", ""),
			FromName: e.str("MAIL_FROM_NAME", ""),
			Timeout:  e.duration("SMTP_TIMEOUT", 15*time.Second),
		},
		MailBrand: mail.Brand{
			Name:    e.str("MAIL_BRAND_NAME", "Meetline"),
			LogoURL: e.str("MAIL_LOGO_URL", ""),
			BaseURL: e.str("MAIL_BASE_URL", ""),
		},
		MailPollInterval:       e.duration("MAIL_POLL_INTERVAL", 2*time.Second),
		MailMaxAttempts:        e.integer("MAIL_MAX_ATTEMPTS", 8, 1, 100),
		InvitationsPerHour:     e.integer("INVITATIONS_PER_HOUR", 20, 1, 100000),
		SummaryURL:             e.str("SUMMARY_URL", ""),
		SummaryToken:           e.str("SUMMARY_TOKEN", ""),
		SummaryCallbackTok:     e.str("SUMMARY_CALLBACK_TOKEN", ""),
		SummaryTimeout:         e.duration("SUMMARY_TIMEOUT", 30*time.Second),
		MarketingProvider:      e.str("MARKETING_PROVIDER", ""),
		BrevoURL:               e.str("BREVO_API_URL", ""),
		BrevoAPIKey:            e.str("BREVO_API_KEY", ""),
		BrevoListIDs:           e.ints("BREVO_LIST_IDS"),
		TelephonyEnabled:       e.boolean("TELEPHONY_ENABLED", true),
		TelephonyDefaultRegion: strings.ToUpper(e.str("TELEPHONY_DEFAULT_REGION", "FR")),

		RecordingEnabled:              e.boolean("RECORDING_ENABLED", true),
		RecordingTranscriptionEnabled: e.boolean("RECORDING_TRANSCRIPTION_ENABLED", false),
		RecordingExpirationDays:       e.integer("RECORDING_EXPIRATION_DAYS", 0, 0, 36500),
		RecordingStartTimeout:         e.duration("RECORDING_START_TIMEOUT", 10*time.Second),
		RecordingDownloadTTL:          e.duration("RECORDING_DOWNLOAD_TTL", time.Hour),
		StorageWebhookToken:           e.str("STORAGE_WEBHOOK_TOKEN", ""),
		EgressS3Endpoint:              e.str("EGRESS_S3_ENDPOINT", ""),
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	if c.MailBrand.BaseURL == "" {
		c.MailBrand.BaseURL = c.PublicURL
	}
	if c.SMTP.FromName == "" {
		c.SMTP.FromName = c.MailBrand.Name
	}
	if c.SMTP.Host != "" && c.SMTP.From == "" {
		e.fail("MAIL_FROM", "", "the address mail is sent from, since SMTP_HOST is set")
	}
	switch {
	case c.MarketingProvider != "" && c.MarketingProvider != "brevo":
		e.fail("MARKETING_PROVIDER", c.MarketingProvider, "empty (off) or brevo")
	case c.MarketingProvider == "brevo" && c.BrevoAPIKey == "":
		e.fail("BREVO_API_KEY", "", "the Brevo API key, since MARKETING_PROVIDER=brevo")
	case c.MarketingProvider != "" && c.SMTP.Host == "":
		e.fail("SMTP_HOST", "", "an SMTP server: the outbox worker that sends contacts runs with mail")
	case c.SummaryURL != "" && c.SMTP.Host == "":
		e.fail("SMTP_HOST", "", "an SMTP server: the outbox worker that calls the summary service runs with mail")
	case c.SummaryURL != "" && (c.SummaryToken == "" || c.SummaryCallbackTok == ""):
		e.fail("SUMMARY_TOKEN", "", "the summary service's token and SUMMARY_CALLBACK_TOKEN, since SUMMARY_URL is set")
	}
	// The failing variable is the empty one: a password never reaches the error.
	switch sip := c.LiveKitSIP; {
	case sip.AuthUsername != "" && sip.AuthPassword == "":
		e.fail("LIVEKIT_SIP_AUTH_PASSWORD", "", "the password that goes with LIVEKIT_SIP_AUTH_USERNAME")
	case sip.AuthUsername == "" && sip.AuthPassword != "":
		e.fail("LIVEKIT_SIP_AUTH_USERNAME", "", "the user name that goes with LIVEKIT_SIP_AUTH_PASSWORD")
	}
	if c.EgressS3Endpoint == "" {
		c.EgressS3Endpoint = c.S3Endpoint
	}
	if c.DevIssuer && c.OIDCIssuerURL == "" {
		c.OIDCIssuerURL = c.DevIssuerURL()
	}
	if len(c.TelephonyDefaultRegion) != 2 {
		e.fail("TELEPHONY_DEFAULT_REGION", c.TelephonyDefaultRegion, "an ISO 3166-1 alpha-2 code such as FR")
	}
	return c, e.err
}

// DevIssuerURL is where the core serves its development identity issuer.
func (c config) DevIssuerURL() string { return strings.TrimRight(c.PublicURL, "/") + "/dev-issuer" }
