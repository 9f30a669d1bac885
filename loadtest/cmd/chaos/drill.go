package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/meetline/meetline/loadtest/caller"
	"github.com/meetline/meetline/loadtest/fixture"
)

// drill is one run: the stack, the callers and what was found.
type drill struct {
	cfg    config
	log    *slog.Logger
	fx     *fixture.Fixtures
	agent  *caller.Agent
	media  *caller.Media
	rng    *rand.Rand
	seq    uint64
	readyz *readyzPoller
	mail   *mailer
}

// phase is where a caller stands when the fault strikes.
type phase string

const (
	typing  phase = "typing"
	waiting phase = "waiting for the host"
	lobby   phase = "in the lobby"
	bridged phase = "bridged"
)

var phases = []phase{typing, waiting, lobby, bridged}

// placed is a call's result and its phase.
type placed struct {
	phase phase
	caller.Result
}

func run(ctx context.Context, cfg config, log *slog.Logger) error {
	d := &drill{cfg: cfg, log: log, rng: rand.New(rand.NewPCG(18, 4))}
	// Longer than the core's own bound on each check (2 s): a slow check is an answer, not an outage.
	d.readyz = &readyzPoller{url: cfg.adminURL + "/readyz", http: &http.Client{Timeout: 5 * time.Second}}
	if s := d.readyz.poll(ctx); s.code != http.StatusOK {
		return fmt.Errorf("%s/readyz: %s (run make up)", cfg.adminURL, s.state())
	}
	if err := d.setUp(ctx); err != nil {
		d.tearDown()
		return err
	}
	defer d.tearDown()
	pctx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	go d.readyz.run(pctx, 250*time.Millisecond)

	rep := report{Started: time.Now(), Outage: cfg.outage, Hold: cfg.holdFor, PerPhase: cfg.perPhase}
	base := d.probe(ctx, time.Now(), cfg.recoverWait)
	rep.Baseline = base.after
	for _, name := range cfg.faults {
		if ctx.Err() != nil {
			break
		}
		f, _ := faultByName(name)
		d.log.Info("fault", "name", f.name)
		row, err := d.inject(ctx, f)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		rep.Rows = append(rep.Rows, row)
	}
	d.log.Info("waiting for the e-mails queued during outages", "at_most", cfg.mailWait)
	delivered := d.mail.await(ctx, cfg.mailWait)
	for i := range rep.Rows {
		rep.Rows[i].Mail.Delivered = delivered[rep.Rows[i].Mail.To]
	}
	rep.Took = time.Since(rep.Started)
	return rep.write(cfg.out)
}

// setUp makes the fixtures (a trunk and rooms of each kind) and the callers' agent and media.
func (d *drill) setUp(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, filepath.Join(d.cfg.repo, "bin", "core"), "token", "--sub", "chaos",
		"--email", "chaos@example.org").Output()
	if err != nil {
		return fmt.Errorf("a user token from bin/core token: %w", err)
	}
	token := strings.TrimSpace(string(out))
	d.fx, err = fixture.Setup(ctx, fixture.Config{CoreURL: d.cfg.coreURL, OperatorToken: d.cfg.operatorToken,
		UserToken: token, Trunk: "chaos", Numbers: 8, OpenRooms: 4, WaitRooms: 2, LobbyRooms: 2}, d.log)
	if err != nil {
		return err
	}
	if len(d.fx.Book.Open) == 0 || len(d.fx.Book.Wait) == 0 || len(d.fx.Book.Lobby) == 0 {
		return fmt.Errorf("fixtures: some rooms got no PIN (telephony off?)")
	}
	d.mail = newMailer(d.cfg.coreURL, token, d.cfg.mailpitURL, d.fx.RoomIDs()[0])
	rec, err := caller.NewRecognizer()
	if err != nil {
		return err
	}
	quiet := slog.New(slog.DiscardHandler)
	if d.agent, err = caller.NewAgent(d.cfg.sipgateAddr, net.IPv4(127, 0, 0, 1), quiet); err != nil {
		return err
	}
	d.media, err = caller.NewMedia(netip.MustParseAddr("127.0.0.1"), 1, rec)
	return err
}

func (d *drill) tearDown() {
	if d.agent != nil {
		d.agent.Close()
	}
	if d.media != nil {
		d.media.Close()
	}
	if d.fx != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.fx.Teardown(ctx); err != nil {
			d.log.Warn("fixtures not all removed", "error", err)
		}
	}
}

// plan draws a caller of phase p; the i-th of a phase alternates RFC 4733 and SIP INFO keys.
func (d *drill) plan(p phase, i int) caller.Plan {
	kind := map[phase]caller.Kind{typing: caller.Valid, waiting: caller.Wait, lobby: caller.Lobby, bridged: caller.Valid}[p]
	pl, err := d.fx.Book.Plan(d.rng, kind, caller.Method(i%2), caller.Brisk)
	if err != nil {
		panic(err) // setUp checked that every kind of room exists
	}
	switch p {
	case typing: // typed during the outage; once bridged, it stays a little and hangs up
		pl.Bridge, pl.Hold = true, 2*time.Second
	case bridged:
		pl.Bridge, pl.Hold = true, caller.HoldUntilReleased
	default:
		pl.Hold = caller.HoldUntilReleased
	}
	return pl
}

// cohort is calls in progress.
type cohort struct {
	mu  sync.Mutex
	wg  sync.WaitGroup
	got []placed
}

// place starts n calls of each phase in ps; release ends the holds.
func (d *drill) place(ctx, release context.Context, c *cohort, n int, ps ...phase) {
	for _, p := range ps {
		for i := range n {
			pl := d.plan(p, i)
			d.seq++
			seed := d.seq
			c.wg.Go(func() {
				res := d.agent.Call(ctx, release, d.media, pl, seed)
				c.mu.Lock()
				c.got = append(c.got, placed{p, res})
				c.mu.Unlock()
			})
		}
	}
}

// wait returns the results once every call ended, or what ended within limit.
func (c *cohort) wait(limit time.Duration) []placed {
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]placed(nil), c.got...)
}

// recovery is what the probes found after a service's return.
type recovery struct {
	after  time.Duration // from the return to the first call bridged; -1 when none was within the limit
	failed int           // probes that failed before it
	fails  []string      // their outcomes
}

// probe places a bridged call every two seconds from now until one is bridged or limit has passed, and
// says when, counted from back, the first one was bridged.
func (d *drill) probe(ctx context.Context, back time.Time, limit time.Duration) recovery {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan caller.Result, 64)
	var wg sync.WaitGroup
	defer wg.Wait()
	rec := recovery{after: -1}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	launch := func() {
		pl := d.plan(typing, int(d.seq))
		pl.Hold = 0
		d.seq++
		seed := d.seq
		wg.Go(func() { results <- d.agent.Call(pctx, pctx, d.media, pl, seed) })
	}
	launch()
	for {
		select {
		case r := <-results:
			if r.OK() {
				rec.after = max(r.End.Sub(back), 0)
				return rec
			}
			if r.Outcome != caller.Cut {
				rec.failed++
				rec.fails = append(rec.fails, describe(r))
			}
		case <-tick.C:
			launch()
		case <-deadline.C:
			return rec
		case <-ctx.Done():
			return rec
		}
	}
}

// inject kills f's service, keeps it down for the outage, brings it back, and measures.
func (d *drill) inject(ctx context.Context, f fault) (row, error) {
	r := row{Fault: f.name, Check: f.check}
	if f.replicas {
		undo, err := d.twoReplicas(ctx)
		if err != nil {
			return r, err
		}
		defer undo()
	}
	release, releaseAll := context.WithCancel(ctx)
	defer releaseAll()
	held := &cohort{}
	d.place(ctx, release, held, d.cfg.perPhase, waiting, lobby, bridged)
	if err := sleep(ctx, d.cfg.settle); err != nil {
		return r, err
	}
	killed := time.Now()
	if err := script(ctx, d.cfg.repo, "crash.sh", f.service); err != nil {
		return r, err
	}
	dead := time.Now() // crash.sh returns once the process is gone
	typists := &cohort{}
	d.place(ctx, release, typists, d.cfg.perPhase, typing)
	mailed := make(chan mailRecord, 1)
	go func() {
		_ = sleep(ctx, 2*time.Second)
		mailed <- d.mail.invite(ctx, f.name)
	}()
	if err := sleep(ctx, time.Until(killed.Add(d.cfg.outage))); err != nil {
		return r, err
	}
	restart := time.Now()
	if err := script(ctx, d.cfg.repo, "restart.sh", f.service); err != nil {
		return r, err
	}
	back := time.Now()
	r.RestartTook = back.Sub(restart)
	rec := d.probe(ctx, back, d.cfg.recoverWait)
	r.Recovered, r.ProbesFailed, r.ProbeFailures = rec.after, rec.failed, rec.fails
	r.Readyz = judge(f.check, d.readyz.between(killed, restart), d.readyz.between(back, time.Now()), dead, back)
	r.Back = back
	results := typists.wait(40 * time.Second)
	if err := sleep(ctx, time.Until(killed.Add(d.cfg.holdFor))); err != nil {
		return r, err
	}
	releaseAll()
	results = append(results, held.wait(15*time.Second)...)
	r.Calls, r.Mail = results, <-mailed
	return r, nil
}

// twoReplicas starts a second core and points sipgate at a balancer in front of both; what it returns
// puts sipgate back on the first core alone and stops the second.
func (d *drill) twoReplicas(ctx context.Context) (func(), error) {
	if err := script(ctx, d.cfg.repo, "restart.sh", "core-2"); err != nil {
		return nil, err
	}
	first := strings.TrimPrefix(d.cfg.coreURL, "http://")
	b, err := newBalancer(first, d.cfg.core2Addr)
	if err != nil {
		return nil, err
	}
	if err := script(ctx, d.cfg.repo, "restart.sh", "sipgate", "SIPGATE_CORE_URL=http://"+b.addr()); err != nil {
		return nil, err
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := script(uctx, d.cfg.repo, "restart.sh", "sipgate"); err != nil {
			d.log.Error("sipgate not restarted on the first core", "error", err)
		}
		if err := script(uctx, d.cfg.repo, "crash.sh", "core-2"); err != nil {
			d.log.Error("the second core not stopped", "error", err)
		}
		b.close(uctx)
	}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
