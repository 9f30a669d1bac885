package deploy

import (
	"bytes"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/meetline/meetline/core/app"
)

// root is the repository's root, seen from this package's directory.
const root = ".."

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// strict decodes YAML into v, refusing fields v does not have: a misspelt key
// fails here instead of being ignored by the program that reads the file.
func strict(t *testing.T, name string, data []byte, v any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// documents splits a multi-document YAML stream.
func documents(data []byte) [][]byte {
	var out [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			out = append(out, []byte(d))
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// coreVariables are the variables README.md's core table documents.
func coreVariables(t *testing.T) map[string]bool {
	t.Helper()
	readme := string(read(t, "README.md"))
	start := strings.Index(readme, "### core")
	end := strings.Index(readme, "### sipgate")
	if start < 0 || end < start {
		t.Fatal("README.md: no ### core section before ### sipgate")
	}
	vars := map[string]bool{}
	for _, line := range strings.Split(readme[start:end], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(cells[1], -1) {
			vars[m[1]] = true
		}
	}
	if len(vars) < 20 {
		t.Fatalf("README.md: found only %d core variables", len(vars))
	}
	return vars
}

// checkCoreEnv checks a core environment against README.md (every variable is
// documented) and with the core's own loader (every value is one the core
// starts with), as `core config check` would in the container.
func checkCoreEnv(t *testing.T, where string, env map[string]string) {
	t.Helper()
	documented := coreVariables(t)
	for name := range env {
		if !documented[name] {
			t.Errorf("%s: %s is not a core variable (README.md)", where, name)
		}
	}
	if _, _, err := app.LoadConfig(func(k string) string { return env[k] }); err != nil {
		t.Errorf("%s: the core's configuration:\n%v", where, err)
	}
}

// allowed reports whether ip is within LIVEKIT_SIP_ALLOWED_ADDRESSES.
func allowed(t *testing.T, list, ip string) bool {
	t.Helper()
	addr := netip.MustParseAddr(ip)
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if p, err := netip.ParsePrefix(f); err == nil && p.Contains(addr) {
			return true
		}
		if a, err := netip.ParseAddr(f); err == nil && a == addr {
			return true
		}
	}
	return false
}

func port(t *testing.T, hostport string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatalf("%q: %v", hostport, err)
	}
	return p
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		t.Fatalf("%q is not a URL with a host", s)
	}
	return u
}

// urlPort is u's port, or its scheme's default.
func urlPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" || u.Scheme == "wss" {
		return "443"
	}
	return "80"
}

// tool finds a program deploy/local/install.sh installs, or fails the test
// the way the repository's other tests do when a service is missing.
func tool(t *testing.T, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if full, err := exec.LookPath(p); err == nil {
			return full
		}
	}
	t.Fatalf("none of %q found: run `make test` (deploy/local/install.sh installs them)", paths)
	return ""
}

// run runs a program and returns its combined output; a failure fails the test.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}
