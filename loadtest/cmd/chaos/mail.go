package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"connectrpc.com/connect"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// mailRecord is the invitation sent during one outage: whether the core took it (then it must arrive),
// and whether it reached the SMTP sink by the end of the drill.
type mailRecord struct {
	To        string
	Accepted  bool
	Refusal   string // the Connect code when the core refused it
	Delivered bool
}

// mailer queues invitations through the core and looks for them in mailpit.
type mailer struct {
	invitations meetlinev1connect.InvitationServiceClient
	mailpit     string
	room        string
	http        *http.Client
	mu          sync.Mutex
	accepted    []string // the addresses of the invitations the core took
}

func (m *mailer) pending() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.accepted...)
}

func newMailer(coreURL, token, mailpitURL, room string) *mailer {
	c := &http.Client{Timeout: 5 * time.Second, Transport: bearer{token}}
	return &mailer{invitations: meetlinev1connect.NewInvitationServiceClient(c, coreURL), mailpit: mailpitURL,
		room: room, http: &http.Client{Timeout: 5 * time.Second}}
}

type bearer struct{ token string }

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(req)
}

// invite asks the core to send an invitation to an address made for the fault.
func (m *mailer) invite(ctx context.Context, fault string) mailRecord {
	r := mailRecord{To: fmt.Sprintf("chaos-%s-%d@example.org", fault, time.Now().UnixNano())}
	_, err := m.invitations.Invite(ctx, &meetlinev1.InviteRequest{RoomId: m.room, Emails: []string{r.To}})
	if err != nil {
		r.Refusal = connect.CodeOf(err).String()
		return r
	}
	r.Accepted = true
	m.mu.Lock()
	m.accepted = append(m.accepted, r.To)
	m.mu.Unlock()
	return r
}

// await polls mailpit until every accepted invitation arrived or wait has passed, and says which did.
func (m *mailer) await(ctx context.Context, wait time.Duration) map[string]bool {
	got := map[string]bool{}
	deadline := time.Now().Add(wait)
	for {
		all := true
		for _, to := range m.pending() {
			if got[to] {
				continue
			}
			if m.arrived(ctx, to) {
				got[to] = true
			} else {
				all = false
			}
		}
		if all || time.Now().After(deadline) || sleep(ctx, time.Second) != nil {
			return got
		}
	}
}

// arrived says whether mailpit holds a message to addr.
func (m *mailer) arrived(ctx context.Context, addr string) bool {
	u := m.mailpit + "/api/v1/search?query=" + url.QueryEscape("to:"+addr)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	res, err := m.http.Do(req)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var body struct {
		Count int `json:"messages_count"`
	}
	return res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(&body) == nil && body.Count > 0
}
