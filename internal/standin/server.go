package standin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/livekit/protocol/rpc"

	"github.com/meetline/meetline/sipgate/media"
)

// LiveKit is where participants join and how their tokens are signed.
type LiveKit struct {
	URL       string // ws(s):// or http(s):// of the server
	APIKey    string
	APISecret string
}

// Option tunes New.
type Option func(*Server)

// WithAddr sets the UDP host:port to listen on (default 127.0.0.1:5070;
// port 0 picks a free one, see Server.Addr).
func WithAddr(addr string) Option { return func(s *Server) { s.addr = addr } }

// WithRTPPorts sets the RTP ports; their IP is also the one the SDP
// advertises. Default: 127.0.0.1, ports 41000–41999.
func WithRTPPorts(p *media.PortRange) Option { return func(s *Server) { s.ports = p } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithStaticAuth makes the stand-in demand these digest credentials instead
// of the matched trunk's (which LiveKit returns, and which is what the real
// service checks). For a trunk provisioned without credentials.
func WithStaticAuth(username, password string) Option {
	return func(s *Server) { s.staticUser, s.staticPass = username, password }
}

// WithAnswerDelay makes the stand-in ring for d (180) before it evaluates
// the dispatch rules: a LiveKit SIP service that is slow to answer, so that
// tests can hang up or CANCEL during setup.
func WithAnswerDelay(d time.Duration) Option {
	return func(s *Server) { s.answerDelay = d }
}

// Server is the stand-in: a SIP UAS on UDP.
type Server struct {
	io                     rpc.IOInfoClient
	lk                     LiveKit
	addr                   string
	ports                  *media.PortRange
	log                    *slog.Logger
	staticUser, staticPass string
	answerDelay            time.Duration
	nonces                 nonces
	cancelled              atomic.Int64 // INVITEs cancelled while ringing

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	dialogs *sipgo.DialogServerCache
	conn    net.PacketConn

	mu    sync.Mutex
	calls map[string]*call // by LiveKit call id, live and recently ended
	ended []string         // ids of ended calls, oldest first
	wg    sync.WaitGroup   // live calls
}

// New returns a stand-in that asks livekit-server through io and joins
// rooms on lk. Start makes it listen.
func New(io rpc.IOInfoClient, lk LiveKit, opts ...Option) (*Server, error) {
	s := &Server{io: io, lk: lk, addr: "127.0.0.1:5070", log: slog.Default(), calls: map[string]*call{}}
	for _, o := range opts {
		o(s)
	}
	if s.ports == nil {
		p, err := media.NewPortRange(netip.MustParseAddr("127.0.0.1"), 41000, 41999)
		if err != nil {
			return nil, err
		}
		s.ports = p
	}
	return s, nil
}

// Start binds the UDP socket and serves SIP on it in the background until
// Close.
func (s *Server) Start(ctx context.Context) error {
	var lc net.ListenConfig
	conn, err := lc.ListenPacket(ctx, "udp", s.addr)
	if err != nil {
		return fmt.Errorf("standin: listen %s: %w", s.addr, err)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("meetline-lksip-standin"))
	if err != nil {
		conn.Close()
		return fmt.Errorf("standin: %w", err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		ua.Close()
		conn.Close()
		return fmt.Errorf("standin: %w", err)
	}
	client, err := sipgo.NewClient(ua)
	if err != nil {
		ua.Close()
		conn.Close()
		return fmt.Errorf("standin: %w", err)
	}
	s.conn, s.ua, s.srv = conn, ua, srv
	s.dialogs = sipgo.NewDialogServerCache(client, s.contact())
	srv.OnInvite(s.onInvite)
	srv.OnAck(s.onAck)
	srv.OnBye(s.onBye)
	go func() {
		if err := srv.ServeUDP(conn); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("sip serve", "error", err)
		}
	}()
	s.log.Info("LiveKit SIP stand-in listening", "addr", s.Addr())
	return nil
}

// Addr returns the bound UDP host:port (after Start).
func (s *Server) Addr() string { return s.conn.LocalAddr().String() }

func (s *Server) contact() sip.ContactHeader {
	ap := netip.MustParseAddrPort(s.Addr())
	return sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "lksip", Host: ap.Addr().String(), Port: int(ap.Port())}}
}

// Close hangs up every live call (BYE, participant leaves) and stops
// serving.
func (s *Server) Close() error {
	s.mu.Lock()
	live := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		live = append(live, c)
	}
	s.mu.Unlock()
	for _, c := range live {
		c.hangup()
	}
	s.wg.Wait()
	if s.ua == nil {
		return nil
	}
	return errors.Join(s.conn.Close(), s.ua.Close())
}

func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if err := s.dialogs.ReadAck(req, tx); err != nil {
		s.log.Debug("ACK outside a dialog", "error", err)
	}
}

// onBye ends the call whose dialog the BYE belongs to: the dialog's
// context ends, and with it the call (RFC 3261 §15.1.2).
func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if err := s.dialogs.ReadBye(req, tx); err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call does not exist", nil))
	}
}
