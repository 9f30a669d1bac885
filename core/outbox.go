package core

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Message is one e-mail to one recipient, rendered and ready to send. It is
// written to the outbox in the same transaction as the change that causes it,
// so that a change is never committed without its mail, nor mail sent for a
// change that was rolled back.
type Message struct {
	ID          string // the outbox row; also the left part of the Message-ID header
	Kind        string // what it is about ("invitation", "recording_ready"), for metrics and inspection
	To          string // a single addr-spec (RFC 5322 §3.4.1): one message per recipient
	Subject     string
	Text        string // text/plain part
	HTML        string // text/html part; with Text, sent as multipart/alternative
	Attachments []Attachment
	Attempts    int // sending attempts so far, counting the one in progress after a claim
	CreatedAt   time.Time
}

// Attachment is a file sent with a Message, such as an invitation's .ics.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Outbox is the queue of messages waiting to be sent, as the mail worker sees
// it. Enqueueing belongs to the store's transactions and is not part of it.
type Outbox interface {
	// ClaimDue returns up to limit messages whose time has come and leases
	// them for lease: no other worker gets them before the lease ends, and a
	// worker that dies holding them only delays them by lease. Each claim
	// counts as an attempt.
	ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]*Message, error)
	// MarkSent records that the message was accepted by the SMTP server.
	MarkSent(ctx context.Context, id string) error
	// MarkFailed records a failed attempt: the message is tried again at
	// retryAt, or, when final, kept as failed for inspection. The stored
	// error never contains an e-mail address.
	MarkFailed(ctx context.Context, id string, cause error, retryAt time.Time, final bool) error
}

// addrLike matches anything shaped like an e-mail address, with or without
// angle brackets. It is deliberately loose: redacting too much is harmless.
var addrLike = regexp.MustCompile(`[^\s<>()\[\]"',;:]+@[^\s<>()\[\]"',;:]+`)

// RedactAddresses replaces every e-mail address in s with "[address]". SMTP
// servers quote the recipient in their replies ("550 5.1.1 <bob@example.com>:
// no such user"), and those replies end up in logs and in the outbox's
// last_error, where personal data does not belong.
func RedactAddresses(s string) string {
	return addrLike.ReplaceAllString(s, "[address]")
}

// Validate checks what the outbox needs to send m: a kind, a single bare
// recipient address, a subject on one line (RFC 5322 §2.2: a header field
// value must not break the header) and a text body.
func (m *Message) Validate() error {
	if m.Kind == "" {
		return Invalid("kind", "must not be empty")
	}
	if a, err := mail.ParseAddress(m.To); err != nil || a.Address != m.To || a.Name != "" {
		return Invalid("to", "must be a bare e-mail address")
	}
	if strings.TrimSpace(m.Subject) == "" || strings.ContainsAny(m.Subject, "\r\n") {
		return Invalid("subject", "must be one non-blank line")
	}
	if m.Text == "" {
		return Invalid("text", "must not be empty")
	}
	for _, a := range m.Attachments {
		if a.Name == "" || a.ContentType == "" || strings.ContainsAny(a.Name+a.ContentType, "\r\n") {
			return Invalid("attachments", "each needs a one-line name and content type")
		}
	}
	return nil
}
