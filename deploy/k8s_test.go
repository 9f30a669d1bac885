package deploy

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/yaml"

	"github.com/meetline/meetline/sipgate"
)

// kustomization is the part of kustomize's file format the manifests use;
// anything else in a kustomization.yaml fails the strict decoding.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors,omitempty"`
	} `json:"labels,omitempty"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
	} `json:"images,omitempty"`
	Patches []struct {
		Path string `json:"path"`
	} `json:"patches,omitempty"`
}

// object is one decoded manifest.
type object struct {
	file   string
	kind   string
	name   string
	obj    runtime.Object
	delete bool // a strategic-merge "$patch: delete"
}

// decoder decodes the API groups the manifests use, strictly: unknown and
// duplicate fields are errors, as with kubectl apply --validate=strict.
func decoder() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme,
		policyv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// loadKustomization decodes dir's kustomization.yaml and every resource and
// patch it names (resources that are directories are loaded in turn).
func loadKustomization(t *testing.T, dir string) (k kustomization, resources, patches []object) {
	t.Helper()
	strict(t, path.Join(dir, "kustomization.yaml"), read(t, path.Join(dir, "kustomization.yaml")), &k)
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Fatalf("%s: apiVersion %q kind %q", dir, k.APIVersion, k.Kind)
	}
	for _, r := range k.Resources {
		p := path.Join(dir, r)
		if st, err := os.Stat(filepath.Join(root, p)); err == nil && st.IsDir() {
			_, sub, _ := loadKustomization(t, p)
			resources = append(resources, sub...)
			continue
		}
		resources = append(resources, decodeFile(t, p)...)
	}
	for _, p := range k.Patches {
		objs := decodeFile(t, path.Join(dir, p.Path))
		if len(objs) != 1 {
			t.Errorf("%s: %d documents; kustomize takes one patch per file", p.Path, len(objs))
		}
		patches = append(patches, objs...)
	}
	return k, resources, patches
}

func decodeFile(t *testing.T, file string) []object {
	t.Helper()
	dec := decoder()
	var out []object
	for i, doc := range documents(read(t, file)) {
		var raw map[string]any
		strict(t, file, doc, &raw)
		_, del := raw["$patch"]
		delete(raw, "$patch")
		js, err := yaml.Marshal(raw)
		if err == nil {
			js, err = yaml.YAMLToJSON(js)
		}
		if err != nil {
			t.Fatalf("%s #%d: %v", file, i+1, err)
		}
		obj, gvk, err := dec.Decode(js, nil, nil)
		if err != nil {
			t.Fatalf("%s #%d: %v", file, i+1, err)
		}
		name := raw["metadata"].(map[string]any)["name"].(string)
		out = append(out, object{file: file, kind: gvk.Kind, name: name, obj: obj, delete: del})
	}
	return out
}

func find[T runtime.Object](t *testing.T, objs []object, kind, name string) T {
	t.Helper()
	for _, o := range objs {
		if o.kind == kind && o.name == name {
			return o.obj.(T)
		}
	}
	t.Fatalf("no %s %q", kind, name)
	var zero T
	return zero
}

// TestKubernetesBase decodes the base and checks what a rollout depends on:
// probes, resources, disruption budgets, the autoscaler's target, the
// migration Job, and that every Secret and ConfigMap reference resolves.
func TestKubernetesBase(t *testing.T) {
	k, objs, _ := loadKustomization(t, "deploy/k8s/base")
	images := map[string]bool{}
	for _, im := range k.Images {
		images[im.Name] = true
	}
	secret := find[*corev1.Secret](t, objs, "Secret", "meetline-secrets")
	configs := map[string]map[string]string{}
	for _, o := range objs {
		if cm, ok := o.obj.(*corev1.ConfigMap); ok {
			configs[cm.Name] = cm.Data
		}
	}

	var deployments []*appsv1.Deployment
	for _, o := range objs {
		if d, ok := o.obj.(*appsv1.Deployment); ok {
			deployments = append(deployments, d)
		}
	}
	if len(deployments) != 2 {
		t.Fatalf("%d Deployments, want core and sipgate", len(deployments))
	}
	for _, d := range deployments {
		sel, err := metav1Selector(d)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("Deployment %s: selector does not match its pods' labels (%v)", d.Name, err)
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			where := "Deployment " + d.Name + " container " + c.Name
			if c.ReadinessProbe == nil || c.LivenessProbe == nil {
				t.Errorf("%s: needs a readiness and a liveness probe", where)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s: needs CPU and memory requests and a memory limit", where)
			}
			if !images[c.Image] {
				t.Errorf("%s: image %q is not in kustomization.yaml's images", where, c.Image)
			}
			if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation must be false", where)
			}
			checkRefs(t, where, c, secret, configs)
		}
		if ps := d.Spec.Template.Spec.SecurityContext; ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot {
			t.Errorf("Deployment %s: runAsNonRoot", d.Name)
		}
		pdbFound := false
		for _, o := range objs {
			if pdb, ok := o.obj.(*policyv1.PodDisruptionBudget); ok {
				s, err := labelSelector(pdb.Spec.Selector.MatchLabels)
				if err == nil && s.Matches(labels.Set(d.Spec.Template.Labels)) {
					pdbFound = true
				}
			}
		}
		if !pdbFound {
			t.Errorf("Deployment %s: no PodDisruptionBudget selects its pods", d.Name)
		}
	}

	core := find[*appsv1.Deployment](t, objs, "Deployment", "core")
	cc := core.Spec.Template.Spec.Containers[0]
	if p := cc.ReadinessProbe.HTTPGet; p == nil || p.Path != "/readyz" {
		t.Errorf("core: readiness probe must GET /readyz")
	}
	if p := cc.LivenessProbe.HTTPGet; p == nil || p.Path != "/healthz" {
		t.Errorf("core: liveness probe must GET /healthz")
	}
	coreEnv := envOf(t, cc, secret, configs)
	checkCoreEnv(t, "core Deployment", coreEnv)
	if coreEnv["CORE_MIGRATE_ON_START"] != "false" {
		t.Errorf("core: CORE_MIGRATE_ON_START = %q; the Job migrates", coreEnv["CORE_MIGRATE_ON_START"])
	}

	hpa := find[*autoscalingv2.HorizontalPodAutoscaler](t, objs, "HorizontalPodAutoscaler", "core")
	if r := hpa.Spec.ScaleTargetRef; r.Kind != "Deployment" || r.Name != "core" {
		t.Errorf("HPA targets %s %s, want Deployment core", r.Kind, r.Name)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 {
		t.Errorf("HPA: minReplicas below 2 leaves no replica during a rollout")
	}

	job := find[*batchv1.Job](t, objs, "Job", "core-migrate")
	jc := job.Spec.Template.Spec.Containers[0]
	if jc.Image != cc.Image || !slices.Equal(jc.Args, []string{"migrate"}) {
		t.Errorf("migration Job runs %s %v, want %s migrate", jc.Image, jc.Args, cc.Image)
	}
	checkRefs(t, "Job core-migrate", jc, secret, configs)
	// The Job reads the core's whole configuration before it migrates.
	checkCoreEnv(t, "Job core-migrate", envOf(t, jc, secret, configs))

	sg := find[*appsv1.Deployment](t, objs, "Deployment", "sipgate")
	spec := sg.Spec.Template.Spec
	if !spec.HostNetwork || spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet {
		t.Errorf("sipgate: wants hostNetwork with DNS policy ClusterFirstWithHostNet")
	}
	sc := spec.Containers[0]
	env := envOf(t, sc, secret, configs)
	cfg, err := sipgate.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("sipgate's configuration: %v", err)
	}
	if p := sc.ReadinessProbe.HTTPGet; p == nil || p.Path != "/healthz" || p.Port.String() != port(t, cfg.HTTPAddr) {
		t.Errorf("sipgate: readiness must GET /healthz on SIPGATE_HTTP_ADDR's port")
	}
	if p := sc.LivenessProbe.HTTPGet; p != nil && p.Path == "/healthz" {
		t.Errorf("sipgate: liveness on /healthz would kill a draining pod (503 while it drains)")
	}
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	if grace <= cfg.DrainTimeout {
		t.Errorf("sipgate: terminationGracePeriodSeconds %v must exceed SIPGATE_DRAIN_TIMEOUT %v", grace, cfg.DrainTimeout)
	}
	sipPort := port(t, cfg.SIPAddr)
	var udp, tcp bool
	for _, p := range sc.Ports {
		if p.HostPort != p.ContainerPort {
			t.Errorf("sipgate: port %s: hostPort must equal containerPort with host networking", p.Name)
		}
		if itoa(p.ContainerPort) == sipPort {
			udp = udp || p.Protocol == corev1.ProtocolUDP
			tcp = tcp || p.Protocol == corev1.ProtocolTCP || p.Protocol == ""
		}
	}
	if !udp || !tcp {
		t.Errorf("sipgate: SIP port %s must be declared for UDP and TCP", sipPort)
	}

	// What must agree between the core and sipgate.
	if cfg.LiveKit.Username != coreEnv["LIVEKIT_SIP_AUTH_USERNAME"] || cfg.LiveKit.Password != coreEnv["LIVEKIT_SIP_AUTH_PASSWORD"] {
		t.Errorf("sipgate's LiveKit SIP credentials differ from those the core provisions")
	}
	if !strings.Contains(","+coreEnv["SERVICE_TOKENS"]+",", ",sipgate:"+cfg.Core.Token+",") {
		t.Errorf("SERVICE_TOKENS has no sipgate:<SIPGATE_CORE_TOKEN>")
	}
	if u := mustURL(t, cfg.Core.URL); u.Hostname() != "core" || urlPort(u) != port(t, coreEnv["CORE_ADDR"]) {
		t.Errorf("SIPGATE_CORE_URL %s is not the core Service on CORE_ADDR's port", cfg.Core.URL)
	}
	svc := find[*corev1.Service](t, objs, "Service", "core")
	if itoa(svc.Spec.Ports[0].Port) != port(t, coreEnv["CORE_ADDR"]) {
		t.Errorf("core Service port %d is not CORE_ADDR's", svc.Spec.Ports[0].Port)
	}
	// The admin listener is Prometheus's, never the Service's.
	admin := port(t, coreEnv["CORE_ADMIN_ADDR"])
	for _, p := range svc.Spec.Ports {
		if itoa(p.Port) == admin || p.TargetPort.String() == admin || p.TargetPort.String() == "admin" {
			t.Errorf("core Service exposes the admin listener (%s)", admin)
		}
	}
	if dep := find[*appsv1.Deployment](t, objs, "Deployment", "core"); dep.Spec.Template.Annotations["prometheus.io/port"] != admin {
		t.Errorf("Prometheus scrapes port %s, not CORE_ADMIN_ADDR's %s", dep.Spec.Template.Annotations["prometheus.io/port"], admin)
	}
}

// TestKubernetesProduction decodes the production overlay and checks that each
// patch and image names something the base has.
func TestKubernetesProduction(t *testing.T) {
	k, objs, patches := loadKustomization(t, "deploy/k8s/overlays/production")
	if k.Namespace == "" {
		t.Error("production: no namespace")
	}
	for _, p := range patches {
		found := false
		for _, o := range objs {
			found = found || (o.kind == p.kind && o.name == p.name)
		}
		if !found {
			t.Errorf("%s: patches %s %q, which the resources do not have", p.file, p.kind, p.name)
		}
	}
	baseImages := map[string]bool{}
	for _, o := range objs {
		if d, ok := o.obj.(*appsv1.Deployment); ok {
			for _, c := range d.Spec.Template.Spec.Containers {
				baseImages[c.Image] = true
			}
		}
	}
	for _, im := range k.Images {
		if !baseImages[im.Name] || im.NewTag == "" || im.NewTag == "latest" {
			t.Errorf("production image %s: must name a base image and pin a tag", im.Name)
		}
	}
	deletesSecret := slices.ContainsFunc(patches, func(o object) bool { return o.delete && o.kind == "Secret" })
	if !deletesSecret {
		t.Error("production keeps the base's placeholder Secret")
	}
}

// checkRefs checks that every Secret and ConfigMap reference of c resolves.
func checkRefs(t *testing.T, where string, c corev1.Container, secret *corev1.Secret, configs map[string]map[string]string) {
	t.Helper()
	for _, e := range c.Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		r := e.ValueFrom.SecretKeyRef
		if _, ok := secret.StringData[r.Key]; r.Name != secret.Name || !ok {
			t.Errorf("%s: %s refers to secret %s key %s, which does not exist", where, e.Name, r.Name, r.Key)
		}
	}
	for _, f := range c.EnvFrom {
		if f.ConfigMapRef != nil && configs[f.ConfigMapRef.Name] == nil {
			t.Errorf("%s: no ConfigMap %s", where, f.ConfigMapRef.Name)
		}
	}
}

// envOf is c's environment as the container sees it, with the node's
// address (192.0.2.10) for status.hostIP.
func envOf(t *testing.T, c corev1.Container, secret *corev1.Secret, configs map[string]map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, f := range c.EnvFrom {
		if f.ConfigMapRef != nil {
			for k, v := range configs[f.ConfigMapRef.Name] {
				env[k] = v
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = secret.StringData[e.ValueFrom.SecretKeyRef.Key]
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.hostIP":
			env[e.Name] = "192.0.2.10"
		default:
			t.Errorf("%s: %s: unexpected source", c.Name, e.Name)
		}
	}
	return env
}

func metav1Selector(d *appsv1.Deployment) (labels.Selector, error) {
	return labelSelector(d.Spec.Selector.MatchLabels)
}

func labelSelector(m map[string]string) (labels.Selector, error) {
	return labels.ValidatedSelectorFromSet(m)
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
