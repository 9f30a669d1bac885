package sipgate

import (
	"crypto/tls"
	"log/slog"
	"time"
)

// Option configures a [Server] built by [New].
type Option func(*Server)

// WithLogger sets the logger for sipgate's own logs; sipgo logs through it too, via [SIPLogger]. The default
// (and what nil means) is slog.Default(). Either way it is wrapped by [MaskLogger].
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) {
		if l != nil {
			s.log = l
		}
	}
}

// WithUserAgent sets the product name sent in the Server header of responses (RFC 3261 §20.35). The default
// is [DefaultConfig]'s UserAgent.
func WithUserAgent(name string) Option {
	return func(s *Server) { s.userAgent = name }
}

// WithRetryAfter sets the delay advertised in Retry-After (RFC 3261 §20.33) on 503 (draining, call limit,
// core unreachable). It is sent in whole seconds, at least one. The default is [DefaultConfig]'s RetryAfter.
func WithRetryAfter(d time.Duration) Option {
	return func(s *Server) { s.retryAfter = d }
}

// WithCore sets the core sipgate asks about numbers and PINs (package corerpc's client in main). Without it every
// INVITE gets 503: sipgate without a core cannot connect anyone.
func WithCore(c Core) Option {
	return func(s *Server) { s.core = c }
}

// WithRecords writes a record of every call to r's spool (see [Records.Ship]); without it, none is kept.
func WithRecords(r *Records) Option {
	return func(s *Server) { s.records = r }
}

// WithCallConfig sets the per-call policy; the default is [DefaultCallConfig]. Zero fields take their
// defaults.
func WithCallConfig(cc CallConfig) Option {
	return func(s *Server) { s.cc = cc.withDefaults() }
}

// WithTLS adds a SIP-over-TLS listener on addr (RFC 3261 §26.2) with conf's certificates.
func WithTLS(addr string, conf *tls.Config) Option {
	return func(s *Server) { s.tlsAddr, s.tlsConf = addr, conf }
}

// WithLiveKit sets where admitted callers go; without it (or with an empty Addr) they hear "service
// unavailable". Zero fields take [DefaultLiveKitConfig]'s values.
func WithLiveKit(lk LiveKitConfig) Option {
	return func(s *Server) { s.lk = lk.withDefaults() }
}
