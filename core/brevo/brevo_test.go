package brevo_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/brevo"
)

// brevoAPI is a local server that checks each request as Brevo would and
// records the contacts it accepted.
func brevoAPI(t *testing.T, status int) (*httptest.Server, chan map[string]any) {
	got := make(chan map[string]any, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v3/contacts" || r.Header.Get("api-key") != "key-123" ||
			r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s api-key=%q content-type=%q", r.Method, r.URL.Path, r.Header.Get("api-key"), r.Header.Get("Content-Type"))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("body: %v", err)
		}
		got <- body
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestAddContact(t *testing.T) {
	srv, got := brevoAPI(t, http.StatusCreated)
	c := brevo.NewClient(srv.URL, "key-123", []int64{7})
	if err := c.AddContact(context.Background(), core.Contact{Email: "ada@example.org", FirstName: "Ada", LastName: "Lovelace"}); err != nil {
		t.Fatal(err)
	}
	body := <-got
	attrs, _ := body["attributes"].(map[string]any)
	if body["email"] != "ada@example.org" || attrs["FIRSTNAME"] != "Ada" || attrs["LASTNAME"] != "Lovelace" ||
		body["updateEnabled"] != true || len(body["listIds"].([]any)) != 1 {
		t.Errorf("body = %v", body)
	}
}

func TestAddContactRefused(t *testing.T) {
	srv, _ := brevoAPI(t, http.StatusBadRequest)
	err := brevo.NewClient(srv.URL, "key-123", nil).AddContact(context.Background(), core.Contact{Email: "x@example.org"})
	var se *brevo.StatusError
	if !errors.As(err, &se) || se.Code != 400 {
		t.Errorf("err = %v", err)
	}
	down := brevo.NewClient("http://127.0.0.1:1", "k", nil)
	if err := down.AddContact(context.Background(), core.Contact{Email: "x@example.org"}); err == nil {
		t.Error("no error with the API down")
	}
}
