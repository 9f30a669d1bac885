package sipgate

import (
	"context"
	"fmt"
	"log/slog"
)

// SIPLogger returns the logger to hand to sipgo (sip.SetDefaultLogger in main; [Server] passes it to sipgo's
// layers itself). sipgo logs raw SIP in a few attributes — a whole unparsable datagram under "data", a
// request's start line under "msg", "req" or "res" — which carry phone numbers in From, To and the
// Request-URI; those values are replaced by "[redacted]". Everything else goes through [MaskLogger]: sipgo's
// error strings quote Request-URIs and Contacts, often the caller's number.
//
// Only top-level attributes are redacted: sipgo does not log groups.
func SIPLogger(l *slog.Logger) *slog.Logger {
	return slog.New(redactHandler{inner: masking(l.Handler())})
}

// MaskLogger returns l masking every run of digits that could be a phone number (maskText) in the message and
// in every attribute written as text — strings, errors, Stringers, byte slices, in groups too — so that no
// phone number reaches a log line, whoever logs it. [Server] applies it to the logger it is given.
func MaskLogger(l *slog.Logger) *slog.Logger {
	return slog.New(masking(l.Handler()))
}

func masking(h slog.Handler) slog.Handler {
	if _, ok := h.(maskHandler); ok {
		return h
	}
	return maskHandler{inner: h}
}

type maskHandler struct{ inner slog.Handler }

func (h maskHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h maskHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, maskText(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h maskHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	safe := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		safe[i] = maskAttr(a)
	}
	return maskHandler{inner: h.inner.WithAttrs(safe)}
}

func (h maskHandler) WithGroup(name string) slog.Handler {
	return maskHandler{inner: h.inner.WithGroup(name)}
}

// maskAttr masks what a handler would write as text; numbers, times and durations pass.
func maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, maskText(v.String()))
	case slog.KindGroup:
		g := v.Group()
		safe := make([]any, len(g))
		for i, ga := range g {
			safe[i] = maskAttr(ga)
		}
		return slog.Group(a.Key, safe...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, maskText(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, maskText(x.String()))
		case []byte:
			return slog.String(a.Key, maskText(string(x)))
		}
		// Anything else keeps its form unless its text holds a number.
		if txt := fmt.Sprint(v.Any()); maskText(txt) != txt {
			return slog.String(a.Key, maskText(txt))
		}
		return slog.Any(a.Key, v.Any())
	}
	return slog.Attr{Key: a.Key, Value: v}
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
