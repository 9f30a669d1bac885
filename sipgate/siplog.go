package sipgate

import (
	"context"
	"log/slog"
)

// SIPLogger returns the logger to hand to sipgo (sip.SetDefaultLogger in main; [Server] passes it to sipgo's
// layers itself). sipgo logs raw SIP in a few attributes — a whole unparsable datagram under "data", a
// request's start line under "msg", "req" or "res" — which carry phone numbers in From, To and the
// Request-URI; those values are replaced by "[redacted]". Until masking lands, sipgate keeps personal data out
// of its logs altogether.
//
// Only top-level attributes are inspected: sipgo does not log groups. Error values pass through unchanged, and
// a parse error can quote the header it failed on.
func SIPLogger(l *slog.Logger) *slog.Logger {
	return slog.New(redactHandler{inner: l.Handler()})
}

const redacted = "[redacted]"

// redactKeys maps each sipgo attribute that can carry raw SIP to the key it is written under. "msg" is renamed
// because in JSON it would collide with the record's message.
var redactKeys = map[string]string{
	"data": "data",
	"msg":  "sip_msg",
	"req":  "req",
	"res":  "res",
}

type redactHandler struct{ inner slog.Handler }

func (h redactHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	safe := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		safe[i] = redactAttr(a)
	}
	return redactHandler{inner: h.inner.WithAttrs(safe)}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{inner: h.inner.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	if key, ok := redactKeys[a.Key]; ok {
		return slog.String(key, redacted)
	}
	return a
}
