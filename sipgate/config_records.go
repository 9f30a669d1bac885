package sipgate

import (
	"os"

	"github.com/meetline/meetline/internal/envconf"
)

// Environment variables of the call records, read by [ConfigFromEnv].
const (
	EnvCallRecordsDir = "SIPGATE_CALL_RECORDS_DIR"
	EnvCallRecordsKey = "SIPGATE_CALL_RECORDS_KEY"
	EnvInstance       = "SIPGATE_INSTANCE"
)

// DefaultRecordsConfig has records off, and names the replica by its host name (a pod's name under
// Kubernetes).
func DefaultRecordsConfig() RecordsConfig { return RecordsConfig{Instance: defaultInstance()} }

func defaultInstance() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "sipgate"
	}
	return truncate(h, 200)
}

func readRecords(l *envconf.Loader, c *RecordsConfig) {
	l.String(&c.Dir, EnvCallRecordsDir)
	l.Secret(&c.Key, EnvCallRecordsKey)
	l.String(&c.Instance, EnvInstance)
	if c.Dir != "" {
		l.Require(EnvCallRecordsKey)
		if c.Key != "" && len(c.Key) < 16 {
			l.Fail(EnvCallRecordsKey, "(secret)", errShortKey)
		}
	}
}
