package sipgate

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestConfigFromEnvDefaults(t *testing.T) {
	got, err := ConfigFromEnv(env(nil))
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
	}
	if got != want {
		t.Errorf("ConfigFromEnv(empty) = %+v, want %+v", got, want)
	}
}

func TestConfigFromEnvValues(t *testing.T) {
	got, err := ConfigFromEnv(env(map[string]string{
		EnvSIPAddr:      "0.0.0.0:5080",
		EnvHTTPAddr:     ":9090",
		EnvLogLevel:     "DEBUG",
		EnvUserAgent:    "sipgate/1.2",
		EnvDrainTimeout: "2m30s",
		EnvRetryAfter:   "120",
	}))
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
	}
	if got != want {
		t.Errorf("ConfigFromEnv = %+v, want %+v", got, want)
	}
}

func TestConfigFromEnvLogLevels(t *testing.T) {
	for value, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
	} {
		cfg, err := ConfigFromEnv(env(map[string]string{EnvLogLevel: value}))
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
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := ConfigFromEnv(env(map[string]string{tt.name: tt.value}))
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
