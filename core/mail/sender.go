package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/meetline/meetline/core"
)

// TLSMode says how the connection to the SMTP server is encrypted.
type TLSMode string

const (
	TLSNone     TLSMode = "none"     // plain text; credentials are then only sent to a loopback server
	TLSStartTLS TLSMode = "starttls" // RFC 3207: upgrade after EHLO, refused if the server cannot (port 587)
	TLSImplicit TLSMode = "tls"      // RFC 8314 implicit TLS from the first byte (port 465)
)

// Config is where and as whom the Sender sends; the core reads it from its
// environment (SMTP_*, MAIL_FROM*).
type Config struct {
	Host     string
	Port     int     // 0: 25, 587 or 465 after TLS
	TLS      TLSMode // "": starttls
	Username string  // "" sends without SMTP AUTH
	Password string
	// Auth is the SASL mechanism (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, …).
	// "" picks the strongest the server offers over TLS, and PLAIN without
	// TLS, which go-mail only allows towards a loopback address.
	Auth     string
	From     string // the From address (RFC 5322 §3.6.2); its domain also ends each Message-ID
	FromName string
	Timeout  time.Duration // for connecting, then for each message of a batch; 0: 15 s
}

// Option changes what Config cannot say from the environment.
type Option func(*options)

type options struct {
	tls *tls.Config
}

// WithTLSConfig sets the TLS configuration, e.g. a private CA's roots; its
// ServerName defaults to Config.Host.
func WithTLSConfig(c *tls.Config) Option { return func(o *options) { o.tls = c } }

// Sender sends messages over SMTP through go-mail. It is safe for
// concurrent use; each batch has a connection of its own.
type Sender struct {
	client *gomail.Client
	from   *mail.Address
	domain string
}

// NewSender checks cfg and returns a Sender; it does not connect.
func NewSender(cfg Config, opts ...Option) (*Sender, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil || from.Address != cfg.From {
		return nil, fmt.Errorf("mail: from %q is not a bare e-mail address", cfg.From)
	}
	from.Name = cfg.FromName
	copts, err := clientOptions(cfg, o)
	if err != nil {
		return nil, err
	}
	client, err := gomail.NewClient(cfg.Host, copts...)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return &Sender{client: client, from: from, domain: from.Address[strings.LastIndexByte(from.Address, '@')+1:]}, nil
}

func clientOptions(cfg Config, o options) ([]gomail.Option, error) {
	if cfg.Host == "" {
		return nil, errors.New("mail: no SMTP host")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.tls != nil {
		tlsConfig = o.tls.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = cfg.Host
	}
	copts := []gomail.Option{gomail.WithTimeout(timeout), gomail.WithTLSConfig(tlsConfig)}
	switch cfg.TLS {
	case TLSNone:
		copts = append(copts, gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithPort(portOr(cfg.Port, 25)))
	case TLSStartTLS, "":
		copts = append(copts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithPort(portOr(cfg.Port, 587)))
	case TLSImplicit:
		copts = append(copts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithPort(portOr(cfg.Port, 465)))
	default:
		return nil, fmt.Errorf("mail: TLS mode %q: want none, starttls or tls", cfg.TLS)
	}
	return append(copts, authOptions(cfg)...), nil
}

func authOptions(cfg Config) []gomail.Option {
	if cfg.Username == "" {
		return nil
	}
	mech := gomail.SMTPAuthType(strings.ToUpper(cfg.Auth))
	switch {
	case mech == "" && cfg.TLS == TLSNone:
		mech = gomail.SMTPAuthPlain
	case mech == "":
		mech = gomail.SMTPAuthAutoDiscover
	}
	return []gomail.Option{gomail.WithSMTPAuth(mech), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password)}
}

func portOr(port, def int) int {
	if port > 0 {
		return port
	}
	return def
}

// Send delivers msgs over one connection and returns one error per message
// (nil when the server accepted it). When the connection fails, every
// message gets that error.
func (s *Sender) Send(ctx context.Context, msgs ...*core.Message) []error {
	errs := make([]error, len(msgs))
	conn, err := s.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		for i := range errs {
			errs[i] = fmt.Errorf("connect: %w", err)
		}
		return errs
	}
	defer s.client.CloseWithSMTPClient(conn)
	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		gm, err := s.build(m)
		if err == nil {
			err = s.client.SendWithSMTPClient(conn, gm)
		}
		errs[i] = err
	}
	return errs
}

// build turns m into a MIME message: text/plain and text/html as
// multipart/alternative (RFC 2046 §5.1.4), attachments around them as
// multipart/mixed. The Message-ID (RFC 5322 §3.6.4) comes from the outbox
// row, so a message sent twice after a crash carries the same one.
func (s *Sender) build(m *core.Message) (*gomail.Msg, error) {
	gm := gomail.NewMsg()
	gm.FromMailAddress(s.from)
	if err := gm.To(m.To); err != nil {
		return nil, permanent(errors.New("invalid recipient address"))
	}
	gm.Subject(m.Subject)
	gm.SetDate()
	if m.ID != "" {
		gm.SetMessageIDWithValue(m.ID + "@" + s.domain)
	} else {
		gm.SetMessageID()
	}
	gm.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		gm.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		err := gm.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(a.ContentType)))
		if err != nil {
			return nil, permanent(fmt.Errorf("attachment %q: %w", a.Name, err))
		}
	}
	return gm, nil
}
