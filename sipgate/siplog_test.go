package sipgate

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestSIPLoggerRedactsRawSIP(t *testing.T) {
	var buf bytes.Buffer
	log := SIPLogger(slog.New(slog.NewJSONHandler(&buf, nil))).With("req", "INVITE sip:+33612345678@gw SIP/2.0")
	log.Error("failed to parse",
		"data", "INVITE sip:+33612345678@gw SIP/2.0\r\nFrom: <sip:+33698765432@carrier>",
		"msg", "OPTIONS sip:+33612345678@gw",
		"res", "SIP/2.0 200 OK",
		"tx", "z9hG4bK-1__127.0.0.1__5060__INVITE",
	)
	line := buf.String()
	if strings.Contains(line, "+336") {
		t.Fatalf("phone number leaked into the log: %s", line)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("log line is not JSON: %v: %s", err, line)
	}
	want := map[string]any{
		"msg":     "failed to parse", // the record's message, not clobbered by sipgo's "msg" attribute
		"data":    redacted,
		"sip_msg": redacted,
		"req":     redacted,
		"res":     redacted,
		"tx":      "z9hG4bK-1__127.0.0.1__5060__INVITE",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestSIPLoggerKeepsLevel(t *testing.T) {
	var buf bytes.Buffer
	log := SIPLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	log.Debug("chatty")
	if buf.Len() != 0 {
		t.Errorf("debug record passed a warn-level handler: %s", buf.String())
	}
}
