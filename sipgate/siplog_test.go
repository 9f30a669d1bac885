package sipgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emiago/sipgo/sip"
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

// Every string a log line carries is masked: the message, string attributes, errors (sipgo's quote
// Request-URIs), Stringers, bytes, groups and attributes bound with With.
func TestMaskLoggerMasksEveryString(t *testing.T) {
	var buf bytes.Buffer
	log := MaskLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime}))).
		With("caller", "+33611111111")
	uri := sip.Uri{Scheme: "sip", User: "+33622222222", Host: "gw"}
	log.Warn("call from +33633333333 failed",
		"error", fmt.Errorf("transaction: request sip:+33644444444@10.0.0.1 timed out"),
		"uri", uri,
		"raw", []byte("Contact: <sip:0655555555@phone>"),
		slog.Group("leg", "from", "+33666666666", "port", 31000),
		"count", 12345678) // a number, not text: stays
	line := buf.String()
	for _, n := range []string{"1111111", "2222222", "3333333", "4444444", "5555555", "6666666"} {
		if strings.Contains(line, n) {
			t.Errorf("%s reached the log: %s", n, line)
		}
	}
	if !strings.Contains(line, `"count":12345678`) || !strings.Contains(line, `"port":31000`) {
		t.Errorf("numeric attributes changed: %s", line)
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// No phone number reaches sipgate's log, at debug level, through a whole call: the caller's From and a
// forged P-Asserted-Identity, a wrong PIN, the hang-up, and a datagram sipgo cannot parse.
func TestNoPhoneNumberInLogs(t *testing.T) {
	t.Parallel()
	var buf lockedBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: dropTime}))
	srv := startGateway(t, testCalls, WithLogger(log))
	ctx := hygieneContext(t)
	u := newUAC(t)
	u.invite(ctx, srv.Addr(), "udp", sip.NewHeader("P-Asserted-Identity", "<sip:+33677777777@forged>"))
	u.answered(ctx)
	if err := u.sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	u.keys("0000000000#")
	eventually(t, "the wrong PIN", func() bool { return srv.metric(t, `sipgate_pin_attempts_total{result="wrong"}`) == "1" })
	u.bye(ctx)
	junk, err := net.Dial("udp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer junk.Close()
	junk.Write([]byte("INVITE sip:+33688888888@gw SIP/2.0\r\nVia: nonsense\r\nFrom: <sip:+33699999999@x>\r\n\r\n"))
	eventually(t, "the junk logged", func() bool { return strings.Contains(buf.String(), "parse") })
	out := buf.String()
	for _, n := range []string{testCaller, "+33677777777", "+33688888888", "+33699999999", testNumber} {
		if tail := n[len(n)-7:]; strings.Contains(out, tail) {
			t.Errorf("%s reached the log", maskNumber(n))
		}
	}
	if strings.Count(out, "\n") < 5 {
		t.Errorf("too few log lines to prove anything:\n%s", out)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
