package app

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/core/livekit"
)

// minimal holds the variables without a default.
var minimal = map[string]string{
	"DATABASE_URL":       "postgres://localhost/meetline",
	"VALKEY_ADDR":        "127.0.0.1:6379",
	"S3_ENDPOINT":        "http://127.0.0.1:9000",
	"S3_ACCESS_KEY":      "key",
	"S3_SECRET_KEY":      "secret",
	"LIVEKIT_URL":        "http://127.0.0.1:7880",
	"LIVEKIT_API_KEY":    "devkey",
	"LIVEKIT_API_SECRET": "secret",
}

func getenv(vars map[string]string, overrides ...string) func(string) string {
	m := make(map[string]string, len(vars))
	for k, v := range vars {
		m[k] = v
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		m[overrides[i]] = overrides[i+1]
	}
	return func(k string) string { return m[k] }
}

// load is LoadConfig without its Loader.
func load(getenv func(string) string) (Config, error) {
	c, _, err := LoadConfig(getenv)
	return c, err
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := load(getenv(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.AdminAddr != "127.0.0.1:9090" || c.LogLevel != slog.LevelInfo || c.ShutdownTimeout != 20*time.Second ||
		!c.MigrateOnStart || c.ValkeyPrefix != "meetline:" || c.S3Region != "us-east-1" || c.S3Bucket != "meetline" ||
		!c.TelephonyEnabled || c.TelephonyDefaultRegion != "FR" || !c.RecordingEnabled ||
		c.RecordingTranscriptionEnabled || c.RecordingExpirationDays != 0 || c.CallRecords.Retention != 90*24*time.Hour ||
		c.OIDCScopes != "openid email profile" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadConfigOverrides(t *testing.T) {
	c, err := load(getenv(minimal, "CORE_ADDR", ":9999", "LOG_LEVEL", "debug", "TELEPHONY_DEFAULT_REGION", "nl",
		"RECORDING_EXPIRATION_DAYS", "30", "TELEPHONY_ENABLED", "false", "CORE_SHUTDOWN_TIMEOUT", "3s",
		"RECORDING_EXPIRY_INTERVAL", "10m", "CALL_RECORDS_RETENTION_DAYS", "30", "CALL_RECORDS_LOST_AFTER", "2h",
		"OIDC_SCOPES", " openid  email given_name usual_name "))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9999" || c.LogLevel != slog.LevelDebug || c.TelephonyDefaultRegion != "NL" ||
		c.RecordingExpirationDays != 30 || c.TelephonyEnabled || c.ShutdownTimeout != 3*time.Second ||
		c.RecordingExpiryInterval != 10*time.Minute ||
		c.CallRecords.Retention != 30*24*time.Hour || c.CallRecords.LostAfter != 2*time.Hour ||
		c.OIDCScopes != "openid email given_name usual_name" {
		t.Errorf("config = %+v", c)
	}
}

func TestLoadConfigTrustedProxies(t *testing.T) {
	c, err := load(getenv(minimal, "TRUSTED_PROXIES", " 10.1.2.3/8, 192.0.2.7 ,2001:db8::/32"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c.TrustedProxies); got != "[10.0.0.0/8 192.0.2.7/32 2001:db8::/32]" {
		t.Errorf("TrustedProxies = %s", got)
	}
	c, err = load(getenv(minimal, "INVITATION_DOMAINS", "Example.org, example.net"))
	if err != nil || fmt.Sprint(c.InvitationRecipients.Domains) != "[example.org example.net]" {
		t.Errorf("INVITATION_DOMAINS = %v, %v", c.InvitationRecipients.Domains, err)
	}
}

func TestLoadConfigErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		name  string
		env   func(string) string
		wants string
	}{
		{"missing database", getenv(minimal, "DATABASE_URL", ""), "DATABASE_URL is required"},
		{"missing livekit secret", getenv(minimal, "LIVEKIT_API_SECRET", ""), "LIVEKIT_API_SECRET is required"},
		{"bad bool", getenv(minimal, "TELEPHONY_ENABLED", "maybe"), `TELEPHONY_ENABLED="maybe"`},
		{"bad level", getenv(minimal, "LOG_LEVEL", "loud"), `LOG_LEVEL="loud"`},
		{"bad duration", getenv(minimal, "CORE_SHUTDOWN_TIMEOUT", "-1s"), `CORE_SHUTDOWN_TIMEOUT="-1s"`},
		{"days out of range", getenv(minimal, "RECORDING_EXPIRATION_DAYS", "-3"), `RECORDING_EXPIRATION_DAYS="-3"`},
		{"days not a number", getenv(minimal, "RECORDING_EXPIRATION_DAYS", "ten"), `RECORDING_EXPIRATION_DAYS="ten"`},
		{"no retention", getenv(minimal, "CALL_RECORDS_RETENTION_DAYS", "0"), `CALL_RECORDS_RETENTION_DAYS="0"`},
		{"retention not days", getenv(minimal, "CALL_RECORDS_RETENTION_DAYS", "90d"), `CALL_RECORDS_RETENTION_DAYS="90d"`},
		{"scopes without openid", getenv(minimal, "OIDC_SCOPES", "email profile"), `OIDC_SCOPES="email profile"`},
		{"bad region", getenv(minimal, "TELEPHONY_DEFAULT_REGION", "France"), `TELEPHONY_DEFAULT_REGION="France"`},
		{"unknown access level", getenv(minimal, "ROOM_DEFAULT_ACCESS_LEVEL", "open"), `ROOM_DEFAULT_ACCESS_LEVEL="open"`},
		{"no mail retention", getenv(minimal, "MAIL_RETENTION_DAYS", "0"), `MAIL_RETENTION_DAYS="0"`},
		{"unknown marketing provider", getenv(minimal, "MARKETING_PROVIDER", "mailchimp"), `MARKETING_PROVIDER="mailchimp"`},
		{"brevo without key", getenv(minimal, "MARKETING_PROVIDER", "brevo", "SMTP_HOST", "h", "MAIL_FROM", "a@b.c"), `BREVO_API_KEY`},
		{"brevo without mail", getenv(minimal, "MARKETING_PROVIDER", "brevo", "BREVO_API_KEY", "k"), `SMTP_HOST`},
		{"bad list ids", getenv(minimal, "BREVO_LIST_IDS", "1,two"), `BREVO_LIST_IDS="1,two"`},
		{"mail without sender", getenv(minimal, "SMTP_HOST", "smtp.example.org"), `MAIL_FROM`},
		{"admin on the public address", getenv(minimal, "CORE_ADDR", ":8080", "CORE_ADMIN_ADDR", ":8080"), `CORE_ADMIN_ADDR=":8080"`},
		{"bad invitation domain", getenv(minimal, "INVITATION_DOMAINS", "example.org, @evil"), `INVITATION_DOMAINS="example.org, @evil"`},
		{"bad trusted proxy", getenv(minimal, "TRUSTED_PROXIES", "10.0.0.0/8,nginx"), `TRUSTED_PROXIES="10.0.0.0/8,nginx"`},
		{"summary without tokens", getenv(minimal, "SUMMARY_URL", "https://s", "SMTP_HOST", "h", "MAIL_FROM", "a@b.c"), `SUMMARY_TOKEN`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.wants) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wants)
			}
		})
	}
}

func TestLoadConfigSIPRouting(t *testing.T) {
	c, err := load(getenv(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if sip := c.LiveKitSIP; sip.TrunkName != "meetline-sipgate" || sip.AllowedAddresses != nil || sip.AuthUsername != "" {
		t.Errorf("defaults = %+v", sip)
	}
	c, err = load(getenv(minimal, "LIVEKIT_SIP_TRUNK_NAME", "sip-eu", "LIVEKIT_SIP_ALLOWED_ADDRESSES", " 192.0.2.10, 2001:db8::/64,,",
		"LIVEKIT_SIP_AUTH_USERNAME", "sipgate", "LIVEKIT_SIP_AUTH_PASSWORD", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.LiveKitReferAddresses) != 0 || c.LiveKitTransferTTL != time.Minute {
		t.Errorf("REFER carriers %v, transfer TTL %v; want none, 1m", c.LiveKitReferAddresses, c.LiveKitTransferTTL)
	}
	want := livekit.SIPRouting{TrunkName: "sip-eu", AllowedAddresses: []string{"192.0.2.10", "2001:db8::/64"},
		AuthUsername: "sipgate", AuthPassword: "pw"}
	if sip := c.LiveKitSIP; sip.TrunkName != want.TrunkName || !slices.Equal(sip.AllowedAddresses, want.AllowedAddresses) ||
		sip.AuthUsername != want.AuthUsername || sip.AuthPassword != want.AuthPassword {
		t.Errorf("LiveKitSIP = %+v, want %+v", sip, want)
	}

	for _, tt := range []struct {
		name  string
		env   func(string) string
		wants string
	}{
		{"host name", getenv(minimal, "LIVEKIT_SIP_ALLOWED_ADDRESSES", "10.0.0.1,sipgate.example"), `LIVEKIT_SIP_ALLOWED_ADDRESSES="10.0.0.1,sipgate.example"`},
		{"bad prefix", getenv(minimal, "LIVEKIT_SIP_ALLOWED_ADDRESSES", "10.0.0.0/33"), `LIVEKIT_SIP_ALLOWED_ADDRESSES="10.0.0.0/33"`},
		{"user without password", getenv(minimal, "LIVEKIT_SIP_AUTH_USERNAME", "sipgate"), `LIVEKIT_SIP_AUTH_PASSWORD=""`},
		{"password without user", getenv(minimal, "LIVEKIT_SIP_AUTH_PASSWORD", "hunter2"), `LIVEKIT_SIP_AUTH_USERNAME=""`},
		{"REFER carriers without sipgate's credentials", getenv(minimal, "LIVEKIT_SIP_REFER_ADDRESSES", "192.0.2.0/24"), `LIVEKIT_SIP_AUTH_USERNAME=""`},
		{"REFER carrier by name", getenv(minimal, "LIVEKIT_SIP_REFER_ADDRESSES", "carrier.example"), `LIVEKIT_SIP_REFER_ADDRESSES="carrier.example"`},
	} {
		_, err := load(tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.wants) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error = %v, want it to name %s and no password", tt.name, err, tt.wants)
		}
	}
}

// TestLoadConfigRefusesWeakSecrets: a short shared secret can be guessed,
// and the development issuer signs anyone in as anyone, so it may serve only
// a core whose public URL is this machine.
func TestLoadConfigRefusesWeakSecrets(t *testing.T) {
	strong := strings.Repeat("s", 32)
	for _, tt := range []struct {
		name  string
		env   func(string) string
		wants string // "" for no error
	}{
		{"short lobby secret", getenv(minimal, "LOBBY_TICKET_SECRET", "meetline-dev-lobby"), `LOBBY_TICKET_SECRET`},
		{"short storage token", getenv(minimal, "STORAGE_WEBHOOK_TOKEN", "meetline-dev-storage"), `STORAGE_WEBHOOK_TOKEN`},
		{"short summary callback token", getenv(minimal, "SUMMARY_CALLBACK_TOKEN", "short"), `SUMMARY_CALLBACK_TOKEN`},
		{"short service token", getenv(minimal, "SERVICE_TOKENS", "sipgate:meetline-dev-sipgate-1"), `service token for sipgate`},
		{"strong secrets", getenv(minimal, "LOBBY_TICKET_SECRET", strong, "STORAGE_WEBHOOK_TOKEN", strong,
			"SUMMARY_CALLBACK_TOKEN", strong, "SERVICE_TOKENS", "sipgate:"+strong), ""},
		{"dev issuer on a public URL", getenv(minimal, "CORE_DEV_ISSUER", "true", "CORE_PUBLIC_URL", "http://meet.example.org:8000"), `CORE_DEV_ISSUER`},
		{"dev issuer on a public address", getenv(minimal, "CORE_DEV_ISSUER", "true", "CORE_PUBLIC_URL", "http://192.0.2.7"), `CORE_DEV_ISSUER`},
		{"dev issuer on all interfaces", getenv(minimal, "CORE_DEV_ISSUER", "true", "CORE_ADDR", "0.0.0.0:8080"), `CORE_DEV_ISSUER`},
		{"dev issuer on localhost", getenv(minimal, "CORE_DEV_ISSUER", "true", "CORE_PUBLIC_URL", "http://localhost:8000"), ""},
		{"dev issuer on loopback", getenv(minimal, "CORE_DEV_ISSUER", "true", "CORE_PUBLIC_URL", "http://127.0.0.1:8080/"), ""},
		{"dev issuer on IPv6 loopback", getenv(minimal, "CORE_DEV_ISSUER", "true", "CORE_PUBLIC_URL", "http://[::1]:8080"), ""},
		{"dev issuer by default address", getenv(minimal, "CORE_DEV_ISSUER", "true"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(tt.env)
			switch {
			case tt.wants == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tt.wants != "" && (err == nil || !strings.Contains(err.Error(), tt.wants)):
				t.Errorf("err = %v, want it to name %s", err, tt.wants)
			case err != nil && strings.Contains(err.Error(), "meetline-dev"):
				t.Errorf("err = %v quotes the secret", err)
			}
		})
	}
}
