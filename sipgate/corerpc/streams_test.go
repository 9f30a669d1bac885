package corerpc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
	"github.com/meetline/meetline/sipgate"
)

// busyStreams is how many callers' streams the tests and the benchmark keep open: more than Go's default
// of 250 streams per HTTP/2 connection, fewer than the core's app.MaxStreamsPerConn.
const busyStreams = 300

// realCore is a core built by testenv.Core with a trunk (testNumber) and a public room; it returns the
// core's URL and the room's PIN.
func realCore(t testing.TB) (url, pin string) {
	t.Helper()
	c := testenv.Core(t)
	ctx := context.Background()
	trunks := meetlinev1connect.NewTrunkServiceClient(testenv.Client(testenv.OperatorToken), c.URL)
	if _, err := trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{
		Name: "paris", Numbers: []string{testNumber}, PinLength: 6, Language: "fr-fr", Enabled: true,
	}); err != nil {
		t.Fatalf("CreateTrunk: %v", err)
	}
	owner, err := c.Server.Users.SignIn(ctx, core.Claims{Sub: "owner"}, false)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	room := &core.Room{Name: testenv.Name("room-"), AccessLevel: core.AccessPublic}
	if err := c.Server.Rooms.CreateRoom(ctx, room, owner.ID); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	return c.URL, room.PIN
}

// countingClient is a client of the core at url speaking version, and the count of its connections.
func countingClient(url, version string) (*Client, *dialCounter) {
	var dials dialCounter
	tr := newTransport(version)
	tr.DialContext = dials.dial
	return newClient(sipgate.CoreConfig{URL: url, Token: testenv.SipgateToken, ResolveTimeout: 5 * time.Second}, tr), &dials
}

// openWatches opens n WatchCall streams, as n bridged calls do, and waits until the core has each in place;
// they last as long as ctx.
func openWatches(ctx context.Context, c *Client, n int) error {
	for range n {
		st, err := c.rpc.WatchCall(ctx, &meetlinev1.WatchCallRequest{CallId: uuid.NewString()})
		if err != nil {
			return err
		}
		if !st.Receive() { // the watch is in place
			return fmt.Errorf("WatchCall: %w", st.Err())
		}
	}
	return nil
}

// TestStreamsShareConnections: with 300 bridged calls' WatchCall streams open on the real core, sipgate's
// HTTP/2 client holds all of them and every ResolvePin on one connection and dials nothing more; over
// HTTP/1.1 each stream holds a connection of its own.
func TestStreamsShareConnections(t *testing.T) {
	url, pin := realCore(t)
	for _, tt := range []struct {
		version  string
		min, max int64 // connections dialled in all
	}{
		{sipgate.CoreHTTP2, 1, 1},
		{sipgate.CoreHTTP1, busyStreams, busyStreams + 20},
	} {
		t.Run(tt.version, func(t *testing.T) {
			c, dials := countingClient(url, tt.version)
			ctx, hangUp := context.WithCancel(context.Background())
			defer hangUp()
			if err := openWatches(ctx, c, busyStreams); err != nil {
				t.Fatal(err)
			}
			before := dials.n.Load()
			for range 20 {
				room, err := c.ResolvePin(ctx, testNumber, pin, sipgate.PINCaller{ID: "+33612345678", CallID: uuid.NewString()})
				if err != nil || room.ID == "" {
					t.Fatalf("ResolvePin: %+v, %v", room, err)
				}
			}
			n := dials.n.Load()
			if n < tt.min || n > tt.max {
				t.Errorf("%d connections for %d streams and 20 ResolvePins, want %d to %d", n, busyStreams, tt.min, tt.max)
			}
			if tt.version == sipgate.CoreHTTP2 && n != before {
				t.Errorf("ResolvePin dialled %d connections beside the streams, want none", n-before)
			}
		})
	}
}
