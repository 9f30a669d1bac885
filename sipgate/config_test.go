package sipgate

import (
	"errors"
	"log/slog"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// required are the variables without a default.
var required = map[string]string{EnvCoreURL: "http://127.0.0.1:8080", EnvCoreToken: "tok"}

// withRequired adds the required variables to vars.
func withRequired(vars map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range required {
		out[k] = v
	}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

func TestConfigFromEnvRequires(t *testing.T) {
	_, err := ConfigFromEnv(env(nil))
	for _, name := range []string{EnvCoreURL, EnvCoreToken} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
	_, err = ConfigFromEnv(env(withRequired(map[string]string{EnvTLSAddr: "127.0.0.1:5061"})))
	if err == nil || !strings.Contains(err.Error(), EnvTLSCertFile) {
		t.Errorf("TLS without files: %v", err)
	}
}

func TestConfigFromEnvDefaults(t *testing.T) {
	got, err := ConfigFromEnv(env(required))
	if err != nil {
		t.Fatalf("ConfigFromEnv(empty) error: %v", err)
	}
	want := Config{
		SIPAddr:      "127.0.0.1:5060",
		HTTPAddr:     "127.0.0.1:8081",
		LogLevel:     slog.LevelInfo,
		UserAgent:    "meetline-sipgate",
		DrainTimeout: 30 * time.Second,
		RetryAfter:   30 * time.Second,
		Core:         CoreConfig{URL: "http://127.0.0.1:8080", Token: "tok", ResolveTimeout: 2 * time.Second, HTTP: CoreHTTP2},
		Call:         DefaultCallConfig(),
		LiveKit:      DefaultLiveKitConfig(),
		Records:      DefaultRecordsConfig(),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigFromEnv(empty) = %+v, want %+v", got, want)
	}
}

func TestConfigFromEnvValues(t *testing.T) {
	got, err := ConfigFromEnv(env(withRequired(map[string]string{
		EnvSIPAddr:        "0.0.0.0:5080",
		EnvHTTPAddr:       ":9090",
		EnvLogLevel:       "DEBUG",
		EnvUserAgent:      "sipgate/1.2",
		EnvDrainTimeout:   "2m30s",
		EnvRetryAfter:     "120",
		EnvRTPIP:          "192.0.2.10",
		EnvRTPPorts:       "30000-30100",
		EnvMaxCalls:       "50",
		EnvMaxIVRTime:     "90s",
		EnvMaxWait:        "5m",
		EnvMinSE:          "120s",
		EnvTrustedProxies: "192.0.2.77/24, 2001:db8::1",
		EnvCoreHTTP:       "HTTP1",

		EnvLiveKitSIPAddr:      "10.0.0.5:5060",
		EnvLiveKitSIPTransport: "TCP",
		EnvLiveKitSIPUsername:  "sipgate",
		EnvLiveKitSIPPassword:  "secret",
		EnvLiveKitSetupTimeout: "3s",
		EnvReferTimeout:        "20s",
	})))
	if err != nil {
		t.Fatalf("ConfigFromEnv error: %v", err)
	}
	want := Config{
		SIPAddr:      "0.0.0.0:5080",
		HTTPAddr:     ":9090",
		LogLevel:     slog.LevelDebug,
		UserAgent:    "sipgate/1.2",
		DrainTimeout: 150 * time.Second,
		RetryAfter:   120 * time.Second,
		Core:         CoreConfig{URL: "http://127.0.0.1:8080", Token: "tok", ResolveTimeout: 2 * time.Second, HTTP: CoreHTTP1},
		Call:         DefaultCallConfig(),
		LiveKit: LiveKitConfig{Addr: "10.0.0.5:5060", Transport: "tcp", Username: "sipgate", Password: "secret",
			SetupTimeout: 3 * time.Second, ReferTimeout: 20 * time.Second},
		Records: DefaultRecordsConfig(),
	}
	want.Call.MaxWait, want.Call.MinSE = 5*time.Minute, 2*time.Minute
	want.Call.RTPIP = netip.MustParseAddr("192.0.2.10")
	want.Call.RTPPortMin, want.Call.RTPPortMax = 30000, 30100
	want.Call.MaxCalls, want.Call.MaxIVRTime = 50, 90*time.Second
	want.Call.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::1/128")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigFromEnv = %+v, want %+v", got, want)
	}
}

func TestConfigFromEnvLogLevels(t *testing.T) {
	for value, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
	} {
		cfg, err := ConfigFromEnv(env(withRequired(map[string]string{EnvLogLevel: value})))
		if err != nil || cfg.LogLevel != want {
			t.Errorf("%s=%s: level %v, error %v; want %v", EnvLogLevel, value, cfg.LogLevel, err, want)
		}
	}
}

func TestConfigFromEnvInvalid(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{EnvSIPAddr, "127.0.0.1"},
		{EnvSIPAddr, "127.0.0.1:sip"},
		{EnvSIPAddr, "127.0.0.1:65536"},
		{EnvHTTPAddr, "localhost"},
		{EnvHTTPAddr, "localhost:-1"},
		{EnvLogLevel, "verbose"},
		{EnvLogLevel, "info+2"},
		{EnvUserAgent, "   "},
		{EnvUserAgent, "evil\r\nX-Injected: 1"},
		{EnvDrainTimeout, "30"},
		{EnvDrainTimeout, "-1s"},
		{EnvRetryAfter, "0"},
		{EnvRetryAfter, "-5"},
		{EnvRetryAfter, "30s"},
		{EnvRetryAfter, "4294967296"},
		{EnvCoreURL, "127.0.0.1:8080"},
		{EnvRTPIP, "0.0.0.0"},
		{EnvRTPIP, "localhost"},
		{EnvRTPPorts, "20000"},
		{EnvRTPPorts, "30000-20000"},
		{EnvMaxCalls, "0"},
		{EnvPINAttempts, "three"},
		{EnvTrustedProxies, "192.0.2.0/33"},
		{EnvTrustedProxies, "carrier.example"},
		{EnvFirstDigitTimeout, "10"},
		{EnvNoRTPTimeout, "-1s"},
		{EnvHoldTimeout, "0s"},
		{EnvResolveTimeout, "0s"},
		{EnvCoreHTTP, "h2"},
		{EnvCoreHTTP, "http3"},
		{EnvTLSAddr, "nowhere"},
		{EnvMaxWait, "forever"},
		{EnvMinSE, "60s"}, // RFC 4028: 90 s at least
		{EnvMinSE, "90.5s"},
		{EnvMinSE, "90"},
		{EnvLiveKitSIPAddr, "livekit"},
		{EnvLiveKitSIPTransport, "tls"},
		{EnvLiveKitSetupTimeout, "0s"},
		{EnvReferTimeout, "-3s"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := ConfigFromEnv(env(withRequired(map[string]string{tt.name: tt.value})))
			var envErr *EnvError
			if !errors.As(err, &envErr) {
				t.Fatalf("error = %v, want an *EnvError", err)
			}
			if envErr.Name != tt.name {
				t.Errorf("EnvError.Name = %q, want %q", envErr.Name, tt.name)
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("error %q does not name %s", err, tt.name)
			}
		})
	}
}

func TestConfigFromEnvReportsEveryInvalidVariable(t *testing.T) {
	_, err := ConfigFromEnv(env(map[string]string{
		EnvSIPAddr:    "nope",
		EnvRetryAfter: "never",
	}))
	if err == nil {
		t.Fatal("ConfigFromEnv accepted two invalid variables")
	}
	for _, name := range []string{EnvSIPAddr, EnvRetryAfter} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
