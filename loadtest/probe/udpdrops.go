package probe

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SocketDrops returns, per target, the datagrams the kernel dropped on the UDP sockets its processes have
// open now (the drops column of /proc/net/udp and udp6, matched to the processes' file descriptors by
// inode): which process's buffers overflowed. A socket closed before the call counts no more, so take it
// while the sockets of interest are open.
func SocketDrops(proc string, targets []Target) map[string]uint64 {
	drops := make(map[uint64]uint64)
	for _, f := range []string{"udp", "udp6"} {
		b, err := os.ReadFile(filepath.Join(proc, "net", f))
		if err == nil {
			parseUDPDrops(b, drops)
		}
	}
	out := make(map[string]uint64, len(targets))
	for _, t := range targets {
		for _, pid := range t.Pids() {
			for _, ino := range socketInodes(proc, pid) {
				out[t.Name] += drops[ino]
			}
		}
	}
	return out
}

// parseUDPDrops adds each socket's drops to m by inode. The inode is the 10th field, drops the last.
func parseUDPDrops(b []byte, m map[uint64]uint64) {
	s := bufio.NewScanner(bytes.NewReader(b))
	s.Scan() // the header
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 13 {
			continue
		}
		ino, err1 := strconv.ParseUint(f[9], 10, 64)
		d, err2 := strconv.ParseUint(f[len(f)-1], 10, 64)
		if err1 == nil && err2 == nil && d > 0 {
			m[ino] += d
		}
	}
}

// socketInodes lists the inodes of pid's open sockets.
func socketInodes(proc string, pid int) []uint64 {
	dir := filepath.Join(proc, strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []uint64
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if v, ok := strings.CutPrefix(link, "socket:["); ok {
			if n, err := strconv.ParseUint(strings.TrimSuffix(v, "]"), 10, 64); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}
