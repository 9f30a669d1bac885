package sipgate

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/meetline/meetline/internal/envconf"
)

// Environment variables read by [ConfigFromEnv]. An unset or empty variable takes its default.
const (
	EnvSIPAddr      = "SIPGATE_SIP_ADDR"
	EnvHTTPAddr     = "SIPGATE_HTTP_ADDR"
	EnvLogLevel     = "SIPGATE_LOG_LEVEL"
	EnvUserAgent    = "SIPGATE_USER_AGENT"
	EnvDrainTimeout = "SIPGATE_DRAIN_TIMEOUT"
	EnvRetryAfter   = "SIPGATE_RETRY_AFTER"
	EnvTLSAddr      = "SIPGATE_TLS_ADDR"
	EnvTLSCertFile  = "SIPGATE_TLS_CERT_FILE"
	EnvTLSKeyFile   = "SIPGATE_TLS_KEY_FILE"
	EnvPprof        = "SIPGATE_PPROF"
)

// Config is everything sipgate reads from its environment. The zero value is not useful: start from
// [DefaultConfig] or [ConfigFromEnv].
type Config struct {
	// SIPAddr (SIPGATE_SIP_ADDR, default "127.0.0.1:5060") is the host:port of both the UDP and the TCP SIP
	// listener; RFC 3261 §18 requires every UA to implement both. Port 0 picks one free port for both.
	SIPAddr string

	// HTTPAddr (SIPGATE_HTTP_ADDR, default "127.0.0.1:8081") is the host:port serving /healthz and /metrics.
	HTTPAddr string

	// LogLevel (SIPGATE_LOG_LEVEL: debug|info|warn|error, default info) is the minimum level of the JSON logs.
	LogLevel slog.Level

	// UserAgent (SIPGATE_USER_AGENT, default "meetline-sipgate") is sent in the Server header of every
	// response (RFC 3261 §20.35) and names the UA in requests sipgate sends.
	UserAgent string

	// DrainTimeout (SIPGATE_DRAIN_TIMEOUT, a Go duration, default 30s) bounds how long a SIGTERM/SIGINT waits
	// for live calls to end before the listeners close anyway.
	DrainTimeout time.Duration

	// RetryAfter (SIPGATE_RETRY_AFTER, whole seconds, default 30) is the Retry-After (RFC 3261 §20.33) sent with
	// 503 while draining, at the call limit and while the core is unreachable.
	RetryAfter time.Duration

	// TLSAddr (SIPGATE_TLS_ADDR, default empty: no TLS) is the host:port of a SIP-over-TLS listener (RFC 3261
	// §26.2); TLSCertFile and TLSKeyFile (SIPGATE_TLS_CERT_FILE, SIPGATE_TLS_KEY_FILE, PEM) are then required.
	TLSAddr, TLSCertFile, TLSKeyFile string

	// Pprof (SIPGATE_PPROF, true or false, default false) adds net/http/pprof's profiles under /debug/pprof/
	// on the HTTP address (see [DebugHandler]), for load tests. Off by default: profiles show the gateway's
	// internals to whoever reaches that address, and a CPU profile costs CPU while it runs.
	Pprof bool

	// Core is how sipgate reaches the core; Call is the per-call policy; LiveKit is where admitted
	// callers go.
	Core    CoreConfig
	Call    CallConfig
	LiveKit LiveKitConfig
	// Records is where call records are spooled (config_records.go).
	Records RecordsConfig
}

// DefaultConfig returns the configuration used when no variable is set: loopback addresses, so that an
// unconfigured sipgate never listens on a public interface by accident.
func DefaultConfig() Config {
	return Config{
		SIPAddr:      "127.0.0.1:5060",
		HTTPAddr:     "127.0.0.1:8081",
		LogLevel:     slog.LevelInfo,
		UserAgent:    "meetline-sipgate",
		DrainTimeout: 30 * time.Second,
		RetryAfter:   30 * time.Second,
		Core:         DefaultCoreConfig(),
		Call:         DefaultCallConfig(),
		LiveKit:      DefaultLiveKitConfig(),
		Records:      DefaultRecordsConfig(),
	}
}

// EnvError reports an environment variable whose value cannot be used, naming it so an operator can fix it.
type EnvError = envconf.Error

// ConfigFromEnv builds a Config from getenv (os.Getenv in main, a map lookup in tests) on top of
// [DefaultConfig]. Every invalid variable is reported, joined, as an [*EnvError].
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg, _, err := LoadConfig(getenv)
	return cfg, err
}

// LoadConfig is [ConfigFromEnv] with the loader that read it, which prints the effective configuration
// (`sipgate config check`).
func LoadConfig(getenv func(string) string) (Config, *envconf.Loader, error) {
	cfg := DefaultConfig()
	l := envconf.New(getenv)
	envconf.Value(l, &cfg.SIPAddr, EnvSIPAddr, parseHostPort)
	envconf.Value(l, &cfg.HTTPAddr, EnvHTTPAddr, parseHostPort)
	envconf.Value(l, &cfg.LogLevel, EnvLogLevel, parseLogLevel)
	envconf.Value(l, &cfg.UserAgent, EnvUserAgent, parseUserAgent)
	envconf.Value(l, &cfg.DrainTimeout, EnvDrainTimeout, parseDrainTimeout)
	envconf.Value(l, &cfg.RetryAfter, EnvRetryAfter, parseRetryAfter)
	envconf.Value(l, &cfg.TLSAddr, EnvTLSAddr, parseHostPort)
	l.String(&cfg.TLSCertFile, EnvTLSCertFile)
	l.String(&cfg.TLSKeyFile, EnvTLSKeyFile)
	envconf.Value(l, &cfg.Pprof, EnvPprof, parseBool)
	readCore(l, &cfg.Core)
	readCall(l, &cfg.Call)
	readLiveKit(l, &cfg.LiveKit)
	readRecords(l, &cfg.Records)
	// sipgate without a core cannot answer anyone; TLS needs its files.
	l.Require(EnvCoreURL, EnvCoreToken)
	if cfg.TLSAddr != "" {
		l.Require(EnvTLSCertFile, EnvTLSKeyFile)
	}
	return cfg, l, l.Err()
}

// parseHostPort accepts host:port with a numeric port, so that a typo fails at start-up instead of at bind
// time or, worse, as a service-name lookup.
func parseHostPort(v string) (string, error) {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", err
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return v, nil
}

func parseLogLevel(v string) (slog.Level, error) {
	switch strings.ToLower(v) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, errors.New("want one of debug, info, warn, error")
}

// parseUserAgent rejects control characters: the value goes verbatim into a SIP header, where CR or LF would
// let it inject header fields.
func parseUserAgent(v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", errors.New("must not be blank")
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return "", errors.New("must not contain control characters")
	}
	return v, nil
}

func parseDrainTimeout(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("want a Go duration such as 30s: %w", err)
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

// parseRetryAfter takes whole seconds because Retry-After carries delta-seconds (RFC 3261 §20.33); zero is
// refused because it would invite callers to retry at once, which is what draining tries to prevent.
func parseRetryAfter(v string) (time.Duration, error) {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n == 0 {
		return 0, errors.New("want a positive whole number of seconds, such as 30")
	}
	return time.Duration(n) * time.Second, nil
}

// parseBool accepts what strconv.ParseBool does (true, false, 1, 0, t, f), so that a typo such as "ture"
// fails at start-up instead of leaving the option off.
func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}
