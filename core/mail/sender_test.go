package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/core/testenv"
)

// sender returns a Sender to mp without TLS, changed by edit.
func sender(t testing.TB, mp *testenv.MailpitServer, edit func(*mail.Config), opts ...mail.Option) *mail.Sender {
	t.Helper()
	cfg := mail.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: mail.TLSNone, From: "meet@example.com",
		FromName: "Meetline", Timeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	s, err := mail.NewSender(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func send(t testing.TB, s *mail.Sender, msgs ...*core.Message) {
	t.Helper()
	for i, err := range s.Send(t.Context(), msgs...) {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
}

func only(t testing.TB, mp *testenv.MailpitServer) *testenv.Mail {
	t.Helper()
	list := mp.WaitMessages(1, 5*time.Second)
	if len(list) != 1 {
		t.Fatalf("%d messages in mailpit, want 1", len(list))
	}
	return mp.Message(list[0].ID)
}

// TestSendMultipart sends a rendered invitation with its .ics and reads it
// back from mailpit: both alternatives and the attachment arrive intact.
func TestSendMultipart(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	m, err := newRenderer(t).Invitation("bob@example.com", "fr-fr", "Europe/Paris", scheduled())
	if err != nil {
		t.Fatal(err)
	}
	m.ID = "0b6f1c52-8f5e-4d8a-b1b6-2f3c4d5e6f70"
	send(t, sender(t, mp, nil), m)

	got := only(t, mp)
	if got.Subject != m.Subject || len(got.To) != 1 || got.To[0].Address != "bob@example.com" {
		t.Errorf("subject %q to %+v", got.Subject, got.To)
	}
	if got.From.Address != "meet@example.com" || got.From.Name != "Meetline" || got.Username != "" {
		t.Errorf("from %+v, user %q", got.From, got.Username)
	}
	if got.MessageID != m.ID+"@example.com" {
		t.Errorf("Message-ID %q", got.MessageID)
	}
	// SMTP carries lines ended by CRLF (RFC 5321 §2.3.8).
	if text := strings.ReplaceAll(got.Text, "\r\n", "\n"); strings.TrimSpace(text) != strings.TrimSpace(m.Text) {
		t.Errorf("text:\n%s\nwant:\n%s", got.Text, m.Text)
	}
	if !strings.Contains(got.HTML, "Rejoindre l’appel</a>") || !strings.Contains(got.HTML, `href="https://meet.example.com/weekly-sync"`) {
		t.Errorf("html:\n%s", got.HTML)
	}
	if len(got.Attachments) != 1 || got.Attachments[0].FileName != "invite.ics" ||
		!strings.HasPrefix(got.Attachments[0].ContentType, "text/calendar") {
		t.Fatalf("attachments %+v", got.Attachments)
	}
	if ics := mp.Part(got.ID, got.Attachments[0].PartID); string(ics) != string(m.Attachments[0].Data) {
		t.Errorf("ics:\n%q\nwant:\n%q", ics, m.Attachments[0].Data)
	}
	raw := string(mp.Raw(got.ID))
	for _, want := range []string{"multipart/mixed", "multipart/alternative", "text/plain; charset=UTF-8", "text/html; charset=UTF-8"} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw message lacks %q", want)
		}
	}
}

func message(to, subject string) *core.Message {
	return &core.Message{Kind: "test", To: to, Subject: subject, Text: "Hello.\n", HTML: "<p>Hello.</p>"}
}

// TestSendAuth logs in with PLAIN, which go-mail only allows without TLS
// towards a loopback server.
func TestSendAuth(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	send(t, sender(t, mp, func(c *mail.Config) { c.Username, c.Password = "alice", "secret" }), message("bob@example.com", "auth"))
	if got := only(t, mp); got.Username != "alice" {
		t.Fatalf("SMTP user %q, want alice", got.Username)
	}
}

// TestSendAuthRefusedInClear: without TLS, the password only goes to a
// loopback server. 127.0.0.2 is loopback too, but go-mail only trusts the
// names localhost, 127.0.0.1 and ::1, so a tiny server there that offers
// AUTH PLAIN must never see an AUTH command.
func TestSendAuthRefusedInClear(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	commands := make(chan string, 10)
	go fakeSMTP(l, commands)
	port := l.Addr().(*net.TCPAddr).Port
	s, err := mail.NewSender(mail.Config{Host: "127.0.0.2", Port: port, TLS: mail.TLSNone, From: "meet@example.com",
		Username: "alice", Password: "secret", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(t.Context(), message("bob@example.com", "clear"))[0]
	if err == nil || !strings.Contains(err.Error(), "unencrypted") {
		t.Fatalf("error = %v, want go-mail's refusal of an unencrypted connection", err)
	}
	l.Close()
	for c := range commands {
		if strings.HasPrefix(strings.ToUpper(c), "AUTH") {
			t.Fatalf("the client sent %q in clear", c)
		}
	}
}

// fakeSMTP answers one connection as a server that offers AUTH PLAIN
// without TLS, reporting each command it reads.
func fakeSMTP(l net.Listener, commands chan<- string) {
	defer close(commands)
	conn, err := l.Accept()
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 fake ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		commands <- line
		switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
		case "EHLO":
			tp.PrintfLine("250-fake\r\n250 AUTH PLAIN LOGIN")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("250 ok")
		}
	}
}

// tlsFiles writes a self-signed certificate for 127.0.0.1 and returns its
// files and a client configuration that trusts it.
func tlsFiles(t testing.TB) (cert, key string, client *tls.Config) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(priv)
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	parsed, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return cert, key, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// TestSendSTARTTLS upgrades the connection (RFC 3207) and then logs in,
// picking the mechanism from the server's list.
func TestSendSTARTTLS(t *testing.T) {
	t.Parallel()
	cert, key, client := tlsFiles(t)
	mp := testenv.Mailpit(t, "--smtp-tls-cert", cert, "--smtp-tls-key", key, "--smtp-require-starttls")
	s := sender(t, mp, func(c *mail.Config) { c.TLS, c.Username, c.Password = mail.TLSStartTLS, "alice", "secret" },
		mail.WithTLSConfig(client))
	send(t, s, message("bob@example.com", "starttls"))
	if got := only(t, mp); got.Username != "alice" {
		t.Fatalf("SMTP user %q", got.Username)
	}
}

// TestSendImplicitTLS speaks TLS from the first byte (RFC 8314).
func TestSendImplicitTLS(t *testing.T) {
	t.Parallel()
	cert, key, client := tlsFiles(t)
	mp := testenv.Mailpit(t, "--smtp-tls-cert", cert, "--smtp-tls-key", key, "--smtp-require-tls")
	s := sender(t, mp, func(c *mail.Config) { c.TLS = mail.TLSImplicit }, mail.WithTLSConfig(client))
	send(t, s, message("bob@example.com", "tls"))
	only(t, mp)
}

// TestSendSTARTTLSRequired: starttls never falls back to clear text.
func TestSendSTARTTLSRequired(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	s := sender(t, mp, func(c *mail.Config) { c.TLS = mail.TLSStartTLS })
	if err := s.Send(t.Context(), message("bob@example.com", "clear"))[0]; err == nil {
		t.Fatal("sent without STARTTLS")
	}
	if n := len(mp.Messages()); n != 0 {
		t.Fatalf("%d messages arrived", n)
	}
}

// TestSendUntrustedCertificate: the server's certificate is checked.
func TestSendUntrustedCertificate(t *testing.T) {
	t.Parallel()
	cert, key, _ := tlsFiles(t)
	mp := testenv.Mailpit(t, "--smtp-tls-cert", cert, "--smtp-tls-key", key)
	s := sender(t, mp, func(c *mail.Config) { c.TLS = mail.TLSStartTLS })
	if err := s.Send(t.Context(), message("bob@example.com", "untrusted"))[0]; err == nil {
		t.Fatal("sent to a server with an untrusted certificate")
	}
}

// TestSendRejectedRecipient: a 5yz reply is permanent, and it quotes the
// address, which is why the worker redacts errors.
func TestSendRejectedRecipient(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t, "--smtp-allowed-recipients", `^ok@example\.com$`)
	errs := sender(t, mp, nil).Send(t.Context(), message("nobody@example.com", "rejected"), message("ok@example.com", "accepted"))
	if errs[0] == nil || !mail.Permanent(errs[0]) {
		t.Fatalf("rejected recipient: %v (permanent %v)", errs[0], mail.Permanent(errs[0]))
	}
	if errs[1] != nil {
		t.Fatalf("the next message on the connection failed: %v", errs[1])
	}
	if msg := errs[0].Error(); !strings.Contains(msg, "nobody@example.com") || strings.Contains(core.RedactAddresses(msg), "nobody@") {
		t.Errorf("error %q: want the address quoted, and redacted by core.RedactAddresses", msg)
	}
	if got := only(t, mp); got.Subject != "accepted" {
		t.Fatalf("got %q", got.Subject)
	}
}

// TestSendServerDown: no connection is a temporary failure for every message.
func TestSendServerDown(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	mp.Stop()
	errs := sender(t, mp, nil).Send(t.Context(), message("a@example.com", "1"), message("b@example.com", "2"))
	for i, err := range errs {
		if err == nil || mail.Permanent(err) {
			t.Errorf("message %d: %v", i, err)
		}
	}
}

func TestNewSenderChecksConfig(t *testing.T) {
	for name, cfg := range map[string]mail.Config{
		"no host":  {From: "meet@example.com"},
		"bad from": {Host: "127.0.0.1", From: "Meet <meet@example.com>"},
		"bad tls":  {Host: "127.0.0.1", From: "meet@example.com", TLS: "ssl"},
	} {
		if _, err := mail.NewSender(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
