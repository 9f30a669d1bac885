package core

import "context"

// Contact is someone a marketing list may write to: a user who signed in.
type Contact struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Language  string `json:"language,omitempty"`
}

// ContactList is a marketing provider's list of contacts (Brevo today);
// another provider implements it without touching its callers.
type ContactList interface {
	AddContact(ctx context.Context, c Contact) error
}

// KindMarketingContact is the outbox kind of a contact to add: the sign-up
// hook queues it, and the outbox worker hands it to the ContactList.
const KindMarketingContact = "marketing_contact"
