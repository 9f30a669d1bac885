package standin_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/sdp/v3"
	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/internal/standin"
	"github.com/meetline/meetline/internal/standin/lkbus"
	"github.com/meetline/meetline/sipgate/media"
)

// env is one test's stand-in, with a trunk of its own on the shared
// livekit-server. The trunk allows one random address of 127/8, the
// caller's, so that calls match no other test's trunk (core/livekit tests
// explain the isolation).
type env struct {
	srv     *standin.Server
	routing livekit.SIPRouting
	caller  string // calling number, the trunk's only allowed one
	callIP  string // the caller's source address
	prefix  string // room names of the test
	rooms   *lksdk.RoomServiceClient
}

func setup(t *testing.T) *env {
	t.Helper()
	cfg, prefix := testenv.LiveKit(t)
	e := &env{
		caller: fmt.Sprintf("+3361%07d", rand.IntN(1e7)),
		callIP: fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 1+rand.IntN(254)),
		prefix: prefix,
		rooms:  lksdk.NewRoomServiceClient(cfg.URL, cfg.APIKey, cfg.APISecret),
	}
	e.routing = livekit.SIPRouting{
		TrunkName: testenv.Name("standin-test-"), AllowedAddresses: []string{e.callIP},
		AllowedNumbers: []string{e.caller}, AuthUsername: "sipgate", AuthPassword: testenv.Name("pw-"),
	}
	lk := livekit.New(cfg)
	trunkID, ruleID, err := lk.EnsureSIPRouting(context.Background(), e.routing)
	if err != nil {
		t.Fatalf("EnsureSIPRouting: %v", err)
	}
	t.Cleanup(func() {
		sc := lksdk.NewSIPClient(cfg.URL, cfg.APIKey, cfg.APISecret)
		sc.DeleteSIPDispatchRule(context.Background(), &lkproto.DeleteSIPDispatchRuleRequest{SipDispatchRuleId: ruleID})
		sc.DeleteSIPTrunk(context.Background(), &lkproto.DeleteSIPTrunkRequest{SipTrunkId: trunkID})
	})
	vc, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{testenv.Getenv(t, "VALKEY_ADDR")}, DisableCache: true})
	if err != nil {
		t.Fatalf("valkey: %v", err)
	}
	t.Cleanup(vc.Close)
	io, err := lkbus.NewIOInfoClient(vc)
	if err != nil {
		t.Fatal(err)
	}
	lo := uint16(42000 + 2*rand.IntN(2000))
	ports, err := media.NewPortRange(netip.MustParseAddr("127.0.0.1"), lo, lo+200)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := standin.New(io, standin.LiveKit{URL: cfg.URL, APIKey: cfg.APIKey, APISecret: cfg.APISecret},
		standin.WithAddr("127.0.0.1:0"), standin.WithRTPPorts(ports), standin.WithLogger(testenv.Logger(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e.srv = srv
	return e
}

// uac is a caller: a sipgo user agent bound to the caller's address, which
// also serves the requests the stand-in sends in the dialog (its BYE).
type uac struct {
	dialogs *sipgo.DialogClientCache
	byes    chan struct{}
	rtp     *net.UDPConn
}

func newUAC(t *testing.T, e *env) *uac {
	t.Helper()
	probe, err := net.ListenPacket("udp", e.callIP+":0")
	if err != nil {
		t.Fatalf("bind %s: %v", e.callIP, err)
	}
	addr := probe.LocalAddr().(*net.UDPAddr)
	probe.Close()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("standin-test"), sipgo.WithUserAgentHostname(e.callIP))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	client, err := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(addr.String()))
	if err != nil {
		t.Fatal(err)
	}
	u := &uac{byes: make(chan struct{}, 1)}
	u.dialogs = sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "caller", Host: e.callIP, Port: addr.Port}})
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		u.dialogs.ReadBye(req, tx)
		u.byes <- struct{}{}
	})
	if u.rtp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(e.callIP)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.rtp.Close() })
	return u
}

// call sends INVITE sip:<room>@<stand-in> from the caller with the headers
// sipgate adds and password for the digest; it returns the dialog once
// answered and ACKed, or the error.
func (u *uac) call(t *testing.T, e *env, room, password string, headers map[string]string) (*sipgo.DialogClientSession, error) {
	t.Helper()
	var to sip.Uri
	if err := sip.ParseUri("sip:"+room+"@"+e.srv.Addr(), &to); err != nil {
		t.Fatal(err)
	}
	local := u.rtp.LocalAddr().(*net.UDPAddr).AddrPort()
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: e.caller, Host: e.callIP}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	hdrs := []sip.Header{sip.NewHeader("Content-Type", "application/sdp"), from}
	for k, v := range headers {
		hdrs = append(hdrs, sip.NewHeader(k, v))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	dlg, err := u.dialogs.Invite(ctx, to, media.Offer(local), hdrs...)
	if err != nil {
		return nil, err
	}
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: e.routing.AuthUsername, Password: password}); err != nil {
		dlg.Close()
		return nil, err
	}
	if err := dlg.Ack(ctx); err != nil {
		t.Fatalf("ACK: %v", err)
	}
	return dlg, nil
}

// status returns the SIP status of a failed call, or 0.
func status(err error) int {
	var res *sipgo.ErrDialogResponse
	if errors.As(err, &res) {
		return res.Res.StatusCode
	}
	return 0
}

// answerAddr returns where the 200 OK's SDP says to send RTP.
func answerAddr(t *testing.T, dlg *sipgo.DialogClientSession) *net.UDPAddr {
	t.Helper()
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(dlg.InviteResponse.Body()); err != nil || len(sd.MediaDescriptions) == 0 || sd.ConnectionInformation == nil {
		t.Fatalf("answer SDP %q: %v", dlg.InviteResponse.Body(), err)
	}
	port := sd.MediaDescriptions[0].MediaName.Port.Value
	addr, err := net.ResolveUDPAddr("udp", net.JoinHostPort(sd.ConnectionInformation.Address.Address, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// participants lists the participants of room (none when it does not
// exist).
func (e *env) participants(t *testing.T, room string) []*lkproto.ParticipantInfo {
	t.Helper()
	res, err := e.rooms.ListParticipants(context.Background(), &lkproto.ListParticipantsRequest{Room: room})
	if err != nil {
		return nil
	}
	return res.Participants
}

// eventually polls cond every 50 ms for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
