package sipgate

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/meetline/meetline/internal/envconf"
)

// Environment variables of the core client and of the per-call policy, read by [ConfigFromEnv].
const (
	EnvCoreURL           = "SIPGATE_CORE_URL"
	EnvCoreToken         = "SIPGATE_CORE_TOKEN"
	EnvResolveTimeout    = "SIPGATE_RESOLVE_TIMEOUT"
	EnvCoreHTTP          = "SIPGATE_CORE_HTTP"
	EnvRTPIP             = "SIPGATE_RTP_IP"
	EnvRTPPorts          = "SIPGATE_RTP_PORTS"
	EnvMaxCalls          = "SIPGATE_MAX_CALLS"
	EnvPINAttempts       = "SIPGATE_PIN_ATTEMPTS"
	EnvFirstDigitTimeout = "SIPGATE_FIRST_DIGIT_TIMEOUT"
	EnvInterDigitTimeout = "SIPGATE_INTER_DIGIT_TIMEOUT"
	EnvMaxDigits         = "SIPGATE_MAX_DIGITS"
	EnvMaxIVRTime        = "SIPGATE_MAX_IVR_TIME"
	EnvNoRTPTimeout      = "SIPGATE_NO_RTP_TIMEOUT"
	EnvMaxWait           = "SIPGATE_MAX_WAIT"
	EnvMinSE             = "SIPGATE_MIN_SE"
	EnvHoldTimeout       = "SIPGATE_HOLD_TIMEOUT"
	EnvTrustedProxies    = "SIPGATE_TRUSTED_PROXIES"
)

// CoreConfig says how sipgate reaches the core's TelephonyService.
type CoreConfig struct {
	// URL (SIPGATE_CORE_URL, required) is the core's base URL, e.g. http://127.0.0.1:8080.
	URL string
	// Token (SIPGATE_CORE_TOKEN, required) is the "sipgate" service token, sent as a bearer token.
	Token string
	// ResolveTimeout (SIPGATE_RESOLVE_TIMEOUT, default 2s) bounds each RPC attempt; an Unavailable answer is
	// retried twice more after a short backoff.
	ResolveTimeout time.Duration
	// HTTP (SIPGATE_CORE_HTTP, default http2) is the HTTP version sipgate speaks to the core. With
	// [CoreHTTP2] every call and every caller's stream shares a few connections: cleartext HTTP/2 with
	// prior knowledge (h2c) to an http:// URL, HTTP/2 over TLS to an https:// one. [CoreHTTP1] is for a
	// core behind a proxy that speaks only HTTP/1.1: each open stream then holds a connection of its own.
	HTTP string
}

// The values of CoreConfig.HTTP.
const (
	CoreHTTP2 = "http2"
	CoreHTTP1 = "http1"
)

// DefaultCoreConfig has no URL or token: both must be given.
func DefaultCoreConfig() CoreConfig {
	return CoreConfig{ResolveTimeout: 2 * time.Second, HTTP: CoreHTTP2}
}

// CallConfig is the per-call policy: media addresses, limits and the PIN-entry timers.
type CallConfig struct {
	// RTPIP (SIPGATE_RTP_IP, default 127.0.0.1) is the address RTP sockets bind and the SDP answer advertises.
	RTPIP netip.Addr
	// RTPPortMin, RTPPortMax (SIPGATE_RTP_PORTS "min-max", default 20000-29999): even ports of this range
	// carry RTP, one per call (RFC 3550 §11).
	RTPPortMin, RTPPortMax uint16
	// MaxCalls (SIPGATE_MAX_CALLS, default 500) bounds concurrent calls; beyond it INVITEs get 503.
	MaxCalls int
	// PINAttempts (SIPGATE_PIN_ATTEMPTS, default 3): wrong or timed-out PIN entries before the call ends.
	PINAttempts int
	// FirstDigitTimeout (SIPGATE_FIRST_DIGIT_TIMEOUT, default 10s) runs from the end of the prompt.
	FirstDigitTimeout time.Duration
	// InterDigitTimeout (SIPGATE_INTER_DIGIT_TIMEOUT, default 5s) runs from one key to the next.
	InterDigitTimeout time.Duration
	// MaxDigits (SIPGATE_MAX_DIGITS, default 16): a longer entry is a wrong PIN.
	MaxDigits int
	// MaxIVRTime (SIPGATE_MAX_IVR_TIME, default 2m) bounds the whole PIN dialogue of one call.
	MaxIVRTime time.Duration
	// NoRTPTimeout (SIPGATE_NO_RTP_TIMEOUT, default 30s): a call that receives no RTP this long is ended,
	// unless its caller holds it.
	NoRTPTimeout time.Duration
	// HoldTimeout (SIPGATE_HOLD_TIMEOUT, default 1h): a caller that holds the call (a=sendonly, a=inactive,
	// c=0.0.0.0) sends no RTP, which is normal; a hold longer than this ends the call.
	HoldTimeout time.Duration
	// T1 (default 500ms) is RFC 3261's round-trip estimate (§17.1.1.1): 2xx retransmissions start at T1 and
	// double up to T2 = 8·T1, an unacknowledged 2xx is given up after 64·T1, and an in-dialog request that
	// came ahead of its turn waits up to T1 for the one before it. Tests shorten it.
	T1 time.Duration
	// MaxWait (SIPGATE_MAX_WAIT, default 15m) bounds how long a caller waits for the host or in the lobby;
	// past it the caller hears that nobody let them in, and the call ends.
	MaxWait time.Duration
	// MinSE (SIPGATE_MIN_SE, default 90s) is the shortest session interval sipgate grants a caller (RFC 4028
	// session timers): an INVITE, re-INVITE or UPDATE asking for less gets 422 with Min-SE. The variable takes
	// whole seconds from 90s, the floor of RFC 4028 §5; tests set shorter values here.
	MinSE time.Duration
	// TrustedProxies (SIPGATE_TRUSTED_PROXIES, comma-separated CIDRs or addresses, default none) are the
	// carriers, SBCs or the Kamailio in front whose P-Asserted-Identity and Remote-Party-ID sipgate believes
	// (RFC 3325 trust domain); from anyone else the caller id is From's, marked untrusted (docs/security.md).
	TrustedProxies []netip.Prefix
}

// DefaultCallConfig is the policy when no variable is set.
func DefaultCallConfig() CallConfig {
	return CallConfig{
		RTPIP:             netip.AddrFrom4([4]byte{127, 0, 0, 1}),
		RTPPortMin:        20000,
		RTPPortMax:        29999,
		MaxCalls:          500,
		PINAttempts:       3,
		FirstDigitTimeout: 10 * time.Second,
		InterDigitTimeout: 5 * time.Second,
		MaxDigits:         16,
		MaxIVRTime:        2 * time.Minute,
		NoRTPTimeout:      30 * time.Second,
		HoldTimeout:       time.Hour,
		T1:                500 * time.Millisecond,
		MaxWait:           15 * time.Minute,
		MinSE:             leastMinSE,
	}
}

func readCore(l *envconf.Loader, c *CoreConfig) {
	envconf.Value(l, &c.URL, EnvCoreURL, parseCoreURL)
	l.Secret(&c.Token, EnvCoreToken)
	envconf.Value(l, &c.ResolveTimeout, EnvResolveTimeout, parsePositiveDuration)
	envconf.Value(l, &c.HTTP, EnvCoreHTTP, parseCoreHTTP)
}

func parseCoreHTTP(v string) (string, error) {
	switch h := strings.ToLower(v); h {
	case CoreHTTP2, CoreHTTP1:
		return h, nil
	}
	return "", errors.New("want http2 or http1")
}

func readCall(l *envconf.Loader, c *CallConfig) {
	envconf.Value(l, &c.RTPIP, EnvRTPIP, parseRTPIP)
	l.Func(EnvRTPPorts, func() string { return fmt.Sprintf("%d-%d", c.RTPPortMin, c.RTPPortMax) },
		func(v string) (err error) { c.RTPPortMin, c.RTPPortMax, err = parsePortRange(v); return })
	envconf.Value(l, &c.MaxCalls, EnvMaxCalls, parsePositiveInt)
	envconf.Value(l, &c.PINAttempts, EnvPINAttempts, parsePositiveInt)
	envconf.Value(l, &c.FirstDigitTimeout, EnvFirstDigitTimeout, parsePositiveDuration)
	envconf.Value(l, &c.InterDigitTimeout, EnvInterDigitTimeout, parsePositiveDuration)
	envconf.Value(l, &c.MaxDigits, EnvMaxDigits, parsePositiveInt)
	envconf.Value(l, &c.MaxIVRTime, EnvMaxIVRTime, parsePositiveDuration)
	envconf.Value(l, &c.NoRTPTimeout, EnvNoRTPTimeout, parsePositiveDuration)
	envconf.Value(l, &c.HoldTimeout, EnvHoldTimeout, parsePositiveDuration)
	envconf.Value(l, &c.MaxWait, EnvMaxWait, parsePositiveDuration)
	envconf.Value(l, &c.MinSE, EnvMinSE, parseMinSE)
	envconf.Value(l, &c.TrustedProxies, EnvTrustedProxies, parsePrefixes)
}

func parseCoreURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("want an http:// or https:// URL")
	}
	return strings.TrimRight(v, "/"), nil
}

// parseRTPIP refuses the unspecified address: it goes into the SDP answer, where the caller must reach it.
func parseRTPIP(v string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Addr{}, err
	}
	if ip.IsUnspecified() {
		return netip.Addr{}, errors.New("must be an address callers can reach, not the unspecified address")
	}
	return ip, nil
}

func parsePortRange(v string) (lo, hi uint16, err error) {
	a, b, ok := strings.Cut(v, "-")
	l, err1 := strconv.ParseUint(a, 10, 16)
	h, err2 := strconv.ParseUint(b, 10, 16)
	if !ok || err1 != nil || err2 != nil || l == 0 || h < l+1 {
		return 0, 0, errors.New(`want "min-max" with 0 < min < max <= 65535, such as 20000-29999`)
	}
	return uint16(l), uint16(h), nil
}

func parsePositiveInt(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive whole number")
	}
	return n, nil
}

func parsePositiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("want a Go duration such as 5s: %w", err)
	}
	if d <= 0 {
		return 0, errors.New("must be positive")
	}
	return d, nil
}

// leastMinSE is the least Min-SE RFC 4028 allows (§5).
const leastMinSE = 90 * time.Second

// parseMinSE takes whole seconds, since Min-SE carries delta-seconds (RFC 4028 §5), and no less than the 90
// seconds RFC 4028 allows.
func parseMinSE(v string) (time.Duration, error) {
	d, err := parsePositiveDuration(v)
	if err != nil {
		return 0, err
	}
	if d < leastMinSE || d%time.Second != 0 {
		return 0, errors.New("want whole seconds, 90s or more (RFC 4028)")
	}
	return d, nil
}

// parsePrefixes reads comma-separated CIDRs; a bare address is its own /32 or /128.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for f := range strings.SplitSeq(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither a CIDR nor an address", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

// withDefaults fills zero fields from [DefaultCallConfig].
func (c CallConfig) withDefaults() CallConfig {
	d := DefaultCallConfig()
	if !c.RTPIP.IsValid() {
		c.RTPIP = d.RTPIP
	}
	if c.RTPPortMin == 0 || c.RTPPortMax == 0 {
		c.RTPPortMin, c.RTPPortMax = d.RTPPortMin, d.RTPPortMax
	}
	setDefault(&c.MaxCalls, d.MaxCalls)
	setDefault(&c.PINAttempts, d.PINAttempts)
	setDefault(&c.MaxDigits, d.MaxDigits)
	setDefault(&c.FirstDigitTimeout, d.FirstDigitTimeout)
	setDefault(&c.InterDigitTimeout, d.InterDigitTimeout)
	setDefault(&c.MaxIVRTime, d.MaxIVRTime)
	setDefault(&c.NoRTPTimeout, d.NoRTPTimeout)
	setDefault(&c.HoldTimeout, d.HoldTimeout)
	setDefault(&c.T1, d.T1)
	setDefault(&c.MaxWait, d.MaxWait)
	setDefault(&c.MinSE, d.MinSE)
	return c
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
