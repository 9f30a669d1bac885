package caller

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Agent is the SIP side of many calls: one sipgo user agent with a UDP listener of its own (the Contact
// of every call, where sipgate's BYE and in-dialog requests arrive) and a client whose requests leave
// from one socket (sipgo reuses its connection per destination). Calls share it; it is safe for
// concurrent use.
type Agent struct {
	target  string // sipgate's host:port
	ua      *sipgo.UserAgent
	dialogs *sipgo.DialogClientCache
	conn    net.PacketConn
	served  chan struct{}
	// reasons holds the Reason header of each BYE sipgate sent, by Call-ID, until the call takes it.
	reasons sync.Map
}

// NewAgent starts a user agent that calls target (host:port, UDP) from a listener on ip. log receives
// sipgo's own logs; pass a discarding logger under load.
func NewAgent(target string, ip net.IP, log *slog.Logger) (*Agent, error) {
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("meetline-loadtest"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
	)
	if err != nil {
		return nil, fmt.Errorf("caller: user agent: %w", err)
	}
	a, err := startAgent(ua, target, ip, log)
	if err != nil {
		ua.Close()
		return nil, err
	}
	return a, nil
}

func startAgent(ua *sipgo.UserAgent, target string, ip net.IP, log *slog.Logger) (*Agent, error) {
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		return nil, fmt.Errorf("caller: sip server: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname(ip.String()))
	if err != nil {
		return nil, fmt.Errorf("caller: sip client: %w", err)
	}
	conn, err := net.ListenPacket("udp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return nil, fmt.Errorf("caller: sip listener: %w", err)
	}
	a := &Agent{target: target, ua: ua, conn: conn, served: make(chan struct{})}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "loadtest", Host: ip.String(),
		Port: conn.LocalAddr().(*net.UDPAddr).Port}}
	a.dialogs = sipgo.NewDialogClientCache(client, contact)
	srv.OnBye(a.onBye)
	srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	go func() { defer close(a.served); _ = srv.ServeUDP(conn) }()
	return a, nil
}

// onBye ends the call sipgate hung up: the dialog's context ends, which the call watches.
func (a *Agent) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if h, id := req.GetHeader("Reason"), req.CallID(); h != nil && id != nil {
		a.reasons.Store(id.Value(), h.Value())
	}
	if err := a.dialogs.ReadBye(req, tx); err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "No Dialog", nil))
	}
}

// byeReason takes the Reason header of the BYE sipgate sent for callID: "" when none came.
func (a *Agent) byeReason(callID string) string {
	v, ok := a.reasons.LoadAndDelete(callID)
	if !ok {
		return ""
	}
	return v.(string)
}

// Close stops the listener and the user agent; calls still running fail.
func (a *Agent) Close() error {
	err := a.conn.Close()
	<-a.served
	a.ua.Close()
	return err
}

// invite sends an INVITE for number from caller with the SDP offer body, without waiting for an answer.
func (a *Agent) invite(ctx context.Context, number, caller string, body []byte) (*sipgo.DialogClientSession, error) {
	host, port, err := net.SplitHostPort(a.target)
	if err != nil {
		return nil, fmt.Errorf("caller: target %q: %w", a.target, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("caller: target %q: %w", a.target, err)
	}
	to := sip.Uri{Scheme: "sip", User: number, Host: host, Port: p}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: caller, Host: host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	return a.dialogs.Invite(ctx, to, body, sip.NewHeader("Content-Type", "application/sdp"), from)
}
