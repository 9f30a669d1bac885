package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
	"github.com/meetline/meetline/loadtest/probe"
	"github.com/meetline/meetline/loadtest/report"
)

// sippScenario is one scenario of loadtest/sipp and how its injection file writes a call.
type sippScenario struct {
	file, method string
	mediaPort    int
	line         func(number, pin string) string
}

var sippScenarios = []sippScenario{
	{file: "pin_rtp.xml", method: "rfc4733 (play_dtmf)", mediaPort: 28000,
		line: func(number, pin string) string { return number + ";" + pin + "#;" }},
	{file: "pin_info.xml", method: "SIP INFO", mediaPort: 29000,
		line: func(number, pin string) string {
			return number + ";" + strings.Join(strings.Split(pin, ""), ";") + ";#;"
		}},
}

// sippPINLength is the PIN length loadtest/sipp/pin_info.xml types (one INFO per key).
const sippPINLength = 10

// sipp runs both scenarios at once against sipgate, then reads sipp's statistics and sipgate's counters.
func (t *loadTest) sipp(ctx context.Context) {
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.note("sipp phase skipped: no sipp on PATH (deploy/local/install.sh installs sip-tester)")
		return
	}
	if need, avail := t.estimate("sipp"), t.left()-t.reserveAfter("sipp"); need > avail {
		t.note("sipp phase skipped: it needs about %v, %v left in the budget", need.Round(time.Second), avail.Round(time.Second))
		return
	}
	var rooms []caller.Room
	for _, r := range t.fx.Book.Open {
		if len(r.PIN) == sippPINLength {
			rooms = append(rooms, r)
		}
	}
	if len(rooms) == 0 {
		t.note("sipp phase skipped: no room with a %d-digit PIN", sippPINLength)
		return
	}
	if n := t.waitIdle(ctx, 8*time.Second); n > 0 {
		t.note("sipgate still had %.0f calls of the concurrency phase when sipp started: its counters below include them", n)
	}
	base := "http://" + t.cfg.sipgateHTTP + "/metrics"
	before, _ := probe.Scrape(ctx, t.http, base)
	calls := max(1, int(t.cfg.sippRate*t.cfg.sippTime.Seconds()))
	results := make([]report.Sipp, len(sippScenarios))
	var wg sync.WaitGroup
	for i, sc := range sippScenarios {
		wg.Go(func() { results[i] = t.runSipp(ctx, bin, sc, rooms, calls) })
	}
	wg.Wait()
	t.waitIdle(ctx, 10*time.Second)
	after, _ := probe.Scrape(ctx, t.http, base)
	delta := func(key string) float64 { return after[key] - before[key] }
	results[0].Digits = delta(`sipgate_dtmf_digits_total{method="rtp"}`)
	results[1].Digits = delta(`sipgate_dtmf_digits_total{method="info"}`)
	t.rep.Sipp = results
	t.rep.SippCheck = &report.SippCheck{PINsOK: delta(`sipgate_pin_attempts_total{result="ok"}`),
		Hangups: delta(`sipgate_calls_total{outcome="hangup"}`)}
	for _, r := range results {
		t.log.Info("sipp", "scenario", r.Scenario, "calls", r.Calls, "ok", r.OK, "failed", r.Failed, "digits", r.Digits)
	}
}

// runSipp runs one scenario for calls calls in a directory of its own and reads its statistics.
func (t *loadTest) runSipp(ctx context.Context, bin string, sc sippScenario, rooms []caller.Room, calls int) report.Sipp {
	res := report.Sipp{Scenario: strings.TrimSuffix(sc.file, ".xml"), Method: sc.method, Rate: t.cfg.sippRate}
	dir := filepath.Join(t.cfg.out, "sipp", res.Scenario)
	if err := os.RemoveAll(dir); err != nil {
		res.Error = err.Error()
		return res
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		res.Error = err.Error()
		return res
	}
	var inj bytes.Buffer
	inj.WriteString("SEQUENTIAL\n")
	for i := range calls {
		r := rooms[i%len(rooms)]
		inj.WriteString(sc.line(r.Numbers[0], r.PIN) + "\n")
	}
	// The injection file holds PINs: it lives in the git-ignored output and is removed afterwards.
	injPath := filepath.Join(dir, "calls.csv")
	if err := os.WriteFile(injPath, inj.Bytes(), 0o600); err != nil {
		res.Error = err.Error()
		return res
	}
	defer os.Remove(injPath)
	scenario, err := filepath.Abs(filepath.Join(t.cfg.repo, "loadtest", "sipp", sc.file))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	port, err := freeUDPPort()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	media, err := freeUDPRange(4) // sipp binds RTP and RTCP for audio and for video from -mp on
	if err != nil {
		res.Error = err.Error()
		return res
	}
	limit := t.cfg.sippTime + 25*time.Second
	cctx, cancel := context.WithTimeout(ctx, limit+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin, "-sf", scenario, "-inf", "calls.csv", "-r", fmt.Sprint(t.cfg.sippRate),
		"-m", fmt.Sprint(calls), "-l", fmt.Sprint(calls), "-t", "u1", "-i", "127.0.0.1", "-p", fmt.Sprint(port),
		"-mp", fmt.Sprint(media), "-nostdin", "-trace_stat", "-stf", "stat.csv", "-fd", "1", "-trace_rtt",
		"-rtt_freq", "1", "-timeout", fmt.Sprintf("%ds", int(limit.Seconds())), t.cfg.sipgateAddr)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil && cctx.Err() != nil {
		res.Error = fmt.Sprintf("sipp did not finish: %v", err) // sipp exits 1 when a call failed: the statistics say which
	}
	t.readSipp(&res, dir)
	if res.Calls == 0 && res.Error == "" {
		res.Error = strings.TrimSpace(lastLines(stderr.String(), 3))
	}
	return res
}

// readSipp reads the statistics and response times sipp left in dir.
func (t *loadTest) readSipp(res *report.Sipp, dir string) {
	if f, err := os.Open(filepath.Join(dir, "stat.csv")); err == nil {
		st, err := report.ParseSippStat(f)
		f.Close()
		if err == nil {
			res.Calls, res.OK, res.Failed = st.Created, st.Successful, st.Failed
			res.ResponseMean = float64(st.ResponseMean) / float64(time.Millisecond)
		} else {
			res.Error = err.Error()
		}
	}
	rtts, _ := filepath.Glob(filepath.Join(dir, "*_rtt.csv"))
	var times []time.Duration
	for _, p := range rtts {
		if f, err := os.Open(p); err == nil {
			ds, _ := report.ParseSippRTT(f, 1)
			f.Close()
			times = append(times, ds...)
		}
	}
	res.ResponseTime = report.Summarize(times)
}

// freeUDPPort is a UDP port free on loopback a moment ago, for sipp's SIP socket.
func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// freeUDPRange finds n consecutive ports, from an even one, free on loopback a moment ago, below the
// kernel's ephemeral range (where sockets opened meanwhile would take them) and above sipgate's and the
// stand-in's RTP ranges of deploy/local.
func freeUDPRange(n int) (int, error) {
	for range 200 {
		base := 26000 + 2*rand.IntN(3000)
		if free(base, n) {
			return base, nil
		}
	}
	return 0, errors.New("no free UDP ports for sipp's media between 26000 and 32000")
}

func free(base, n int) bool {
	var conns []net.PacketConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for p := base; p < base+n; p++ {
		c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		conns = append(conns, c)
	}
	return true
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
