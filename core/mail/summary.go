package mail

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/meetline/meetline/core"
)

// SummaryTransport posts queued summary requests (kind
// core.KindSummaryRequest) to the summary service with its bearer token. A
// 4xx answer will not change on retry; anything else is retried by the outbox.
type SummaryTransport struct {
	URL, Token string
	HTTP       *http.Client
}

func (t SummaryTransport) Send(ctx context.Context, msgs ...*core.Message) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = t.post(ctx, []byte(m.Text))
	}
	return errs
}

func (t SummaryTransport) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("summary: %w", err))
	}
	req.Header.Set("Authorization", "Bearer "+t.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := t.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	switch {
	case res.StatusCode/100 == 2:
		return nil
	case res.StatusCode/100 == 4:
		return permanent(fmt.Errorf("summary: HTTP %d", res.StatusCode))
	}
	return fmt.Errorf("summary: HTTP %d", res.StatusCode)
}
