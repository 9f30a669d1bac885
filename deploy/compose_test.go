package deploy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/meetline/meetline/sipgate"
)

// composeFile is the part of the Compose specification compose.yaml uses;
// anything else fails the strict decoding.
type composeFile struct {
	Name     string                    `json:"name"`
	XCoreEnv map[string]string         `json:"x-core-env"`
	Services map[string]composeService `json:"services"`
	Networks map[string]composeNetwork `json:"networks"`
	Volumes  map[string]struct{}       `json:"volumes"`
}

type composeNetwork struct {
	IPAM *struct {
		Config []struct {
			Subnet string `json:"subnet"`
		} `json:"config"`
	} `json:"ipam"`
}

type composeService struct {
	Image string `json:"image"`
	Build *struct {
		Context    string `json:"context"`
		Dockerfile string `json:"dockerfile"`
	} `json:"build"`
	Command     []string          `json:"command"`
	Entrypoint  []string          `json:"entrypoint"`
	Environment map[string]string `json:"environment"`
	Volumes     []string          `json:"volumes"`
	Ports       []string          `json:"ports"`
	Networks    []string          `json:"networks"`
	NetworkMode string            `json:"network_mode"`
	ExtraHosts  []string          `json:"extra_hosts"`
	DependsOn   map[string]struct {
		Condition string `json:"condition"`
	} `json:"depends_on"`
	Healthcheck *struct {
		Test     []string `json:"test"`
		Interval string   `json:"interval"`
		Timeout  string   `json:"timeout"`
		Retries  int      `json:"retries"`
	} `json:"healthcheck"`
	Restart         string `json:"restart"`
	StopGracePeriod string `json:"stop_grace_period"`
}

// liveKitSIPConfig is the part of LiveKit SIP's config.yaml (livekit/sip
// pkg/config) livekit-sip.yaml uses; a misspelt key fails the decoding.
type liveKitSIPConfig struct {
	Redis struct {
		Address string `json:"address"`
	} `json:"redis"`
	SIPPort       int    `json:"sip_port"`
	RTPPort       string `json:"rtp_port"`
	UseExternalIP bool   `json:"use_external_ip"`
	HealthPort    int    `json:"health_port"`
	Logging       struct {
		Level string `json:"level"`
	} `json:"logging"`
}

// liveKitConfig is the part of livekit-server's configuration the tests read
// (livekit-server itself checks the whole file, in TestLiveKitConfig).
type liveKitConfig struct {
	Port  int `json:"port"`
	Redis struct {
		Address string `json:"address"`
	} `json:"redis"`
	Webhook struct {
		APIKey string   `json:"api_key"`
		URLs   []string `json:"urls"`
	} `json:"webhook"`
}

// composeSecrets are the variables of deploy/compose/.env that hold
// secrets: each must be set, with no default.
var composeSecrets = []string{"POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "LIVEKIT_API_SECRET", "LIVEKIT_SIP_PASSWORD",
	"SIPGATE_CORE_TOKEN", "OPERATOR_TOKEN", "LOBBY_TICKET_SECRET", "STORAGE_WEBHOOK_TOKEN"}

// secretEnv is an environment that sets every secret, each differently.
func secretEnv() map[string]string {
	env := map[string]string{}
	for i, name := range composeSecrets {
		env[name] = fmt.Sprintf("%02d%s", i, strings.Repeat("0123456789abcdef", 4))
	}
	return env
}

// interpolate does what Compose does to ${…} with env: a set value, else
// the default of ${VAR:-default} and ${VAR-default}, else "" — except
// ${VAR:?message} (and ${VAR?message}), which fails when VAR is empty (or
// unset). $$ is a literal $.
func interpolate(s string, env map[string]string) (string, error) {
	re := regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)
	var errs []error
	out := re.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$$" // kept: the container's shell expands it
		}
		sub := re.FindStringSubmatch(m)
		v, set := env[sub[1]]
		switch sub[2] {
		case ":?", "?":
			if v == "" && (sub[2] == ":?" || !set) {
				errs = append(errs, fmt.Errorf("required variable %s is missing a value: %s", sub[1], sub[3]))
			}
			return v
		case ":-":
			if v == "" {
				return sub[3]
			}
		case "-":
			if !set {
				return sub[3]
			}
		}
		return v
	})
	return out, errors.Join(errs...)
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	data, err := interpolate(string(read(t, "deploy/compose/compose.yaml")), secretEnv())
	if err != nil {
		t.Fatal(err)
	}
	strict(t, "deploy/compose/compose.yaml", []byte(data), &c)
	return c
}

// TestComposeRefusesBlankSecrets: compose.yaml has no default secret, so
// neither an empty environment, nor env.example as shipped, nor one blank
// secret lets it start; and the development issuer is off unless chosen.
func TestComposeRefusesBlankSecrets(t *testing.T) {
	compose := string(read(t, "deploy/compose/compose.yaml"))
	example := map[string]string{}
	for line := range strings.Lines(string(read(t, "deploy/compose/env.example"))) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			example[k] = v
		}
	}
	envs := map[string]map[string]string{"empty": {}, "env.example": example}
	for _, name := range composeSecrets {
		env := secretEnv()
		env[name] = ""
		envs[name+" blank"] = env
	}
	for what, env := range envs {
		_, err := interpolate(compose, env)
		if err == nil {
			t.Errorf("%s: compose.yaml interpolates, so compose would start", what)
			continue
		}
		for _, name := range composeSecrets {
			if env[name] == "" && !strings.Contains(err.Error(), "variable "+name+" ") {
				t.Errorf("%s: the error does not name %s: %v", what, name, err)
			}
		}
	}
	uses := regexp.MustCompile(`\$\{([A-Z_]*(?:PASSWORD|SECRET|TOKEN)[A-Z_]*)(:?.)?`)
	for _, m := range uses.FindAllStringSubmatch(compose, -1) {
		if m[2] != ":?" {
			t.Errorf("compose.yaml uses ${%s%s…}: a secret must be ${%s:?…}", m[1], m[2], m[1])
		}
	}
	if core := loadCompose(t).XCoreEnv; core["CORE_DEV_ISSUER"] != "false" {
		t.Errorf("CORE_DEV_ISSUER defaults to %q, want false", core["CORE_DEV_ISSUER"])
	}
	if example["CORE_DEV_ISSUER"] != "false" {
		t.Errorf("env.example sets CORE_DEV_ISSUER=%s, want false", example["CORE_DEV_ISSUER"])
	}
}

// TestCompose checks compose.yaml's structure: pinned images, the
// Dockerfiles and mounted files it names exist, dependencies exist, and host
// networking without published ports.
func TestCompose(t *testing.T) {
	c := loadCompose(t)
	want := []string{"core", "sipgate", "postgres", "valkey", "minio", "livekit", "livekit-sip", "nginx"}
	for _, name := range want {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("no service %s", name)
		}
	}
	official := regexp.MustCompile(`^(postgres|valkey/valkey|minio/minio|minio/mc|livekit/livekit-server|livekit/sip|nginx):[^:]+$`)
	for name, s := range c.Services {
		switch {
		case s.Build != nil:
			if s.Build.Context != "../.." {
				t.Errorf("%s: build context %q, want the repository root (../..)", name, s.Build.Context)
			}
			if _, err := os.Stat(filepath.Join(root, s.Build.Dockerfile)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case !official.MatchString(s.Image) || strings.HasSuffix(s.Image, ":latest"):
			t.Errorf("%s: image %q: want an official image with a pinned tag", name, s.Image)
		}
		if s.NetworkMode == "host" && (len(s.Ports) > 0 || len(s.Networks) > 0) {
			t.Errorf("%s: host networking takes neither ports nor networks", name)
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join(root, "deploy/compose", src)); err != nil {
					t.Errorf("%s: mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s: volume %s is not declared", name, src)
			}
		}
		for dep := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s: depends on unknown service %s", name, dep)
			}
		}
	}
}

// TestComposeWiring checks that what one service is told about another is
// true: addresses, ports, keys, tokens and credentials agree, and sipgate's
// environment passes sipgate's own configuration loader.
func TestComposeWiring(t *testing.T) {
	c := loadCompose(t)
	svc := c.Services
	core := svc["core"].Environment
	checkCoreEnv(t, "compose core", core)

	sg := svc["sipgate"].Environment
	cfg, err := sipgate.ConfigFromEnv(func(k string) string { return sg[k] })
	if err != nil {
		t.Fatalf("sipgate's configuration: %v", err)
	}

	var lk liveKitConfig
	lkYAML := read(t, "deploy/compose/livekit.yaml")
	strictLoose(t, lkYAML, &lk)
	var lksip liveKitSIPConfig
	strict(t, "deploy/compose/livekit-sip.yaml", read(t, "deploy/compose/livekit-sip.yaml"), &lksip)

	// The core is published on the host's loopback for the host-network services.
	corePort := port(t, core["CORE_ADDR"])
	if !slices.Contains(svc["core"].Ports, "127.0.0.1:"+corePort+":"+corePort) {
		t.Errorf("core: CORE_ADDR's port %s is not published on 127.0.0.1", corePort)
	}
	if u := mustURL(t, cfg.Core.URL); u.Hostname() != "127.0.0.1" || urlPort(u) != corePort {
		t.Errorf("SIPGATE_CORE_URL %s does not reach the published core", cfg.Core.URL)
	}
	if !strings.Contains(","+core["SERVICE_TOKENS"]+",", ",sipgate:"+cfg.Core.Token+",") {
		t.Errorf("SERVICE_TOKENS has no sipgate:<SIPGATE_CORE_TOKEN>")
	}

	// sipgate → LiveKit SIP: the address, and the digest pair the core provisions.
	if svc["sipgate"].NetworkMode != "host" || svc["livekit-sip"].NetworkMode != "host" {
		t.Fatalf("sipgate and livekit-sip are expected on the host's network")
	}
	if cfg.LiveKit.Addr != "127.0.0.1:"+itoa(int32(lksip.SIPPort)) {
		t.Errorf("SIPGATE_LIVEKIT_SIP_ADDR %s, but LiveKit SIP listens on %d", cfg.LiveKit.Addr, lksip.SIPPort)
	}
	if port(t, cfg.SIPAddr) == itoa(int32(lksip.SIPPort)) {
		t.Errorf("sipgate and LiveKit SIP both want port %d on the host", lksip.SIPPort)
	}
	if cfg.LiveKit.Username != core["LIVEKIT_SIP_AUTH_USERNAME"] || cfg.LiveKit.Password != core["LIVEKIT_SIP_AUTH_PASSWORD"] {
		t.Errorf("sipgate's LiveKit SIP credentials differ from those the core provisions")
	}
	// sipgate dials 127.0.0.1: its calls come from 127.0.0.1.
	if !allowed(t, core["LIVEKIT_SIP_ALLOWED_ADDRESSES"], "127.0.0.1") {
		t.Errorf("LIVEKIT_SIP_ALLOWED_ADDRESSES %q does not let sipgate's calls in", core["LIVEKIT_SIP_ALLOWED_ADDRESSES"])
	}
	if lo, hi := cfg.Call.RTPPortMin, cfg.Call.RTPPortMax; overlaps(t, lo, hi, lksip.RTPPort) {
		t.Errorf("sipgate's RTP ports %d-%d overlap LiveKit SIP's %s on the host", lo, hi, lksip.RTPPort)
	}

	// One LiveKit key pair everywhere.
	keys := svc["livekit"].Environment["LIVEKIT_KEYS"]
	key, secret, ok := strings.Cut(keys, ": ")
	if !ok || key != core["LIVEKIT_API_KEY"] || secret != core["LIVEKIT_API_SECRET"] {
		t.Errorf("LIVEKIT_KEYS %q is not the core's key pair", keys)
	}
	if len(secret) < 32 {
		t.Errorf("LiveKit's secret has %d characters; livekit-server wants at least 32", len(secret))
	}
	sipEnv := svc["livekit-sip"].Environment
	if sipEnv["LIVEKIT_API_KEY"] != key || sipEnv["LIVEKIT_API_SECRET"] != secret {
		t.Errorf("LiveKit SIP's key pair is not LiveKit's")
	}
	if lk.Webhook.APIKey != key {
		t.Errorf("livekit.yaml signs webhooks with %q, not the core's key %q", lk.Webhook.APIKey, key)
	}
	if len(lk.Webhook.URLs) != 1 || lk.Webhook.URLs[0] != "http://127.0.0.1:"+corePort+"/webhooks/livekit" {
		t.Errorf("livekit.yaml's webhook %v is not the core's /webhooks/livekit", lk.Webhook.URLs)
	}
	if u := mustURL(t, core["LIVEKIT_URL"]); urlPort(u) != itoa(int32(lk.Port)) {
		t.Errorf("LIVEKIT_URL %s is not LiveKit's port %d", core["LIVEKIT_URL"], lk.Port)
	}
	if u := mustURL(t, sipEnv["LIVEKIT_WS_URL"]); u.Hostname() != "127.0.0.1" || urlPort(u) != itoa(int32(lk.Port)) {
		t.Errorf("LIVEKIT_WS_URL %s is not LiveKit on the host", sipEnv["LIVEKIT_WS_URL"])
	}

	// Valkey: the core on the bridge network, LiveKit and LiveKit SIP through the host.
	if core["VALKEY_ADDR"] != "valkey:6379" || !slices.Contains(svc["valkey"].Ports, "127.0.0.1:6379:6379") {
		t.Errorf("Valkey: the core uses %s; it must also be published on 127.0.0.1:6379", core["VALKEY_ADDR"])
	}
	if lk.Redis.Address != "127.0.0.1:6379" || lksip.Redis.Address != lk.Redis.Address {
		t.Errorf("LiveKit (%s) and LiveKit SIP (%s) must share the published Valkey", lk.Redis.Address, lksip.Redis.Address)
	}

	// S3: MinIO's credentials, its event webhook, and nginx's media-auth placeholders.
	minio := svc["minio"].Environment
	if minio["MINIO_ROOT_USER"] != core["S3_ACCESS_KEY"] || minio["MINIO_ROOT_PASSWORD"] != core["S3_SECRET_KEY"] {
		t.Errorf("the core's S3 credentials are not MinIO's")
	}
	if minio["MINIO_NOTIFY_WEBHOOK_ENDPOINT_MEETLINE"] != "http://core:"+corePort+"/webhooks/storage" ||
		minio["MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_MEETLINE"] != core["STORAGE_WEBHOOK_TOKEN"] {
		t.Errorf("MinIO's event webhook is not the core's /webhooks/storage with STORAGE_WEBHOOK_TOKEN")
	}
	if !strings.Contains(strings.Join(svc["minio-setup"].Command, " "), "local/"+core["S3_BUCKET"]) {
		t.Errorf("minio-setup does not create bucket %s", core["S3_BUCKET"])
	}
	ngx := svc["nginx"].Environment
	s3 := mustURL(t, core["S3_ENDPOINT"])
	if ngx["S3_ENDPOINT"] != core["S3_ENDPOINT"] || ngx["S3_HOST"] != s3.Host || ngx["S3_BUCKET"] != core["S3_BUCKET"] {
		t.Errorf("nginx's S3 placeholders (%s, %s, %s) differ from the core's S3_ENDPOINT and S3_BUCKET",
			ngx["S3_ENDPOINT"], ngx["S3_HOST"], ngx["S3_BUCKET"])
	}
	if ngx["CORE_URL"] != "http://core:"+corePort {
		t.Errorf("nginx's CORE_URL %s is not the core", ngx["CORE_URL"])
	}
	// nginx's X-Forwarded-For is believed: TRUSTED_PROXIES is the network nginx and the core share.
	if n := c.Networks["meetline"]; n.IPAM == nil || len(n.IPAM.Config) != 1 || n.IPAM.Config[0].Subnet != core["TRUSTED_PROXIES"] ||
		!slices.Contains(svc["nginx"].Networks, "meetline") {
		t.Errorf("TRUSTED_PROXIES %q is not the meetline network's subnet, which nginx is on", core["TRUSTED_PROXIES"])
	}
	// The admin listener (metrics, profiles, detailed readiness) is the host's alone: nginx never proxies it.
	adminPort := port(t, core["CORE_ADMIN_ADDR"])
	for _, p := range svc["core"].Ports {
		if strings.HasSuffix(p, ":"+adminPort) && p != "127.0.0.1:"+adminPort+":"+adminPort {
			t.Errorf("core: the admin port is published as %s, want 127.0.0.1 only", p)
		}
	}
	for _, f := range []string{"deploy/compose/nginx/meetline.conf.template", "deploy/nginx/media-auth.conf"} {
		if conf := string(read(t, f)); strings.Contains(conf, ":"+adminPort) || strings.Contains(conf, "/metrics") ||
			strings.Contains(conf, "pprof") {
			t.Errorf("%s reaches the core's admin listener", f)
		}
	}
	for k, v := range ngx {
		if strings.Contains(v, ":"+adminPort) {
			t.Errorf("nginx's %s=%s reaches the core's admin listener", k, v)
		}
	}

	// Stopping sipgate waits for its drain.
	if svc["sipgate"].StopGracePeriod == "" {
		t.Error("sipgate: stop_grace_period must cover SIPGATE_DRAIN_TIMEOUT")
	}
}

// strictLoose decodes the keys v has and ignores the others: livekit.yaml is
// checked whole by livekit-server itself.
func strictLoose(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// overlaps reports whether lo-hi meets the "a-b" range spec.
func overlaps(t *testing.T, lo, hi uint16, spec string) bool {
	t.Helper()
	a, b, ok := strings.Cut(spec, "-")
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if !ok || errA != nil || errB != nil {
		t.Fatalf("port range %q", spec)
	}
	return int(lo) <= y && x <= int(hi)
}
