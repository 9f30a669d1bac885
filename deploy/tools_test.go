package deploy

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestKamailioConfig has Kamailio check deploy/kamailio/kamailio.cfg (kamailio
// -c parses it and loads its modules) with the environment the local run
// gives it, and checks the example dispatcher list's lines.
func TestKamailioConfig(t *testing.T) {
	kamailio := tool(t, "/usr/sbin/kamailio", "kamailio")
	dir := t.TempDir()
	list := filepath.Join(dir, "dispatcher.list")
	if err := os.WriteFile(list, read(t, "deploy/kamailio/dispatcher.list"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := run(t, []string{"KAMAILIO_DISPATCHER_LIST=" + list, "KAMAILIO_CTL_SOCKET=unix:" + filepath.Join(dir, "ctl")},
		kamailio, "-c", "-f", filepath.Join(root, "deploy/kamailio/kamailio.cfg"), "-Y", dir,
		"-l", "udp:127.0.0.1:5060", "-l", "tcp:127.0.0.1:5060")
	if !strings.Contains(out, "config file ok") {
		t.Fatalf("kamailio -c:\n%s", out)
	}

	line := regexp.MustCompile(`^1 sip:[^ ]+:[0-9]+( [0-9]+( [0-9]+( [^ ]+)?)?)?$`)
	sc := bufio.NewScanner(bytes.NewReader(read(t, "deploy/kamailio/dispatcher.list")))
	n := 0
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		n++
		if !line.MatchString(l) {
			t.Errorf("dispatcher.list: %q is not `1 sip:host:port [flags [priority [attrs]]]`", l)
		}
	}
	if n < 2 {
		t.Errorf("dispatcher.list: %d replicas; the example should show several", n)
	}
}

// TestNginxConfig renders compose's nginx templates (its server block and
// deploy/nginx/media-auth.conf) as the nginx image's entrypoint does, and has
// nginx check them. Upstream host names are loopback here: nginx -t resolves
// them, and compose's service names exist only inside compose.
func TestNginxConfig(t *testing.T) {
	nginx := tool(t, "/usr/sbin/nginx")
	c := loadCompose(t)
	vars := c.Services["nginx"].Environment
	vars["CORE_URL"] = "http://127.0.0.1:8080"
	vars["S3_ENDPOINT"] = "http://127.0.0.1:9000"
	vars["S3_HOST"] = "127.0.0.1:9000"
	// envsubst with a list of variables: ${NAME} of those only; nginx's own $vars stay.
	render := func(file string) string {
		return regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)\}`).ReplaceAllStringFunc(string(read(t, file)), func(m string) string {
			if v, ok := vars[m[2:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	dir := t.TempDir()
	media := filepath.Join(dir, "media-auth.conf")
	server := strings.ReplaceAll(render("deploy/compose/nginx/meetline.conf.template"), "/etc/nginx/meetline/media-auth.conf", media)
	if err := os.WriteFile(media, []byte(render("deploy/nginx/media-auth.conf")), 0o600); err != nil {
		t.Fatal(err)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n"
	}
	conf := user + `pid ` + dir + `/nginx.pid;
error_log ` + dir + `/error.log;
events {}
http {
	access_log off;
	client_body_temp_path ` + dir + `/client_body;
	proxy_temp_path ` + dir + `/proxy;
	fastcgi_temp_path ` + dir + `/fastcgi;
	uwsgi_temp_path ` + dir + `/uwsgi;
	scgi_temp_path ` + dir + `/scgi;
` + server + `
}
`
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, nil, nginx, "-t", "-q", "-c", file, "-p", dir, "-e", filepath.Join(dir, "error.log"))
}

// TestLiveKitConfig has livekit-server read compose's livekit.yaml: `ports`
// loads the configuration strictly (an unknown key is an error) and prints
// the ports it would use.
func TestLiveKitConfig(t *testing.T) {
	tools := os.Getenv("MEETLINE_TOOLS")
	if tools == "" {
		tools = filepath.Join(root, ".tools")
	}
	lk := tool(t, filepath.Join(tools, "bin/livekit-server"))
	keys := loadCompose(t).Services["livekit"].Environment["LIVEKIT_KEYS"]
	out := run(t, []string{"LIVEKIT_KEYS=" + keys}, lk, "--config", filepath.Join(root, "deploy/compose/livekit.yaml"), "ports")
	if strings.Contains(strings.ToLower(out), "could not parse") || !strings.Contains(out, "7880 - HTTP service") {
		t.Fatalf("livekit-server ports:\n%s", out)
	}
}

// TestDockerfiles checks what the issue asks of the images: multi-stage, the
// go.mod toolchain, a static build, a non-root final stage; and that each
// excludes the local stack's data from its build context.
func TestDockerfiles(t *testing.T) {
	gomod := string(read(t, "go.mod"))
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(gomod)[1]
	for _, bin := range []string{"core", "sipgate"} {
		file := "deploy/docker/" + bin + ".Dockerfile"
		df := string(read(t, file))
		froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(df, -1)
		if len(froms) < 2 {
			t.Errorf("%s: not multi-stage", file)
			continue
		}
		if !strings.Contains(df, "ARG GO_VERSION="+goVersion+"\n") {
			t.Errorf("%s: GO_VERSION is not go.mod's %s", file, goVersion)
		}
		if !strings.Contains(df, "CGO_ENABLED=0") || !strings.Contains(df, "./"+bin+"/cmd/"+bin) && !strings.Contains(df, "./sipgate/cmd/"+bin) {
			t.Errorf("%s: not a static build of %s", file, bin)
		}
		final := df[strings.LastIndex(df, "\nFROM "):]
		if !strings.Contains(froms[len(froms)-1][1], "distroless/static") || !strings.Contains(final, "USER nonroot") {
			t.Errorf("%s: the final stage must be distroless/static run as nonroot", file)
		}
		ignore := string(read(t, file+".dockerignore"))
		for _, dir := range []string{".run", ".tools", "bin"} {
			if !strings.Contains(ignore, "\n"+dir+"\n") {
				t.Errorf("%s.dockerignore: %s is not excluded", file, dir)
			}
		}
	}
}
