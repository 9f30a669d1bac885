package sipgate

import (
	"errors"
	"strings"
	"time"

	"github.com/meetline/meetline/internal/envconf"
)

// Environment variables of the hand-off to LiveKit's SIP service, read by [ConfigFromEnv].
const (
	EnvLiveKitSIPAddr      = "SIPGATE_LIVEKIT_SIP_ADDR"
	EnvLiveKitSIPTransport = "SIPGATE_LIVEKIT_SIP_TRANSPORT"
	EnvLiveKitSIPUsername  = "SIPGATE_LIVEKIT_SIP_USERNAME"
	EnvLiveKitSIPPassword  = "SIPGATE_LIVEKIT_SIP_PASSWORD"
	EnvLiveKitSetupTimeout = "SIPGATE_LIVEKIT_SETUP_TIMEOUT"
	EnvReferTimeout        = "SIPGATE_REFER_TIMEOUT"
)

// LiveKitConfig says how sipgate reaches LiveKit's SIP service, where admitted callers go: sipgate dials
// sip:<LiveKit room>@Addr from the inbound trunk the core provisions (core/livekit/sip.go), with the
// trunk's digest credentials.
type LiveKitConfig struct {
	// Addr (SIPGATE_LIVEKIT_SIP_ADDR, host:port) is LiveKit's SIP service. Empty: no hand-off, admitted
	// callers hear "service unavailable".
	Addr string
	// Transport (SIPGATE_LIVEKIT_SIP_TRANSPORT, udp or tcp, default udp) of the leg to LiveKit.
	Transport string
	// Username and Password (SIPGATE_LIVEKIT_SIP_USERNAME, SIPGATE_LIVEKIT_SIP_PASSWORD) answer LiveKit's
	// digest challenge (RFC 3261 §22.2); the core provisions the same pair on LiveKit's trunk.
	Username, Password string
	// SetupTimeout (SIPGATE_LIVEKIT_SETUP_TIMEOUT, default 10s) bounds the INVITE to LiveKit; past it the
	// leg is cancelled and the caller hears "service unavailable".
	SetupTimeout time.Duration
	// ReferTimeout (SIPGATE_REFER_TIMEOUT, default 10s) bounds a transfer by REFER, from the request to
	// the final NOTIFY; past it sipgate bridges the call itself.
	ReferTimeout time.Duration
}

// DefaultLiveKitConfig has no address: the hand-off is off until one is given.
func DefaultLiveKitConfig() LiveKitConfig {
	return LiveKitConfig{Transport: "udp", SetupTimeout: 10 * time.Second, ReferTimeout: 10 * time.Second}
}

func readLiveKit(l *envconf.Loader, c *LiveKitConfig) {
	envconf.Value(l, &c.Addr, EnvLiveKitSIPAddr, parseHostPort)
	envconf.Value(l, &c.Transport, EnvLiveKitSIPTransport, parseLegTransport)
	l.String(&c.Username, EnvLiveKitSIPUsername)
	l.Secret(&c.Password, EnvLiveKitSIPPassword)
	envconf.Value(l, &c.SetupTimeout, EnvLiveKitSetupTimeout, parsePositiveDuration)
	envconf.Value(l, &c.ReferTimeout, EnvReferTimeout, parsePositiveDuration)
}

func parseLegTransport(v string) (string, error) {
	switch t := strings.ToLower(v); t {
	case "udp", "tcp":
		return t, nil
	}
	return "", errors.New("want udp or tcp")
}

// withDefaults fills zero fields from [DefaultLiveKitConfig].
func (c LiveKitConfig) withDefaults() LiveKitConfig {
	d := DefaultLiveKitConfig()
	if c.Transport == "" {
		c.Transport = d.Transport
	}
	setDefault(&c.SetupTimeout, d.SetupTimeout)
	setDefault(&c.ReferTimeout, d.ReferTimeout)
	return c
}
