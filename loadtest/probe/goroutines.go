package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Waiting is what a goroutine profile says about a service's goroutines: how many in all, and how many
// are waiting for a Postgres connection from pgx's pool or for a Valkey command's answer.
type Waiting struct {
	Total    int `json:"total"`
	Postgres int `json:"waiting_for_postgres_connection"`
	Valkey   int `json:"waiting_for_valkey"`
}

// Goroutines reads base's /debug/pprof/goroutine?debug=1 and counts what its goroutines wait for.
func Goroutines(ctx context.Context, hc *http.Client, base string) (Waiting, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/debug/pprof/goroutine?debug=1", nil)
	if err != nil {
		return Waiting{}, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return Waiting{}, fmt.Errorf("probe: goroutines: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return Waiting{}, fmt.Errorf("probe: goroutines: %s", res.Status)
	}
	return parseGoroutines(res.Body)
}

// parseGoroutines reads the debug=1 text format: groups of identical stacks, each headed "N @ addresses",
// its frames on "#" lines. A group waits for Postgres when a frame acquires from pgx's pool (in puddle,
// the pool under it); for Valkey when a frame waits in valkey-go's pipe for an answer.
func parseGoroutines(r io.Reader) (Waiting, error) {
	var w Waiting
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	n, pg, vk := 0, false, false
	flush := func() {
		w.Total += n
		if pg {
			w.Postgres += n
		} else if vk {
			w.Valkey += n
		}
		n, pg, vk = 0, false, false
	}
	for s.Scan() {
		line := s.Text()
		if head, _, ok := strings.Cut(line, " @ "); ok && !strings.HasPrefix(line, "#") {
			flush()
			n, _ = strconv.Atoi(strings.TrimSpace(head))
			continue
		}
		switch {
		case strings.Contains(line, "pgxpool.(*Pool).Acquire") || strings.Contains(line, "puddle/v2.(*Pool[...]).Acquire"):
			pg = true
		case strings.Contains(line, "valkey-go.(*pipe).Do") || strings.Contains(line, "valkey-go.(*pipe).DoMulti"):
			vk = true
		}
	}
	flush()
	return w, s.Err()
}
