package corerpc

import (
	"net/http"
	"time"

	"github.com/meetline/meetline/sipgate"
)

// Health check of the client's HTTP/2 connections: one that has read nothing for pingAfter is pinged, and
// closed when the answer, or a write, takes longer than pingTimeout. Callers waiting on a core that vanished
// without closing its connections (a lost node, a partition) learn it within 15 s: their streams fail and
// JoinRoom and WatchCall open them again on a new connection. A connection whose streams exchange messages
// is never pinged, and an idle one costs one small frame each way per 10 s.
const (
	pingAfter   = 10 * time.Second
	pingTimeout = 5 * time.Second
)

// newTransport is the HTTP transport of a client that speaks version ([sipgate.CoreHTTP2] when empty) to the
// core. HTTP/2 is prior knowledge (h2c) to http:// URLs and ALPN's h2 to https:// ones, never HTTP/1.1:
// every unary call and every caller's stream share one connection, and the transport opens another only
// once a connection holds the core's limit of streams (app.MaxStreamsPerConn). Its flow-control windows
// stay Go's (4 MiB per stream, 1 GiB per connection): they are ceilings that a reader who keeps up, as
// sipgate's stream readers do, never fills, not buffers. HTTP/1.1 keeps 64 idle connections, since every
// open stream holds one and a unary call finding none idle waits for a new one.
func newTransport(version string) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Protocols = new(http.Protocols)
	if version == sipgate.CoreHTTP1 {
		tr.Protocols.SetHTTP1(true)
		tr.MaxIdleConnsPerHost = 64
		return tr
	}
	tr.Protocols.SetHTTP2(true)
	tr.Protocols.SetUnencryptedHTTP2(true)
	tr.HTTP2 = &http.HTTP2Config{SendPingTimeout: pingAfter, PingTimeout: pingTimeout, WriteByteTimeout: pingTimeout}
	return tr
}
