package mail

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/meetline/meetline/core"
)

// Router sends each outbox message through the transport of its kind, and
// the others through Default (SMTP): the outbox carries more than e-mail.
type Router struct {
	Default Transport
	ByKind  map[string]Transport
}

func (r Router) Send(ctx context.Context, msgs ...*core.Message) []error {
	errs := make([]error, len(msgs))
	groups := map[Transport][]int{}
	for i, m := range msgs {
		t := r.Default
		if k, ok := r.ByKind[m.Kind]; ok {
			t = k
		}
		groups[t] = append(groups[t], i)
	}
	for t, idx := range groups {
		batch := make([]*core.Message, len(idx))
		for j, i := range idx {
			batch[j] = msgs[i]
		}
		for j, err := range t.Send(ctx, batch...) {
			errs[idx[j]] = err
		}
	}
	return errs
}

// ContactTransport hands queued contacts (kind core.KindMarketingContact,
// the contact as JSON in Text) to a marketing list.
type ContactTransport struct {
	List core.ContactList
}

func (t ContactTransport) Send(ctx context.Context, msgs ...*core.Message) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		var c core.Contact
		if err := json.Unmarshal([]byte(m.Text), &c); err != nil {
			errs[i] = permanent(errors.New("marketing contact: malformed job"))
			continue
		}
		errs[i] = t.List.AddContact(ctx, c)
	}
	return errs
}

// ContactMessage is the outbox job that adds c to the marketing list.
func ContactMessage(c core.Contact) (*core.Message, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return &core.Message{Kind: core.KindMarketingContact, To: c.Email, Subject: "marketing contact", Text: string(b)}, nil
}
