package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/brevo"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

func (s *stack) invitations(token string) meetlinev1connect.InvitationServiceClient {
	return meetlinev1connect.NewInvitationServiceClient(as(token), s.url)
}

// TestInvite: an administrator invites three addresses (one twice, in
// another case) to a room with dial-in and a start time; the outbox worker
// delivers one message per person through a real SMTP server, each in the
// recipient's language when known, with the dial-in and an .ics event.
func TestInvite(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	if _, err := s.clients(operatorToken).trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{
		Name: "paris", Numbers: []string{"+33123456789"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	// A known user who reads French in Paris.
	fr := "fr-fr"
	paris := "Europe/Paris"
	known := s.clients(s.token(t, "camille"))
	if _, err := known.users.UpdateMe(ctx, &meetlinev1.UpdateMeRequest{Language: &fr, Timezone: &paris}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(24 * time.Hour).Truncate(time.Minute)
	res, err := s.invitations(s.token(t, t.Name()+"-administrator")).Invite(ctx, &meetlinev1.InviteRequest{
		RoomId: f.room.Id, Emails: []string{"camille@example.org", "guest@example.net", "Guest@Example.NET", "other@example.com"},
		StartTime: timestamppb.New(start), Message: "See you there"})
	if err != nil || res.Queued != 3 {
		t.Fatalf("Invite = %v, %v", res, err)
	}

	mp := testenv.Mailpit(t)
	sender, err := mail.NewSender(mail.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: mail.TLSNone, From: "meet@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mail.NewWorker(postgres.NewOutbox(s.db), sender).RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	got := mp.WaitMessages(3, 10*time.Second)
	byTo := map[string]*testenv.Mail{}
	for _, m := range got {
		if len(m.To) != 1 {
			t.Fatalf("a message to %d recipients: recipients must not see each other", len(m.To))
		}
		byTo[m.To[0].Address] = mp.Message(m.ID)
	}
	for _, to := range []string{"camille@example.org", "guest@example.net", "other@example.com"} {
		m := byTo[to]
		if m == nil {
			t.Fatalf("no message for %s (got %v)", to, got)
		}
		if !strings.Contains(m.Text, "https://meet.example/"+f.room.Slug) || !strings.Contains(m.Text, "+33 1 23 45 67 89") ||
			!strings.Contains(m.Text, mail.GroupPIN(f.room.DialIn.Pin)) || !strings.Contains(m.Text, "See you there") {
			t.Errorf("%s: text lacks the link, number, PIN or note:\n%s", to, m.Text)
		}
		if !strings.Contains(html.UnescapeString(m.HTML), "tel:+33123456789,,"+f.room.DialIn.Pin+"%23") {
			t.Errorf("%s: HTML lacks the one-tap tel: link", to)
		}
		if len(m.Attachments) != 1 || !strings.HasPrefix(m.Attachments[0].ContentType, "text/calendar") {
			t.Errorf("%s: attachments %+v, want one .ics", to, m.Attachments)
		}
	}
	if fr, en := byTo["camille@example.org"].Subject, byTo["guest@example.net"].Subject; fr == en {
		t.Errorf("the known French user got the English subject %q", fr)
	}
}

func TestInviteErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	admin := s.invitations(s.token(t, t.Name()+"-administrator"))
	invite := func(c meetlinev1connect.InvitationServiceClient, req *meetlinev1.InviteRequest) error {
		if req.RoomId == "" {
			req.RoomId = f.room.Id
		}
		_, err := c.Invite(ctx, req)
		return err
	}
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("p%d@example.org", i)
	}
	tests := []struct {
		name  string
		err   error
		code  connect.Code
		field string
	}{
		{"no address", invite(admin, &meetlinev1.InviteRequest{}), connect.CodeInvalidArgument, "emails"},
		{"too many", invite(admin, &meetlinev1.InviteRequest{Emails: many}), connect.CodeInvalidArgument, "emails"},
		{"bad address by index", invite(admin, &meetlinev1.InviteRequest{Emails: []string{"a@example.org", "not-an-address"}}), connect.CodeInvalidArgument, "emails[1]"},
		{"display name", invite(admin, &meetlinev1.InviteRequest{Emails: []string{"Bob <bob@example.org>"}}), connect.CodeInvalidArgument, "emails[0]"},
		{"long note", invite(admin, &meetlinev1.InviteRequest{Emails: []string{"a@example.org"}, Message: strings.Repeat("x", 1001)}), connect.CodeInvalidArgument, "message"},
		{"past start", invite(admin, &meetlinev1.InviteRequest{Emails: []string{"a@example.org"}, StartTime: timestamppb.New(time.Now().Add(-48 * time.Hour))}), connect.CodeInvalidArgument, "start_time"},
		{"member", invite(s.invitations(s.token(t, t.Name()+"-member")), &meetlinev1.InviteRequest{Emails: []string{"a@example.org"}}), connect.CodePermissionDenied, ""},
		{"anonymous", invite(s.invitations(""), &meetlinev1.InviteRequest{Emails: []string{"a@example.org"}}), connect.CodeUnauthenticated, ""},
		{"unknown room", invite(admin, &meetlinev1.InviteRequest{RoomId: "nope", Emails: []string{"a@example.org"}}), connect.CodeNotFound, ""},
	}
	for _, tt := range tests {
		if connect.CodeOf(tt.err) != tt.code || (tt.field != "" && !strings.HasPrefix(tt.err.(*connect.Error).Message(), tt.field+":")) {
			t.Errorf("%s: %v, want %v on %q", tt.name, tt.err, tt.code, tt.field)
		}
	}
	// The stack allows 5 invitations per inviter per hour.
	var last error
	for range 6 {
		last = invite(admin, &meetlinev1.InviteRequest{Emails: []string{"a@example.org"}})
	}
	if connect.CodeOf(last) != connect.CodeResourceExhausted {
		t.Errorf("sixth invitation: %v", last)
	}
}

// TestMarketingConsent: nobody is queued for the marketing list at sign-in;
// turning marketing_consent on queues the user once, and the outbox worker
// hands them to the provider's API (a local server that checks the request).
func TestMarketingConsent(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) { srv.MarketingSignUp = true })
	ctx := context.Background()
	got := make(chan string, 4)
	brevoSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Email string }
		json.NewDecoder(r.Body).Decode(&body)
		if r.Header.Get("api-key") != "brevo-key" || r.URL.Path != "/v3/contacts" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got <- body.Email
		w.WriteHeader(http.StatusCreated)
	}))
	defer brevoSrv.Close()

	queued := func() int {
		t.Helper()
		var n int
		if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE kind = $1`, core.KindMarketingContact).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	c := s.clients(s.token(t, "newcomer"))
	for range 3 {
		me, err := c.users.GetMe(ctx, &meetlinev1.GetMeRequest{})
		if err != nil || me.User.MarketingConsent {
			t.Fatalf("GetMe = %v, %v: consent must be off until given", me, err)
		}
	}
	no, yes := false, true
	if _, err := c.users.UpdateMe(ctx, &meetlinev1.UpdateMeRequest{MarketingConsent: &no}); err != nil {
		t.Fatal(err)
	}
	if n := queued(); n != 0 {
		t.Fatalf("contacts queued without consent: %d", n)
	}
	for range 2 {
		me, err := c.users.UpdateMe(ctx, &meetlinev1.UpdateMeRequest{MarketingConsent: &yes})
		if err != nil || !me.User.MarketingConsent {
			t.Fatalf("UpdateMe consent = %v, %v", me, err)
		}
	}
	if n := queued(); n != 1 {
		t.Fatalf("contacts queued = %d; want 1, when consent was given", n)
	}
	router := mail.Router{ByKind: map[string]mail.Transport{
		core.KindMarketingContact: mail.ContactTransport{List: brevo.NewClient(brevoSrv.URL, "brevo-key", nil)}}}
	if _, err := mail.NewWorker(postgres.NewOutbox(s.db), router).RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case email := <-got:
		if email != "newcomer@example.org" {
			t.Errorf("contact = %q", email)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the provider never got the contact")
	}
}
