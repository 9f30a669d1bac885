package probe

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Profile saves url's /debug/pprof/<what> to path: "profile?seconds=N" for CPU, "heap?gc=1" for the live
// heap after a garbage collection.
func Profile(ctx context.Context, hc *http.Client, base, what, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/debug/pprof/"+what, nil)
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("probe: pprof %s: %w", what, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("probe: pprof %s: %s (is SIPGATE_PPROF on, or is this the core's admin listener?)", what, res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return fmt.Errorf("probe: pprof %s: %w", what, err)
	}
	return f.Close()
}

// Top summarises the profile at path with `go tool pprof -top`: for a CPU profile, the n functions with
// the most cumulative time, the runtime's, the kernel interface's and sync's hidden (where the time is spent
// shows through them: a syscall's cost appears under the function that writes the packet); for a heap
// profile, the n largest in-use allocations.
func Top(ctx context.Context, path string, n int, heap bool) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	args := []string{"tool", "pprof", "-top", fmt.Sprintf("-nodecount=%d", n)}
	if heap {
		args = append(args, "-sample_index=inuse_space")
	} else {
		args = append(args, "-cum", `-hide=^(runtime|syscall|sync|os)\.|^internal/|^runtime/`)
	}
	out, err := exec.CommandContext(ctx, "go", append(args, path)...).Output()
	if err != nil {
		return "", fmt.Errorf("probe: go tool pprof %s: %w", path, err)
	}
	return string(out), nil
}
