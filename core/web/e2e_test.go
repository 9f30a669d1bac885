package web_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	vk "github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/internal/standin"
	"github.com/meetline/meetline/internal/standin/lkbus"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
	"github.com/meetline/meetline/sipgate"
	"github.com/meetline/meetline/sipgate/corerpc"
	"github.com/meetline/meetline/sipgate/media"
)

const (
	sipgateToken   = testenv.SipgateToken
	operatorToken  = testenv.OperatorToken
	trunkNumber    = "+33123456789"
	sipUser        = "sipgate"
	sipPassword    = "console-test-password"
	consoleTimeout = 4 * time.Minute // a safety net: the tour takes about a minute on an idle machine
)

// TestConsoleEndToEnd runs e2e/console.mjs, a person's tour of the console in
// headless Chromium, against everything real but LiveKit's SIP service and
// egress, which cannot run here and have stand-ins: a livekit-server of the
// test's own (with a Valkey of its own for the SIP APIs), the core with its
// console and the development sign-in, LiveKit's SIP routing as the core
// provisions it, the SIP stand-in, sipgate, and sipp for the phone callers.
// The screenshots land in e2e/screenshots (git-ignored).
func TestConsoleEndToEnd(t *testing.T) {
	node := lookPath(t, "node", "Node.js")
	sipp := lookPath(t, "sipp", "sip-tester")
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("no Chromium at %s (%v): run `make test`, which installs Debian's chromium", chromium, err)
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatalf("core/web/node_modules lacks playwright-core (%v): run `make test`, which runs npm ci in core/web", err)
	}
	url, gw, mailpit := startStack(t)
	shots, err := filepath.Abs(filepath.Join("e2e", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), consoleTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("e2e", "console.mjs"))
	cmd.Env = append(os.Environ(), "CONSOLE_URL="+url, "SIPGATE_ADDR="+gw, "TRUNK_NUMBER="+trunkNumber,
		"RECORDING=egress", "MAILPIT_URL="+mailpit, "SCREENSHOTS="+shots, "CHROMIUM="+chromium, "SIPP="+sipp, "OPERATOR_TOKEN="+operatorToken)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The script's progress, as it comes: `go test -v` shows each step.
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		t.Log(sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			t.Fatalf("the console's end-to-end script did not finish within %v", consoleTimeout)
		}
		t.Fatalf("the console's end-to-end script failed (%v); screenshots in %s", err, shots)
	}
	t.Logf("console end to end in %v; screenshots in %s", time.Since(start).Round(100*time.Millisecond), shots)
}

func lookPath(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH (%v): run `make test`, which provides it (%s)", name, err, pkg)
	}
	return p
}

// startStack starts everything the console's tour needs and returns the
// core's URL, sipgate's SIP address, and the API of the mailpit that
// receives the core's mail (sent by its outbox worker, as in production).
func startStack(t *testing.T) (url, sipAddr, mailpit string) {
	t.Helper()
	ctx := context.Background()
	mp := testenv.Mailpit(t)
	var h testenv.Handler
	url = testenv.Serve(t, nil, &h)
	redis := testenv.ValkeyServer(t)
	lkcfg := testenv.LiveKitSIPServer(t, url+"/webhooks/livekit", redis)
	lkcfg.EgressURL, _ = testenv.EgressStandIn(t, url+"/webhooks/livekit", lkcfg.APIKey, lkcfg.APISecret)
	c := testenv.Core(t, testenv.WithHandler(&h, url), testenv.WithLiveKit(lkcfg), testenv.WithConfig(func(c *app.Config) {
		c.PIN.Source.Max = 10 // the tour enters wrong PINs on purpose
		c.LobbyPerAddress.Max = 10000
		c.RecordingExpirationDays = 30
		c.SMTP = mail.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: mail.TLSNone, From: "meet@example.org", Timeout: 10 * time.Second}
		c.MailPollInterval = 200 * time.Millisecond
	}), testenv.WithApp(func(a *app.App) {
		lk := a.Config.LiveKit()
		lk.EgressURL = lkcfg.EgressURL // egress through the stand-in
		a.Server.LiveKit = livekit.New(lk)
		wctx, stop := context.WithCancel(context.Background())
		t.Cleanup(stop)
		a.Start(wctx) // the outbox worker sends to mailpit
	}))

	trunks := meetlinev1connect.NewTrunkServiceClient(testenv.Client(operatorToken), url)
	if _, err := trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{
		Name: "paris", Numbers: []string{trunkNumber}, Language: "fr-fr", Enabled: true,
	}); err != nil {
		t.Fatalf("CreateTrunk: %v", err)
	}
	if _, _, err := c.LiveKit.EnsureSIPRouting(ctx, livekit.SIPRouting{TrunkName: "meetline-sipgate",
		AllowedAddresses: []string{"127.0.0.1"}, AuthUsername: sipUser, AuthPassword: sipPassword}); err != nil {
		t.Fatalf("EnsureSIPRouting: %v", err)
	}
	return url, startSIP(t, url, lkcfg, redis), mp.APIURL
}

// startSIP starts the stand-in for LiveKit's SIP service and sipgate, and
// returns sipgate's address.
func startSIP(t *testing.T, coreURL string, lkcfg livekit.Config, redis string) string {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	vc, err := vk.NewClient(vk.ClientOption{InitAddress: []string{redis}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	info, err := lkbus.NewIOInfoClient(vc)
	if err != nil {
		t.Fatal(err)
	}
	// RTP ports below the kernel's ephemeral range, apart from those of make run, its load test and the other
	// tests (e2e/console.mjs gives sipp 26400-27799).
	loopback := netip.MustParseAddr("127.0.0.1")
	ports, err := media.NewPortRange(loopback, 26200, 26399)
	if err != nil {
		t.Fatal(err)
	}
	sin, err := standin.New(info, standin.LiveKit{URL: lkcfg.URL, APIKey: lkcfg.APIKey, APISecret: lkcfg.APISecret},
		standin.WithAddr("127.0.0.1:0"), standin.WithRTPPorts(ports), standin.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if err := sin.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sin.Close() })

	cc := sipgate.DefaultCallConfig()
	cc.RTPIP, cc.RTPPortMin, cc.RTPPortMax = loopback, 26000, 26199
	// sipp plays the carrier: its caller id is asserted, so the room may show its last digits ("Phone ••• 42").
	cc.TrustedProxies = []netip.Prefix{netip.PrefixFrom(loopback, 8)}
	cc.MaxCalls, cc.MaxWait = 10, time.Minute
	core := corerpc.New(sipgate.CoreConfig{URL: coreURL, Token: sipgateToken, ResolveTimeout: 10 * time.Second})
	// The operators' pages show the calls' records: sipgate spools and ships them as in production.
	recs, err := sipgate.OpenRecords(sipgate.RecordsConfig{Dir: t.TempDir(), Key: "console-test-records-key", Instance: "sipgate-e2e"})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := sipgate.New("127.0.0.1:0", sipgate.WithLogger(quiet), sipgate.WithCore(core), sipgate.WithCallConfig(cc),
		sipgate.WithRecords(recs),
		sipgate.WithLiveKit(sipgate.LiveKitConfig{Addr: sin.Addr(), Username: sipUser, Password: sipPassword, SetupTimeout: 20 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Go(func() { errc <- gw.ListenAndServe(ctx) })
	wg.Go(func() { recs.Ship(ctx, core, quiet) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		recs.Close()
	})
	select {
	case <-gw.Ready():
	case err := <-errc:
		t.Fatalf("sipgate: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("sipgate did not start")
	}
	return gw.Addr()
}
