// Package probe reads what the load test watches while it runs: processes' CPU time, memory and open
// files from /proc, the machine's CPU and UDP counters, the services' Prometheus metrics, and their
// net/http/pprof profiles.
package probe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTick is the unit of /proc's CPU times: USER_HZ, 100 on every Linux this runs on (sysconf
// _SC_CLK_TCK needs cgo; the kernel's ABI fixes USER_HZ at 100 for x86 and arm64).
const clockTick = 10 * time.Millisecond

// ProcCPU returns the CPU time (user + system) process pid has used, and with reaped, also that of its
// children that ended and were waited for: a server that forks a process per connection (Postgres) keeps
// a total that never goes backwards as its backends come and go.
func ProcCPU(proc string, pid int, reaped bool) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, fmt.Errorf("probe: %w", err)
	}
	self, children, err := parseStatCPU(b)
	if reaped {
		self += children
	}
	return self, err
}

// parseStatCPU reads utime and stime (fields 14 and 15) and cutime and cstime (16 and 17) of a
// /proc/<pid>/stat line. The command name, field 2, is in parentheses and may hold spaces and parentheses
// itself: fields count from its last ')'.
func parseStatCPU(b []byte) (self, children time.Duration, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("probe: malformed stat line")
	}
	f := strings.Fields(string(b[i+1:]))
	// After ')': field 3 (state) is f[0], so field n is f[n-3].
	if len(f) < 15 {
		return 0, 0, errors.New("probe: short stat line")
	}
	var t [4]uint64
	for k := range t {
		if t[k], err = strconv.ParseUint(f[11+k], 10, 64); err != nil {
			return 0, 0, errors.New("probe: stat line without CPU times")
		}
	}
	return time.Duration(t[0]+t[1]) * clockTick, time.Duration(t[2]+t[3]) * clockTick, nil
}

// ProcRSS returns the resident set size of pid in bytes (VmRSS of /proc/<pid>/status).
func ProcRSS(proc string, pid int) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("probe: %w", err)
	}
	return parseStatusKB(b, "VmRSS:")
}

func parseStatusKB(b []byte, key string) (uint64, error) {
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), key); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil {
				break
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("probe: no %s in status", key)
}

// ProcFDs counts pid's open file descriptors (sockets included).
func ProcFDs(proc string, pid int) (int, error) {
	ents, err := os.ReadDir(filepath.Join(proc, strconv.Itoa(pid), "fd"))
	if err != nil {
		return 0, fmt.Errorf("probe: %w", err)
	}
	return len(ents), nil
}

// PidsNamed returns the processes whose command name (/proc/<pid>/comm) is name: every backend of a
// Postgres server, say.
func PidsNamed(proc, name string) []int {
	ents, err := os.ReadDir(proc)
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join(proc, e.Name(), "comm"))
		if err == nil && strings.TrimSpace(string(comm)) == name {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Named returns a Target's Pids for the processes named name, looked up again at most every refresh
// (a scan of /proc reads every process's name).
func Named(proc, name string, refresh time.Duration) func() []int {
	var (
		mu   sync.Mutex
		pids []int
		at   time.Time
	)
	return func() []int {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(at) >= refresh {
			pids, at = PidsNamed(proc, name), time.Now()
		}
		return pids
	}
}

// CPUTimes is the machine's CPU time over all cores since boot (/proc/stat's cpu line): Total is every
// column, Busy all but idle and iowait, IRQ the interrupt and softirq time, which the kernel charges to no
// process (on loopback, much of a packet's delivery runs there).
type CPUTimes struct {
	Busy, Total, IRQ time.Duration
}

// MachineCPU reads the machine's CPU times.
func MachineCPU(proc string) (CPUTimes, error) {
	b, err := os.ReadFile(filepath.Join(proc, "stat"))
	if err != nil {
		return CPUTimes{}, fmt.Errorf("probe: %w", err)
	}
	return parseMachineCPU(b)
}

func parseMachineCPU(b []byte) (CPUTimes, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 5 || f[0] != "cpu" {
		return CPUTimes{}, errors.New("probe: no cpu line in /proc/stat")
	}
	var t, idle, irq uint64
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return CPUTimes{}, errors.New("probe: malformed cpu line")
		}
		if i >= 8 { // guest and guest_nice are already counted in user and nice
			break
		}
		t += n
		switch i {
		case 3, 4: // idle, iowait
			idle += n
		case 5, 6: // irq, softirq
			irq += n
		}
	}
	return CPUTimes{Busy: time.Duration(t-idle) * clockTick, Total: time.Duration(t) * clockTick,
		IRQ: time.Duration(irq) * clockTick}, nil
}

// UDP is the machine's UDP counters (/proc/net/snmp): datagrams the kernel dropped because a socket's
// receive buffer was full (RcvbufErrors) or for any reason (InErrors), and sends that failed for want of
// buffer (SndbufErrors).
type UDP struct {
	InDatagrams, InErrors, RcvbufErrors, SndbufErrors uint64
}

// ReadUDP reads the machine's UDP counters.
func ReadUDP(proc string) (UDP, error) {
	b, err := os.ReadFile(filepath.Join(proc, "net", "snmp"))
	if err != nil {
		return UDP{}, fmt.Errorf("probe: %w", err)
	}
	return parseSNMP(b)
}

// parseSNMP reads the Udp: header and value lines of /proc/net/snmp.
func parseSNMP(b []byte) (UDP, error) {
	var head []string
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if head == nil {
			head = f
			continue
		}
		var u UDP
		for i := 1; i < len(f) && i < len(head); i++ {
			n, _ := strconv.ParseUint(f[i], 10, 64)
			switch head[i] {
			case "InDatagrams":
				u.InDatagrams = n
			case "InErrors":
				u.InErrors = n
			case "RcvbufErrors":
				u.RcvbufErrors = n
			case "SndbufErrors":
				u.SndbufErrors = n
			}
		}
		return u, nil
	}
	return UDP{}, errors.New("probe: no Udp lines in /proc/net/snmp")
}

// Sub returns u − v, counter by counter.
func (u UDP) Sub(v UDP) UDP {
	return UDP{u.InDatagrams - v.InDatagrams, u.InErrors - v.InErrors, u.RcvbufErrors - v.RcvbufErrors,
		u.SndbufErrors - v.SndbufErrors}
}
