package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

type readyBody struct {
	Status string
	Checks map[string]struct {
		OK     bool
		Error  string
		LastOK string `json:"last_ok"`
	}
}

func getReady(t *testing.T, url string) (int, readyBody) {
	t.Helper()
	res, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b readyBody
	if err := json.NewDecoder(res.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	res, err := http.Get(s.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("/healthz = %d %q", res.StatusCode, body)
	}
}

func TestReadyzAllUp(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	code, body := getReady(t, s.admin)
	if code != http.StatusOK || body.Status != "ready" {
		t.Fatalf("/readyz = %d %+v", code, body)
	}
	for _, name := range []string{"postgres", "valkey", "s3", "livekit"} {
		if !body.Checks[name].OK {
			t.Errorf("check %s = %+v", name, body.Checks[name])
		}
	}
}

// TestReadyzFollowsValkey stops a Valkey server of the test's own under a
// running core and starts it again: readiness turns 503 naming Valkey, then
// recovers without a restart of the core.
func TestReadyzFollowsValkey(t *testing.T) {
	t.Parallel()
	v := testenv.StartValkey(t)
	kv, err := valkey.Open(context.Background(), v.Addr, "readyz:")
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	s := newStack(t, func(srv *api.Server) {
		for i := range srv.Checks {
			if srv.Checks[i].Name == "valkey" {
				srv.Checks[i].Ping = kv.Ping
			}
		}
	})
	if code, body := getReady(t, s.admin); code != http.StatusOK {
		t.Fatalf("before: /readyz = %d %+v", code, body)
	}

	v.Stop()
	code, body := getReady(t, s.admin)
	if code != http.StatusServiceUnavailable || body.Status != "unavailable" || body.Checks["valkey"].OK || body.Checks["valkey"].Error == "" {
		t.Fatalf("valkey down: /readyz = %d %+v", code, body)
	}
	for _, name := range []string{"postgres", "s3", "livekit"} {
		if !body.Checks[name].OK {
			t.Errorf("valkey down: %s reported down too: %+v", name, body.Checks[name])
		}
	}

	v.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := getReady(t, s.admin)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("valkey back: /readyz still %d %+v", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestGRPCHealth(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := grpchealth.NewClient(h2c(), s.url, connect.WithGRPC())
	for _, service := range []string{"", meetlinev1connect.ConfigServiceName} {
		res, err := c.Check(context.Background(), &grpchealth.CheckRequest{Service: service})
		if err != nil || res.Status != grpchealth.StatusServing {
			t.Errorf("Check(%q) = %v, %v; want serving", service, res, err)
		}
	}
	_, err := c.Check(context.Background(), &grpchealth.CheckRequest{Service: "no.such.Service"})
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("Check(unknown) error = %v, want NotFound", err)
	}
}

func TestGRPCHealthNotServing(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) {
		srv.Checks = append(srv.Checks, api.Check{Name: "broken", Ping: func(context.Context) error { return fmt.Errorf("down") }})
	})
	c := grpchealth.NewClient(h2c(), s.url, connect.WithGRPC())
	res, err := c.Check(context.Background(), &grpchealth.CheckRequest{})
	if err != nil || res.Status != grpchealth.StatusNotServing {
		t.Errorf("Check = %v, %v; want not serving", res, err)
	}
}

func TestReflection(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := grpcreflect.NewClient(h2c(), s.admin)
	stream := c.NewStream(context.Background())
	defer stream.Close()
	names, err := stream.ListServices()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range names {
		found = found || string(n) == meetlinev1connect.ConfigServiceName
	}
	if !found {
		t.Errorf("ListServices = %v, want %s", names, meetlinev1connect.ConfigServiceName)
	}
}

func TestMetricsCountRPCs(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := meetlinev1connect.NewConfigServiceClient(http.DefaultClient, s.url)
	if _, err := c.GetConfig(context.Background(), &meetlinev1.GetConfigRequest{}); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(s.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want := `meetline_rpc_requests_total{code="ok",procedure="/meetline.v1.ConfigService/GetConfig"} 1`
	if !strings.Contains(string(body), want) {
		t.Errorf("/metrics lacks %q:\n%s", want, body)
	}
}
