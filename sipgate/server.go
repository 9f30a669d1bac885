package sipgate

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/meetline/meetline/sipgate/media"
)

// byeGrace is how long Shutdown gives the BYEs of the calls it ends to be answered: over UDP a BYE is sent
// again after 0.5, 1, 2 and 4 s (RFC 3261 §17.1.2.2), so a caller that lost one still gets it.
const byeGrace = 8 * time.Second

// allowLargeUDP lets sipgo send any datagram up to 65,535 bytes. sipgo refuses every UDP message over its
// sip.UDPMTUSize, responses included; but RFC 3261 §18.1.1 limits only requests (a request over 1300 bytes
// goes by TCP) and §18.2.2 sends a response back the way its request came, whatever its size: a 200 that
// echoes the Record-Routes of an INVITE that crossed a few proxies easily exceeds 1300 bytes, and must
// still go out. The requests sipgate sends over UDP are its own and stay small (header.go bounds what they carry). The
// setting is sipgo's package variable, so it is set once for the process.
func allowLargeUDP() { largeUDP.Do(func() { sip.UDPMTUSize = 65535 + 200 }) }

var largeUDP sync.Once

// ErrServerClosed is returned by [Server.ListenAndServe] when the server has already served, or was shut down
// before it started: a Server serves once.
var ErrServerClosed = errors.New("sipgate: server closed")

// Server is sipgate's SIP endpoint: a sipgo user agent serving UDP and TCP on one address, plus the state
// /healthz and /metrics report. Build it with [New], run it with [Server.ListenAndServe], stop it with
// [Server.Shutdown] (draining) or by cancelling ListenAndServe's context (at once).
type Server struct {
	addr       string
	log        *slog.Logger
	userAgent  string
	retryAfter time.Duration

	ua       *sipgo.UserAgent
	sip      *sipgo.Server
	client   *sipgo.Client // sends in-dialog requests (BYE)
	metrics  *metrics
	inflight *inflight

	core    Core
	records *Records // nil: no call records
	cc      CallConfig
	lk      LiveKitConfig
	ports   *media.PortRange
	prompts *media.Prompts
	calls   *callTable
	dialogs map[string]*sipgo.DialogUA // by lower-case transport; written before ready is closed
	tlsAddr string
	tlsConf *tls.Config
	// connLimits bound TCP and TLS connections (connlimit.go); refused counts those over the per-source cap
	connLimits ConnLimits
	refused    atomic.Uint64
	edge       edgeMetrics
	base       context.Context // cancelled when the listeners close: live calls end
	cancel     context.CancelFunc

	started  atomic.Bool
	draining atomic.Bool
	stopped  atomic.Bool
	ready    chan struct{} // closed once both listeners are bound
	bound    string        // the bound host:port; written before ready is closed
	stop     chan struct{} // closed by Shutdown to end ListenAndServe
	stopOnce sync.Once
	done     chan struct{} // closed when ListenAndServe returns
}

// New builds a Server that will listen on addr (host:port, for both UDP and TCP; port 0 picks a free port,
// see [Server.Addr]). Nothing is bound until [Server.ListenAndServe].
func New(addr string, opts ...Option) (*Server, error) {
	if _, err := parseHostPort(addr); err != nil {
		return nil, fmt.Errorf("sipgate: address %q: %w", addr, err)
	}
	def := DefaultConfig()
	s := &Server{
		addr:       addr,
		log:        slog.Default(),
		userAgent:  def.UserAgent,
		retryAfter: def.RetryAfter,
		metrics:    newMetrics(),
		inflight:   newInflight(),
		cc:         DefaultCallConfig(),
		lk:         DefaultLiveKitConfig(),
		connLimits: DefaultConnLimits(),
		ready:      make(chan struct{}),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	for _, opt := range opts {
		opt(s)
	}
	s.log = MaskLogger(s.log)
	s.registerEdgeMetrics()
	if s.records != nil {
		s.metrics.registry.MustRegister(s.records.collectors()...)
	}
	if s.retryAfter < time.Second {
		return nil, fmt.Errorf("sipgate: retry-after %v is under one second", s.retryAfter)
	}
	allowLargeUDP()
	if err := s.newMedia(); err != nil {
		return nil, err
	}
	if err := s.newSIP(); err != nil {
		return nil, err
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.routes()
	return s, nil
}

// newMedia prepares the RTP port range, the prompts and the call table from the call policy.
func (s *Server) newMedia() error {
	ports, err := media.NewPortRange(s.cc.RTPIP, s.cc.RTPPortMin, s.cc.RTPPortMax)
	if err != nil {
		return fmt.Errorf("sipgate: %w", err)
	}
	prompts, err := media.LoadPrompts()
	if err != nil {
		return fmt.Errorf("sipgate: %w", err)
	}
	s.ports, s.prompts, s.calls = ports, prompts, newCallTable(s.cc.MaxCalls)
	return nil
}

// newSIP builds the sipgo user agent and server, handing sipgo the redacting logger through its options so
// that no package-level logger is needed.
func (s *Server) newSIP() error {
	siplog := SIPLogger(s.log.With("component", "sipgo"))
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(s.userAgent),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(siplog)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(siplog)),
	)
	if err != nil {
		return fmt.Errorf("sipgate: sipgo user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(siplog))
	if err != nil {
		ua.Close()
		return fmt.Errorf("sipgate: sipgo server: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(siplog))
	if err != nil {
		ua.Close()
		return fmt.Errorf("sipgate: sipgo client: %w", err)
	}
	s.ua, s.sip, s.client = ua, srv, client
	return nil
}

// Ready is closed once the UDP and TCP listeners are bound, so that callers (tests with port 0, main's logs)
// know [Server.Addr] is final and requests will be answered.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr returns the host:port both listeners are bound to, or "" before [Server.Ready] is closed.
func (s *Server) Addr() string {
	select {
	case <-s.ready:
		return s.bound
	default:
		return ""
	}
}

// ListenAndServe binds UDP and TCP and serves SIP until ctx is cancelled (the listeners close at once) or
// [Server.Shutdown] completes. It returns nil when stopped either way, and an error if binding fails or a
// listener dies on its own.
func (s *Server) ListenAndServe(ctx context.Context) error {
	if s.isStopping() || !s.started.CompareAndSwap(false, true) {
		return ErrServerClosed
	}
	defer close(s.done)
	ls, err := listen(ctx, s.addr)
	if err != nil {
		return err
	}
	limit := func(ln net.Listener) net.Listener {
		return newLimitListener(ln, s.connLimits, s.cc.TrustedProxies, &s.refused)
	}
	ls.tcp = limit(ls.tcp)
	if err := ls.listenTLS(ctx, s.tlsAddr, s.tlsConf, limit); err != nil {
		ls.close()
		return err
	}
	s.bound = ls.addr()
	s.dialogs = s.newDialogUAs(ls)
	close(s.ready)
	s.log.Info("sip listening", "addr", s.bound, "transports", ls.transports())
	return s.serve(ctx, ls)
}

// serve runs sipgo on both listeners and closes them when told to stop or when either dies.
func (s *Server) serve(ctx context.Context, ls *listeners) error {
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Go(func() { errc <- serveErr("udp", s.sip.ServeUDP(ls.udp)) })
	wg.Go(func() { errc <- serveErr("tcp", s.sip.ServeTCP(ls.tcp)) })
	if ls.tls != nil {
		wg.Go(func() { errc <- serveErr("tls", s.sip.ServeTLS(ls.tls)) })
	}

	var err error
	select {
	case <-ctx.Done():
	case <-s.stop:
	case err = <-errc:
		s.log.Error("sip listener failed", "error", err)
	}
	s.stopped.Store(true)
	s.cancel()
	if cerr := ls.close(); cerr != nil {
		s.log.Debug("closing sip listeners", "error", cerr)
	}
	wg.Wait()
	if cerr := s.ua.Close(); cerr != nil {
		s.log.Debug("closing sipgo user agent", "error", cerr)
	}
	s.log.Info("sip stopped", "addr", s.bound)
	return err
}

// serveErr turns the return of a sipgo Serve call into an error: they only return when their listener
// stops, and sipgo's UDP Serve returns nil even when the read failed.
func serveErr(network string, err error) error {
	if err == nil {
		err = errors.New("listener stopped")
	}
	return fmt.Errorf("sipgate: serve %s: %w", network, err)
}

// Drain makes the server refuse new calls: INVITEs (and OPTIONS probes, so that load balancers move traffic
// elsewhere) get 503 with Retry-After, /healthz turns 503, and sipgate_draining is 1. Listeners stay open, so
// requests within live calls still arrive. Drain is idempotent; [Server.Shutdown] calls it.
func (s *Server) Drain() {
	if s.draining.CompareAndSwap(false, true) {
		s.metrics.draining.Set(1)
		s.log.Info("sip draining", "retry_after_s", s.retryAfterSeconds())
	}
}

// Draining reports whether [Server.Drain] (or Shutdown) has been called.
func (s *Server) Draining() bool { return s.draining.Load() }

// Shutdown drains (see [Server.Drain]) and waits until no call is in progress or ctx is done. Calls still
// in progress then are hung up (outcome shutdown), and their BYEs get byeGrace to be answered, retransmitted
// meanwhile; then the listeners close and Shutdown waits for ListenAndServe to return. It returns a wrapped
// ctx error if calls were still in progress.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Drain()
	err := s.inflight.wait(ctx)
	if err != nil {
		err = fmt.Errorf("sipgate: shutdown with %d requests in progress: %w", s.inflight.count(), err)
		for _, c := range s.calls.all() {
			c.post(func() { c.end(OutcomeShutdown) })
		}
		grace, cancel := context.WithTimeout(context.Background(), byeGrace)
		s.inflight.wait(grace)
		cancel()
	}
	s.stopOnce.Do(func() { close(s.stop) })
	if s.started.Load() {
		<-s.done
	}
	return err
}

func (s *Server) isStopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// health reports whether the server takes calls, and a word for /healthz saying why not.
func (s *Server) health() (ok bool, state string) {
	switch {
	case s.Addr() == "":
		return false, "starting"
	case s.stopped.Load():
		return false, "stopped"
	case s.draining.Load():
		return false, "draining"
	}
	return true, "ok"
}
