package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
)

// Check is one dependency readiness depends on.
type Check struct {
	Name string
	Ping func(context.Context) error
	// LastOK, when set, says when a check that runs in the background (not
	// on request) last succeeded: /readyz shows how long ago, so that an
	// operator sees how fresh the verdict is.
	LastOK func() time.Time
}

// checkTimeout bounds each dependency probe so that a hung dependency turns
// readiness red instead of hanging the probe.
const checkTimeout = 2 * time.Second

// checkStatus is one dependency's line in the /readyz body.
type checkStatus struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// LastOK is how long ago a background check last succeeded ("12.5s"),
	// or "never".
	LastOK string `json:"last_ok,omitempty"`
}

// runChecks probes every dependency at once and reports whether all answered.
func runChecks(ctx context.Context, checks []Check) (map[string]checkStatus, bool) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	status := make(map[string]checkStatus, len(checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Go(func() {
			st := checkStatus{OK: true}
			if err := c.Ping(ctx); err != nil {
				st = checkStatus{Error: err.Error()}
			}
			if c.LastOK != nil {
				st.LastOK = ago(c.LastOK())
			}
			mu.Lock()
			status[c.Name] = st
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, st := range status {
		if !st.OK {
			return status, false
		}
	}
	return status, true
}

// ago says how long ago t was, to the millisecond; "never" for the zero time.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return time.Since(t).Round(time.Millisecond).String()
}

// healthz answers while the process serves HTTP: liveness, nothing more.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readiness answers 200 when every dependency answers and 503 otherwise.
// Detailed (the admin listener) it adds each dependency's status so an
// operator sees which one is down; the public one says no more than ready or
// not, since error texts name hosts, ports and users.
type readiness struct {
	checks   []Check
	detailed bool
}

func (h *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, ok := runChecks(r.Context(), h.checks)
	if !h.detailed {
		status = nil
	}
	body := struct {
		Status string                 `json:"status"`
		Checks map[string]checkStatus `json:"checks,omitempty"`
	}{"ready", status}
	code := http.StatusOK
	if !ok {
		body.Status, code = "unavailable", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}

// healthChecker answers the gRPC health protocol with the same verdict as /readyz.
type healthChecker struct {
	checks   []Check
	services []string
}

func (h *healthChecker) Check(ctx context.Context, req *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
	if req.Service != "" && !h.known(req.Service) {
		return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("unknown service %q", req.Service))
	}
	if _, ok := runChecks(ctx, h.checks); !ok {
		return &grpchealth.CheckResponse{Status: grpchealth.StatusNotServing}, nil
	}
	return &grpchealth.CheckResponse{Status: grpchealth.StatusServing}, nil
}

func (h *healthChecker) known(service string) bool {
	for _, s := range h.services {
		if s == service {
			return true
		}
	}
	return false
}
