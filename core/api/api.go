// Package api serves the core over HTTP: the Connect services (Connect, gRPC,
// gRPC-Web and JSON on one port), gRPC health and reflection, health and
// readiness probes, Prometheus metrics, and later the webhooks. It translates
// protobuf to domain types and domain errors to Connect codes; the rules live
// in package core.
package api

import (
	"log/slog"
	"net/http"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// Server holds the services the handlers call. Fill every field, then call Handler.
type Server struct {
	Trunks    core.TrunkService
	Telephony core.TelephonySettings
	Recording core.RecordingSettings

	// Checks are the dependencies /readyz and gRPC health report on.
	Checks []Check
	// Registry receives the server's metrics and is served on /metrics.
	Registry *prometheus.Registry
	Logger   *slog.Logger
}

// Handler returns the HTTP handler for every endpoint of the core.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	opts := connect.WithInterceptors(newMetrics(s.Registry), &errorTranslator{log: s.Logger})
	services := []string{meetlinev1connect.ConfigServiceName}
	mux.Handle(meetlinev1connect.NewConfigServiceHandler(&configService{s}, opts))

	mux.Handle(grpchealth.NewHandler(&healthChecker{checks: s.Checks, services: services}))
	reflector := grpcreflect.NewStaticReflector(services...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))

	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /readyz", &readiness{checks: s.Checks})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{Registry: s.Registry}))
	return mux
}
