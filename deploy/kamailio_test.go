package deploy

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The front door of deploy/kamailio/kamailio.cfg against the real Kamailio, on ports of its own, with a raw
// UDP responder as the one sipgate replica: a flood from one address is cut while another address's calls
// go through, scanners get nothing, and with KAMAILIO_CARRIERS only the carriers may call and keep their
// P-Asserted-Identity; without it, nobody's reaches sipgate. Loopback has every 127/8 address, so each
// actor sends from its own.
func TestKamailioFrontDoor(t *testing.T) {
	t.Run("carriers listed", func(t *testing.T) {
		k := startKamailio(t, "KAMAILIO_CARRIERS=127.0.0.2/32")

		// A flood of OPTIONS from one address: Kamailio answers the first ones, then nothing.
		flood := udpFrom(t, "127.0.0.3")
		replies := 0
		for i := range 300 {
			sendUDP(t, flood, k.addr, options(flood, k.addr, fmt.Sprintf("flood-%d", i)))
		}
		for recv(flood, 300*time.Millisecond) != "" {
			replies++
		}
		t.Logf("%d of 300 flooded OPTIONS answered", replies)
		if replies == 0 || replies > 100 {
			t.Errorf("%d of 300 flooded OPTIONS answered, want the first few dozen", replies)
		}
		sendUDP(t, flood, k.addr, options(flood, k.addr, "after-flood"))
		if r := recv(flood, time.Second); r != "" {
			t.Errorf("the flooder is not banned: %.40q", r)
		}

		// Meanwhile the carrier's call reaches sipgate with its asserted identity.
		carrier := udpFrom(t, "127.0.0.2")
		sendUDP(t, carrier, k.addr, invite(carrier, k.addr, "call-1", "friendly-phone", "<sip:+33612345678@carrier>"))
		if got := final(carrier); !strings.HasPrefix(got, "SIP/2.0 486") {
			t.Fatalf("the carrier's INVITE: %.60q, want the replica's 486", got)
		}
		if inv := k.replica.invite("call-1"); !strings.Contains(inv, "P-Asserted-Identity: <sip:+33612345678@carrier>") {
			t.Errorf("the carrier's P-Asserted-Identity did not reach sipgate:\n%s", inv)
		}

		// An INVITE from anyone else is refused; a scanner hears nothing at all.
		other := udpFrom(t, "127.0.0.4")
		sendUDP(t, other, k.addr, invite(other, k.addr, "call-2", "friendly-phone", ""))
		if got := final(other); !strings.HasPrefix(got, "SIP/2.0 403") {
			t.Errorf("an INVITE from outside the carriers: %.60q, want 403", got)
		}
		scanner := udpFrom(t, "127.0.0.5")
		sendUDP(t, scanner, k.addr, options(scanner, k.addr, "scan-1", "User-Agent: Friendly-Scanner"))
		if r := recv(scanner, time.Second); r != "" {
			t.Errorf("a scanner got an answer: %.40q", r)
		}
		if k.replica.invite("call-2") != "" {
			t.Error("a refused INVITE reached sipgate")
		}
	})

	t.Run("no carriers", func(t *testing.T) {
		k := startKamailio(t)
		caller := udpFrom(t, "127.0.0.6")
		sendUDP(t, caller, k.addr, invite(caller, k.addr, "call-3", "friendly-phone", "<sip:+33699999999@forged>"))
		if got := final(caller); !strings.HasPrefix(got, "SIP/2.0 486") {
			t.Fatalf("a caller's INVITE: %.60q, want the replica's 486", got)
		}
		if inv := k.replica.invite("call-3"); inv == "" || strings.Contains(inv, "P-Asserted-Identity") {
			t.Errorf("want the INVITE without its forged P-Asserted-Identity:\n%s", inv)
		}
	})
}

// kamailio is a running Kamailio in front of one raw replica.
type kamailio struct {
	addr    *net.UDPAddr
	replica *replica
}

func startKamailio(t *testing.T, env ...string) *kamailio {
	t.Helper()
	bin := tool(t, "/usr/sbin/kamailio", "kamailio")
	dir := t.TempDir()
	rep := startReplica(t)
	list := filepath.Join(dir, "dispatcher.list")
	if err := os.WriteFile(list, fmt.Appendf(nil, "1 sip:%s\n", rep.conn.LocalAddr()), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freeUDPPort(t)
	cmd := exec.Command(bin, "-DD", "-E", "-m", "32", "-M", "4", "-Y", dir,
		"-f", filepath.Join(root, "deploy/kamailio/kamailio.cfg"), "-l", fmt.Sprintf("udp:127.0.0.1:%d", port))
	cmd.Env = append(os.Environ(), append([]string{"KAMAILIO_DISPATCHER_LIST=" + list,
		"KAMAILIO_CTL_SOCKET=unix:" + filepath.Join(dir, "ctl")}, env...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("kamailio:\n%s", out.String())
		}
	})
	k := &kamailio{addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}, replica: rep}
	probe := udpFrom(t, "127.0.0.9")
	for deadline := time.Now().Add(10 * time.Second); ; {
		sendUDP(t, probe, k.addr, options(probe, k.addr, fmt.Sprintf("ready-%d", time.Now().UnixNano())))
		if strings.HasPrefix(recv(probe, 200*time.Millisecond), "SIP/2.0 200") {
			return k
		}
		if time.Now().After(deadline) {
			t.Fatalf("kamailio did not answer:\n%s", out.String())
		}
	}
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func udpFrom(t *testing.T, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func sendUDP(t *testing.T, c *net.UDPConn, to *net.UDPAddr, msg string) {
	t.Helper()
	if _, err := c.WriteToUDP([]byte(msg), to); err != nil {
		t.Fatal(err)
	}
}

// recv returns the next datagram, "" if none comes within d.
func recv(c *net.UDPConn, d time.Duration) string {
	buf := make([]byte, 65535)
	c.SetReadDeadline(time.Now().Add(d))
	n, _, err := c.ReadFromUDP(buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// final returns the first final response (skipping 100 Trying), "" after 5 s without one.
func final(c *net.UDPConn) string {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		r := recv(c, time.Until(deadline))
		if r != "" && !strings.HasPrefix(r, "SIP/2.0 1") {
			return r
		}
	}
	return ""
}

func request(c *net.UDPConn, to *net.UDPAddr, method, ruri, callID string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", method, ruri)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\r\n", c.LocalAddr(), callID)
	fmt.Fprintf(&b, "From: <sip:+33600000000@%s>;tag=%s\r\n", c.LocalAddr().(*net.UDPAddr).IP, callID)
	fmt.Fprintf(&b, "To: <%s>\r\nCall-ID: %s\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\n", ruri, callID, method)
	fmt.Fprintf(&b, "Contact: <sip:caller@%s>\r\n", c.LocalAddr())
	for _, h := range extra {
		if h != "" {
			b.WriteString(h + "\r\n")
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

func options(c *net.UDPConn, to *net.UDPAddr, callID string, extra ...string) string {
	return request(c, to, "OPTIONS", "sip:"+to.String(), callID, extra...)
}

func invite(c *net.UDPConn, to *net.UDPAddr, callID, ua, pai string) string {
	if pai != "" {
		pai = "P-Asserted-Identity: " + pai
	}
	return request(c, to, "INVITE", fmt.Sprintf("sip:+33123456789@%s", to), callID, "User-Agent: "+ua, pai)
}

// replica plays a sipgate replica: 200 to Kamailio's OPTIONS probes, 486 to every INVITE, which it keeps.
type replica struct {
	conn    *net.UDPConn
	mu      sync.Mutex
	invites map[string]string // by Call-ID
}

func startReplica(t *testing.T) *replica {
	t.Helper()
	r := &replica{conn: udpFrom(t, "127.0.0.1"), invites: map[string]string{}}
	go r.serve()
	return r
}

func (r *replica) serve() {
	buf := make([]byte, 65535)
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		msg := string(buf[:n])
		status := "200 OK"
		switch {
		case strings.HasPrefix(msg, "INVITE "):
			r.mu.Lock()
			r.invites[sipHeader(msg, "Call-ID")] = msg
			r.mu.Unlock()
			status = "486 Busy Here"
		case strings.HasPrefix(msg, "OPTIONS "):
		default:
			continue // ACKs of the 486
		}
		var b strings.Builder
		fmt.Fprintf(&b, "SIP/2.0 %s\r\n", status)
		for _, line := range strings.Split(msg, "\r\n") {
			name, _, _ := strings.Cut(line, ":")
			switch strings.ToLower(name) {
			case "via", "from", "call-id", "cseq", "record-route":
				b.WriteString(line + "\r\n")
			case "to":
				b.WriteString(line + ";tag=replica\r\n")
			}
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		r.conn.WriteToUDP([]byte(b.String()), from)
	}
}

func (r *replica) invite(callID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.invites[callID]
}

// sipHeader returns the value of the first header called name in msg.
func sipHeader(msg, name string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
