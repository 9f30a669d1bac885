// Command bare is the baseline of the sipgate benchmark (loadtest/sipbench/run.sh): a bare sipgo user agent
// server that answers every INVITE with 180 and a 200 carrying a minimal PCMU SDP answer, waits for the
// ACK, and hangs up (BYE) after -hold, unless the caller hung up first. No core, no IVR, no media: what a
// call costs sipgo alone. RTP sent to it lands on one shared socket and is dropped.
//
//	go run ./loadtest/sipbench/bare -addr 127.0.0.1:55070 -http 127.0.0.1:58090 -hold 0s
//
// /metrics serves the Go and process collectors and bare_active_calls, as sipgate's does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:55070", "SIP listen address (UDP and TCP)")
	httpAddr := flag.String("http", "127.0.0.1:58090", "address of /metrics")
	hold := flag.Duration("hold", 0, "how long a call lasts after the ACK before the BYE")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(*addr, *httpAddr, *hold, log); err != nil {
		log.Error("bare", "error", err)
		os.Exit(1)
	}
}

func run(addr, httpAddr string, hold time.Duration, log *slog.Logger) error {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	port, _ := strconv.Atoi(portStr)
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("sipbench-bare"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
	)
	if err != nil {
		return err
	}
	defer ua.Close()
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		return err
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet))
	if err != nil {
		return err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "bare", Host: host, Port: port}}
	dialogs := sipgo.NewDialogServerCache(client, contact)

	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(host)})
	if err != nil {
		return err
	}
	defer sink.Close()
	go drop(sink)
	answer := fmt.Appendf(nil, "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", host, host, sink.LocalAddr().(*net.UDPAddr).Port)

	reg := prometheus.NewRegistry()
	active := prometheus.NewGauge(prometheus.GaugeOpts{Name: "bare_active_calls", Help: "Calls from INVITE to their end."})
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bare_calls_total", Help: "Calls ended, by outcome."}, []string{"outcome"})
	reg.MustRegister(active, calls, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		active.Inc()
		defer active.Dec()
		dlg, err := dialogs.ReadInvite(req, tx)
		if err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
			calls.WithLabelValues("rejected").Inc()
			return
		}
		defer dlg.Close()
		if err := dlg.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
			calls.WithLabelValues("cancelled").Inc()
			return
		}
		if err := dlg.RespondSDP(answer); err != nil { // waits for the ACK
			calls.WithLabelValues("no_ack").Inc()
			return
		}
		if hold > 0 {
			select {
			case <-dlg.Context().Done(): // the caller hung up
				calls.WithLabelValues("hangup").Inc()
				return
			case <-time.After(hold):
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := dlg.Bye(ctx); err != nil {
			calls.WithLabelValues("bye_failed").Inc()
			return
		}
		calls.WithLabelValues("completed").Inc()
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = dialogs.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := dialogs.ReadBye(req, tx); err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "No Dialog", nil))
		}
	})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hs := &http.Server{Addr: httpAddr, Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 3)
	go func() { errc <- hs.ListenAndServe() }()
	go func() { errc <- srv.ListenAndServe(ctx, "udp", addr) }()
	go func() { errc <- srv.ListenAndServe(ctx, "tcp", addr) }()
	log.Warn("bare listening", "sip", addr, "http", httpAddr, "hold", hold)
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hs.Shutdown(shctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func drop(c *net.UDPConn) {
	buf := make([]byte, 2048)
	for {
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			return
		}
	}
}
