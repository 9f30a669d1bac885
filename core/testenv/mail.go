package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// MailpitServer is an SMTP sink of the test's own: a mailpit process (installed by
// deploy/local into $MEETLINE_TOOLS/bin) on free loopback ports, with its
// messages in a file of the test's temporary directory. Stop and Start
// simulate an SMTP outage: the ports and the messages survive a restart.
// It accepts any SMTP credentials, and none, in clear text unless the
// arguments require TLS.
type MailpitServer struct {
	SMTPHost string
	SMTPPort int
	SMTPAddr string // SMTPHost:SMTPPort
	APIURL   string // the HTTP API and web UI

	t    testing.TB
	bin  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs string // mailpit's output, shown when it fails to start
}

// Mailpit starts a mailpit of the test's own with extra command-line
// arguments (for instance --smtp-tls-cert and --smtp-tls-key, or
// --smtp-allowed-recipients); it is stopped when the test ends.
func Mailpit(t testing.TB, args ...string) *MailpitServer {
	t.Helper()
	bin := filepath.Join(Getenv(t, "MEETLINE_TOOLS"), "bin", "mailpit")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("testenv: %s not found: this test needs mailpit; run `make test` (deploy/local installs it)", bin)
	}
	smtpPort, httpPort := freePort(t, "tcp"), freePort(t, "tcp")
	m := &MailpitServer{
		SMTPHost: "127.0.0.1", SMTPPort: smtpPort, SMTPAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(smtpPort)),
		APIURL: "http://127.0.0.1:" + strconv.Itoa(httpPort), t: t, bin: bin,
	}
	dir := t.TempDir()
	m.logs = filepath.Join(dir, "mailpit.log")
	m.args = append([]string{
		"--smtp", m.SMTPAddr, "--listen", "127.0.0.1:" + strconv.Itoa(httpPort),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-auth-accept-any", "--smtp-disable-rdns", "--disable-version-check", "--max", "0", "--quiet",
	}, args...)
	// Mailpit refuses to offer PLAIN in clear text when TLS is required.
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--smtp-require-") }) {
		m.args = append(m.args, "--smtp-auth-allow-insecure")
	}
	m.Start()
	t.Cleanup(m.Stop)
	return m
}

// Start starts mailpit, again after Stop, and waits until it answers.
func (m *MailpitServer) Start() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return
	}
	logs, err := os.OpenFile(m.logs, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		m.t.Fatal(err)
	}
	defer logs.Close()
	cmd := exec.Command(m.bin, m.args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		m.t.Fatalf("testenv: start mailpit: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	m.cmd, m.done = cmd, done
	if err := m.waitReady(done); err != nil {
		out, _ := os.ReadFile(m.logs)
		m.t.Fatalf("testenv: mailpit: %v\n%s", err, out)
	}
}

func (m *MailpitServer) waitReady(done chan struct{}) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("exited")
		default:
		}
		resp, err := http.Get(m.APIURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if c, err := net.DialTimeout("tcp", m.SMTPAddr, time.Second); err == nil && resp.StatusCode == http.StatusOK {
				c.Close()
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not ready after 15 s")
}

// Stop stops mailpit; its SMTP port refuses connections until Start.
func (m *MailpitServer) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(os.Interrupt)
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		m.cmd.Process.Kill()
		<-m.done
	}
	m.cmd = nil
}

// MailAddress is an address as mailpit reports it.
type MailAddress struct {
	Name    string
	Address string
}

// MailSummary is one message of mailpit's list.
type MailSummary struct {
	ID          string
	MessageID   string
	From        MailAddress
	To          []MailAddress
	Subject     string
	Username    string // the SMTP AUTH user, "" without authentication
	Attachments int
}

// Mail is one message as mailpit parsed it.
type Mail struct {
	MailSummary
	Text        string
	HTML        string
	Attachments []MailPart
}

// MailPart is an attachment of a Mail.
type MailPart struct {
	PartID      string
	FileName    string
	ContentType string
	Size        int
}

// Messages returns every message received, newest first.
func (m *MailpitServer) Messages() []MailSummary {
	m.t.Helper()
	var list struct{ Messages []MailSummary }
	m.getJSON("/api/v1/messages?limit=100000", &list)
	return list.Messages
}

// WaitMessages waits until at least n messages arrived and returns them.
func (m *MailpitServer) WaitMessages(n int, timeout time.Duration) []MailSummary {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := m.Messages()
		if len(msgs) >= n || time.Now().After(deadline) {
			return msgs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Message returns message id with its bodies and attachments.
func (m *MailpitServer) Message(id string) *Mail {
	m.t.Helper()
	var msg Mail
	m.getJSON("/api/v1/message/"+id, &msg)
	return &msg
}

// Part returns the content of an attachment, decoded.
func (m *MailpitServer) Part(id, partID string) []byte {
	m.t.Helper()
	return m.get("/api/v1/message/" + id + "/part/" + partID)
}

// Raw returns the message as received, headers and MIME parts included.
func (m *MailpitServer) Raw(id string) []byte {
	m.t.Helper()
	return m.get("/api/v1/message/" + id + "/raw")
}

// DeleteAll removes every message.
func (m *MailpitServer) DeleteAll() {
	m.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodDelete, m.APIURL+"/api/v1/messages", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatalf("testenv: mailpit: %v", err)
	}
	resp.Body.Close()
}

func (m *MailpitServer) getJSON(path string, v any) {
	m.t.Helper()
	if err := json.Unmarshal(m.get(path), v); err != nil {
		m.t.Fatalf("testenv: mailpit %s: %v", path, err)
	}
}

func (m *MailpitServer) get(path string) []byte {
	m.t.Helper()
	resp, err := http.Get(m.APIURL + path)
	if err != nil {
		m.t.Fatalf("testenv: mailpit: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		m.t.Fatalf("testenv: mailpit %s: %d %s %v", path, resp.StatusCode, b, err)
	}
	return b
}
