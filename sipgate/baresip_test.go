package sipgate

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBaresipRightPIN calls sipgate from baresip, a real softphone (RFC 4733 DTMF only), scripted through
// its ctrl_tcp module: dial the trunk number, type the PIN and '#', and expect the call to be bridged into the room, with its audio.
func TestBaresipRightPIN(t *testing.T) {
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Fatalf("baresip is not on PATH (%v): run `make test`", err)
	}
	t.Parallel()
	b := startBridge(t, bridgeCalls(), nil)
	srv := b.gw
	dir, ctrl := t.TempDir(), "127.0.0.1:"+freePort(t)
	sipPort := freePort(t)
	config := strings.Join([]string{
		"sip_listen 127.0.0.1:" + sipPort,
		"audio_player aubridge,nil", "audio_source ausine,440", "ausrc_srate 48000", "ausrc_channels 2", "audio_alert aubridge,nil",
		"module_path /usr/lib/baresip/modules",
		"module g711.so", "module ausine.so", "module aubridge.so", "module account.so",
		"module_app menu.so", "module ctrl_tcp.so", "ctrl_tcp_listen " + ctrl,
		"rtp_ports 32000-32999", "",
	}, "\n")
	write(t, filepath.Join(dir, "config"), config)
	write(t, filepath.Join(dir, "accounts"), "<sip:caller@127.0.0.1>;regint=0;audio_codecs=PCMU\n")

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-f", dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("baresip output:\n%s", out.String())
		}
	}()

	conn := dialRetry(t, ctx, ctrl)
	defer conn.Close()
	command(t, conn, "dial", "sip:"+testNumber+"@"+srv.Addr())
	eventually(t, "baresip's call answered", func() bool { return srv.metric(t, "sipgate_active_calls") == "1" })
	time.Sleep(500 * time.Millisecond)
	command(t, conn, "sndcode", testPIN+"#")
	srv.bridged(t, 1)
	// baresip's 440 Hz tone reaches LiveKit's side through the relay, and comes back.
	eventually(t, "the caller's audio at LiveKit", func() bool {
		calls := b.standin.Calls()
		return len(calls) == 1 && calls[0].PacketsIn >= 50 && calls[0].PacketsOut >= 50
	})
	command(t, conn, "hangup", "")
	eventually(t, "the call ended", func() bool { return srv.metric(t, `sipgate_calls_total{outcome="connected"}`) == "1" })
	eventually(t, "LiveKit's leg ended", func() bool { return b.standin.Calls()[0].Ended })
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func dialRetry(t *testing.T, ctx context.Context, addr string) net.Conn {
	t.Helper()
	for {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn
		}
		select {
		case <-ctx.Done():
			t.Fatalf("baresip's ctrl_tcp never listened on %s: %v", addr, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// command sends one ctrl_tcp command as a netstring of JSON.
func command(t *testing.T, conn net.Conn, cmd, params string) {
	t.Helper()
	js := fmt.Sprintf(`{"command":%q,"params":%q,"token":"t"}`, cmd, params)
	if _, err := fmt.Fprintf(conn, "%d:%s,", len(js), js); err != nil {
		t.Fatal(err)
	}
	_ = bufio.NewReader(conn) // responses and events are not needed: sipgate's metrics tell
}
