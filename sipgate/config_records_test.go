package sipgate

import (
	"strings"
	"testing"
)

func TestConfigRecords(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		want    RecordsConfig
		wantErr string // the variable the error names; "" for none
	}{
		{"off by default", nil, DefaultRecordsConfig(), ""},
		{"on", map[string]string{EnvCallRecordsDir: "/var/spool/sipgate", EnvCallRecordsKey: testRecordsKey, EnvInstance: "sipgate-0"},
			RecordsConfig{Dir: "/var/spool/sipgate", Key: testRecordsKey, Instance: "sipgate-0"}, ""},
		{"the instance only", map[string]string{EnvInstance: "sipgate-1"}, RecordsConfig{Instance: "sipgate-1"}, ""},
		{"no key", map[string]string{EnvCallRecordsDir: "/var/spool/sipgate"}, RecordsConfig{}, EnvCallRecordsKey},
		{"short key", map[string]string{EnvCallRecordsDir: "/var/spool/sipgate", EnvCallRecordsKey: "short"}, RecordsConfig{}, EnvCallRecordsKey},
	}
	for _, tt := range tests {
		cfg, err := ConfigFromEnv(env(withRequired(tt.vars)))
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "short\"") {
				t.Errorf("%s: error %v, want one naming %s (and not showing the key)", tt.name, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case cfg.Records != tt.want:
			t.Errorf("%s: %+v, want %+v", tt.name, cfg.Records, tt.want)
		}
	}
}
