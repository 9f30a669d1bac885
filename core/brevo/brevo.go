// Package brevo adds contacts to a Brevo (ex-Sendinblue) list through its
// HTTP API (POST /v3/contacts).
package brevo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/meetline/meetline/core"
)

// DefaultURL is Brevo's API.
const DefaultURL = "https://api.brevo.com"

// Timeout bounds one call: a sign-up must never wait on a marketing provider,
// and the outbox retries what did not pass.
const Timeout = time.Second

// Client implements core.ContactList.
type Client struct {
	URL     string
	APIKey  string
	ListIDs []int64
	HTTP    *http.Client
}

var _ core.ContactList = (*Client)(nil)

// NewClient returns a client for the API at url (DefaultURL when empty).
func NewClient(url, apiKey string, listIDs []int64) *Client {
	if url == "" {
		url = DefaultURL
	}
	return &Client{URL: url, APIKey: apiKey, ListIDs: listIDs, HTTP: &http.Client{Timeout: Timeout}}
}

type contactRequest struct {
	Email         string            `json:"email"`
	Attributes    map[string]string `json:"attributes,omitempty"`
	ListIDs       []int64           `json:"listIds,omitempty"`
	UpdateEnabled bool              `json:"updateEnabled"`
}

// AddContact creates the contact, or updates it when Brevo already has it
// (updateEnabled), so a retried job changes nothing.
func (c *Client) AddContact(ctx context.Context, ct core.Contact) error {
	attrs := map[string]string{}
	if ct.FirstName != "" {
		attrs["FIRSTNAME"] = ct.FirstName
	}
	if ct.LastName != "" {
		attrs["LASTNAME"] = ct.LastName
	}
	body, err := json.Marshal(contactRequest{Email: ct.Email, Attributes: attrs, ListIDs: c.ListIDs, UpdateEnabled: true})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/v3/contacts", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("brevo: %w", err)
	}
	req.Header.Set("api-key", c.APIKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("brevo: %w", err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	if res.StatusCode/100 != 2 {
		return &StatusError{Code: res.StatusCode}
	}
	return nil
}

// StatusError is a refusal by Brevo; 4xx ones will be refused again.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("brevo: HTTP %d", e.Code) }
