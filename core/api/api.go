// Package api serves the core over HTTP: the Connect services (Connect, gRPC,
// gRPC-Web and JSON on one port), gRPC health, health and readiness probes,
// and the LiveKit, storage and summary webhooks (Handler); and, for operators
// only, Prometheus metrics, detailed readiness and gRPC reflection
// (AdminHandler). It translates protobuf to domain types and domain errors to
// Connect codes; the rules live in package core, and it reaches every
// dependency through core's interfaces (core/app fills them in).
package api

import (
	"log/slog"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// MaxMessageBytes bounds an RPC's message once decompressed. Connect reads
// (and decompresses) a unary message before any interceptor, so without it
// anyone could make the core hold and query with megabytes before it even
// checks a token. The largest real message, an invitation to a few hundred
// addresses with a note, is far below.
const MaxMessageBytes = 256 << 10

// compressMinBytes is the smallest answer compressed, for a client that
// accepts gzip: lists of rooms, calls or recordings, not one room's view.
const compressMinBytes = 4 << 10

// MaxBodyBytes bounds any request's body as sent (compressed or not): a
// message at MaxMessageBytes, or a webhook (maxWebhookBody), plus framing.
const MaxBodyBytes = maxWebhookBody + 64<<10

// Server holds the services the handlers call. Fill every field, then call Handler.
type Server struct {
	Users       core.UserService
	Rooms       core.RoomService
	Accesses    core.AccessService
	Trunks      core.TrunkService
	PINAttempts core.PINAttempts
	LiveKit     core.LiveRooms
	// SIPRouting keeps sipgate's trunk and rule in LiveKit; sipgate's reports of failed hand-offs trigger
	// it. Nil when the core provisions no SIP routing.
	SIPRouting core.SIPRoutingKeeper
	// Transfers opens REFER hand-offs' single-use ways into rooms. Nil when no carrier address is
	// allowed to call LiveKit (REFER is off: sipgate bridges every call).
	Transfers   core.TransferRoutes
	Recordings  core.RecordingService
	Bucket      core.RecordingBucket
	Lobby       core.LobbyService
	Presence    core.Presence
	Limiter     core.RateLimiter
	Streams     core.StreamSlots
	Dedup       core.Deduplicator
	Telephony   core.TelephonySettings
	Recording   core.RecordingSettings
	CallRecords core.CallRecordService
	// RoomCallbacks hand a room created in one window to another (CreateRoom's callback_id).
	RoomCallbacks core.RoomCallbacks
	// CallRecordSettings: a call open longer than LostAfter is not live.
	CallRecordSettings core.CallRecordSettings
	// CallWatch tells sipgate what hosts do to its bridged callers (WatchCall).
	CallWatch core.CallWatch
	// PhoneRemovalGrace is how long a caller removed by a host may take to
	// hear goodbye before the core removes them itself; 0 means 15 s.
	PhoneRemovalGrace time.Duration

	LobbySettings LobbySettings
	RoomLimits    RoomLimits
	Recorder      RecorderSettings
	// Mailer sends invitations and notifications through the outbox.
	Mailer Mailer
	// Summary hands saved transcripts to the summary service.
	Summary SummarySettings
	// Webhooks says how LiveKit's webhooks are taken in.
	Webhooks WebhookSettings

	// TrustedProxies are the proxies whose X-Forwarded-For names the client
	// (rate limits per address).
	TrustedProxies TrustedProxies

	// Verifier checks users' bearer tokens; nil accepts service tokens only.
	Verifier TokenVerifier
	// ServiceTokens authenticate sipgate and operators.
	ServiceTokens []ServiceToken
	// MatchEmail lets a new identity-provider subject take over the user with
	// the same e-mail address (for a change of provider).
	MatchEmail bool
	// MarketingSignUp queues a user's addition to the marketing list when
	// they consent (UpdateMe marketing_consent; the outbox worker's contact
	// transport sends it). Nobody is added without consenting.
	MarketingSignUp bool

	// Checks are the dependencies /readyz and gRPC health report on.
	Checks []Check
	// Registry receives the server's metrics; AdminHandler serves it on /metrics.
	Registry *prometheus.Registry
	Logger   *slog.Logger

	metrics *metrics
}

// Handler returns the HTTP handler for every endpoint of the core. Call it
// once per Server: its metrics register with Registry.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	auth := &authenticator{users: s.Users, services: serviceKeys(s.ServiceTokens), matchEmail: s.MatchEmail}
	if s.Verifier != nil {
		auth.verifier = newCachedVerifier(s.Verifier)
	}
	if ui, ok := s.Verifier.(UserInfoSource); ok {
		auth.userinfo = newUserInfoCache(ui, s.Logger)
	}
	s.metrics = newMetrics(s.Registry)
	// Compressing the small messages most RPCs carry costs more than it saves:
	// a room view with its LiveKit token (~1.1 KiB, 0.8 KiB gzipped) cost the
	// core a tenth of CreateRoom's CPU to deflate, and its client to inflate.
	opts := connect.WithHandlerOptions(
		connect.WithInterceptors(s.metrics, &errorTranslator{log: s.Logger}, auth),
		connect.WithCompressMinBytes(compressMinBytes),
		connect.WithReadMaxBytes(MaxMessageBytes),
	)
	rpc := rpcRouter{next: mux}
	rpc.handle(meetlinev1connect.NewConfigServiceHandler(&configService{s}, opts))
	rpc.handle(meetlinev1connect.NewUserServiceHandler(&userService{s}, opts))
	rpc.handle(meetlinev1connect.NewRoomServiceHandler(&roomService{s}, opts))
	rpc.handle(meetlinev1connect.NewAccessServiceHandler(&accessService{s}, opts))
	rpc.handle(meetlinev1connect.NewTrunkServiceHandler(&trunkService{s}, opts))
	rpc.handle(meetlinev1connect.NewTelephonyServiceHandler(&telephonyService{s}, opts))
	rpc.handle(meetlinev1connect.NewLobbyServiceHandler(&lobbyService{Server: s}, opts))
	rpc.handle(meetlinev1connect.NewRecordingServiceHandler(&recordingService{s}, opts))
	rpc.handle(meetlinev1connect.NewInvitationServiceHandler(&invitationService{s}, opts))
	rpc.handle(meetlinev1connect.NewParticipantServiceHandler(&participantService{s}, opts))
	rpc.handle(meetlinev1connect.NewCallServiceHandler(&callService{s}, opts))
	rpc.handle(meetlinev1connect.NewOperatorServiceHandler(&operatorService{s}, opts))
	mux.Handle("POST /webhooks/livekit", &liveKitWebhook{s})
	mux.Handle("POST /webhooks/storage", &storageWebhook{s})
	mux.Handle("POST /webhooks/summary", &summaryWebhook{s})
	mux.Handle("GET /media-auth", &mediaAuth{Server: s, auth: auth})

	mux.Handle(grpchealth.NewHandler(&healthChecker{checks: s.Checks, services: services}))
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /readyz", &readiness{checks: s.Checks})
	return &rpc
}

// services are the Connect services the core serves, as gRPC health and
// reflection name them.
var services = []string{
	meetlinev1connect.ConfigServiceName, meetlinev1connect.UserServiceName, meetlinev1connect.RoomServiceName,
	meetlinev1connect.AccessServiceName, meetlinev1connect.TrunkServiceName, meetlinev1connect.TelephonyServiceName,
	meetlinev1connect.LobbyServiceName, meetlinev1connect.RecordingServiceName, meetlinev1connect.InvitationServiceName,
	meetlinev1connect.ParticipantServiceName,
	meetlinev1connect.CallServiceName, meetlinev1connect.OperatorServiceName,
}

// AdminHandler returns the operators' endpoints, for the admin listener
// (CORE_ADMIN_ADDR), never the public one: /metrics, /readyz with each
// dependency's status and error, and gRPC reflection. Each tells an outsider
// something about the inside (dependency addresses in errors, load, every
// procedure and message) and none is needed by users.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /readyz", &readiness{checks: s.Checks, detailed: true})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{Registry: s.Registry}))
	reflector := grpcreflect.NewStaticReflector(services...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	return mux
}
