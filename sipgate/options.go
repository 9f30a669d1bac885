package sipgate

import (
	"log/slog"
	"time"
)

// Option configures a [Server] built by [New].
type Option func(*Server)

// WithLogger sets the logger for sipgate's own logs; sipgo logs through it too, via [SIPLogger]. The default
// (and what nil means) is slog.Default().
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

// WithRetryAfter sets the delay advertised in Retry-After (RFC 3261 §20.33) on 503 while draining and on 480
// until the IVR lands. It is sent in whole seconds, at least one. The default is [DefaultConfig]'s RetryAfter.
func WithRetryAfter(d time.Duration) Option {
	return func(s *Server) { s.retryAfter = d }
}
