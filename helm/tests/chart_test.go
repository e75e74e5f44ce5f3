// Tests of the Helm chart helm/playback: `helm lint`, then `helm template` with the default
// values and with every file in helm/playback/examples, and checks on the rendered manifests.
//
// Run with helm/tests/run, which installs helm (scripts/install-helm) and sets HELM. Plain
// `go test` in this directory runs scripts/install-helm itself when HELM is unset.
package charttest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/BurntSushi/toml"
	"sigs.k8s.io/yaml"
)

const (
	chartDir    = "../playback"
	examplesDir = "../playback/examples"
	release     = "pb"
	// A Kubernetes version inside the chart's kubeVersion range, so that the result does not
	// depend on what the helm binary assumes.
	kubeVersion = "1.31.0"
)

// The stages, with the container port each listens on by default and the TOML key that sets it.
var stages = map[string]struct {
	port      int
	portName  string
	listenKey []string
}{
	"gateway":     {8081, "http", []string{"gateway", "listen"}},
	"sessionizer": {9464, "metrics", []string{"admin_listen"}},
	"scorer":      {9464, "metrics", []string{"admin_listen"}},
	"archiver":    {9464, "metrics", []string{"admin_listen"}},
	"assets":      {9464, "metrics", []string{"admin_listen"}},
	"query-api":   {8082, "http", []string{"query", "listen"}},
}

// What every release must set: the query API refuses to start without API tokens and a
// share-link signing key, and the chart refuses to render it without the two Secret references.
// The "defaults" value set is the defaults plus these.
const querySecret = "playback-query"

var required = []string{
	"--set", "secrets.apiTokens.existingSecret=" + querySecret,
	"--set", "secrets.shareLinks.existingSecret=" + querySecret,
	"--set", "secrets.encryption.existingSecret=" + masterKeysSecret,
}

// The Secret of the master keys, which every process mounts.
const masterKeysSecret = "playback-master-keys"

// withRequired prepends the required values to args.
func withRequired(args ...string) []string {
	return append(slices.Clone(required), args...)
}

// The consumer stages: each is one Kafka consumer group, bounded by the partition count.
var consumerStages = map[string]string{"sessionizer": "sessionizer", "scorer": "scorer", "archiver": "archiver", "assets": "assets"}

// Environment variables whose name says they carry a credential; they must come from a Secret.
var secretName = regexp.MustCompile(`(?i)(PASSWORD|SECRET|TOKEN|KEY_BASE64|ACCESS_KEY|SIGNING_KEY|SASL_USERNAME|CREDENTIAL|AUTH)`)

type doc = map[string]any

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

func helm(t *testing.T) string {
	t.Helper()
	helmOnce.Do(func() {
		if path := os.Getenv("HELM"); path != "" {
			helmPath = path
			return
		}
		out, err := exec.Command("../../scripts/install-helm").Output()
		if err != nil {
			helmErr = fmt.Errorf("scripts/install-helm: %w", err)
			return
		}
		helmPath = strings.TrimSpace(string(out))
	})
	if helmErr != nil {
		t.Fatal(helmErr)
	}
	return helmPath
}

func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helm(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// A set of values to render: the defaults, or an example file.
type valueSet struct {
	name string
	args []string
}

func valueSets(t *testing.T) []valueSet {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, want := range []string{"clickhouse-cloud.yaml", "full.yaml", "msk.yaml", "strimzi.yaml"} {
		if !slices.Contains(files, filepath.Join(examplesDir, want)) {
			t.Fatalf("examples/%s is missing", want)
		}
	}
	sets := []valueSet{{name: "defaults", args: withRequired()}}
	for _, file := range files {
		sets = append(sets, valueSet{name: filepath.Base(file), args: []string{"-f", file}})
	}
	return sets
}

type rendered struct {
	text string
	docs []doc
}

var (
	renderMu    sync.Mutex
	renderCache = map[string]rendered{}
)

// render runs helm template and parses every document.
func render(t *testing.T, args ...string) rendered {
	t.Helper()
	key := strings.Join(args, "\x00")
	renderMu.Lock()
	defer renderMu.Unlock()
	if cached, ok := renderCache[key]; ok {
		return cached
	}
	full := append([]string{"template", release, chartDir, "--namespace", "replay", "--kube-version", kubeVersion}, args...)
	out, err := runHelm(t, full...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(full, " "), err, out)
	}
	var docs []doc
	for _, part := range regexp.MustCompile(`(?m)^---\s*$`).Split(out, -1) {
		if strings.TrimSpace(stripComments(part)) == "" {
			continue
		}
		var d doc
		if err := yaml.Unmarshal([]byte(part), &d); err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, part)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
	result := rendered{text: out, docs: docs}
	renderCache[key] = result
	return result
}

func stripComments(text string) string {
	var kept []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

func (r rendered) kind(kind string) []doc {
	var out []doc
	for _, d := range r.docs {
		if d["kind"] == kind {
			out = append(out, d)
		}
	}
	return out
}

func (r rendered) named(kind, name string) doc {
	for _, d := range r.kind(kind) {
		if str(d, "metadata", "name") == name {
			return d
		}
	}
	return nil
}

// get walks maps by key and lists by index (an int in path).
func get(v any, path ...any) any {
	for _, step := range path {
		switch key := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[key]
		case int:
			l, ok := v.([]any)
			if !ok || key >= len(l) {
				return nil
			}
			v = l[key]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

func num(v any, path ...any) float64 {
	f, _ := get(v, path...).(float64)
	return f
}

// podSpec of a Deployment or Job.
func podSpec(d doc) any { return get(d, "spec", "template", "spec") }

func onlyContainer(t *testing.T, d doc) any {
	t.Helper()
	containers := list(podSpec(d), "containers")
	if len(containers) != 1 {
		t.Fatalf("%s %s: want one container, got %d", d["kind"], str(d, "metadata", "name"), len(containers))
	}
	return containers[0]
}

func envByName(container any) map[string]any {
	out := map[string]any{}
	for _, e := range list(container, "env") {
		out[str(e, "name")] = e
	}
	return out
}

// configToml parses playback.toml of the release's ConfigMap.
func configToml(t *testing.T, r rendered, name string) map[string]any {
	t.Helper()
	cm := r.named("ConfigMap", name)
	if cm == nil {
		t.Fatalf("ConfigMap %s is missing", name)
	}
	text := str(cm, "data", "playback.toml")
	var config map[string]any
	if _, err := toml.Decode(text, &config); err != nil {
		t.Fatalf("playback.toml does not parse: %v\n%s", err, text)
	}
	return config
}

func TestLint(t *testing.T) {
	for _, set := range valueSets(t) {
		t.Run(set.name, func(t *testing.T) {
			args := append([]string{"lint", chartDir, "--strict", "--kube-version", kubeVersion}, set.args...)
			if out, err := runHelm(t, args...); err != nil {
				t.Fatalf("helm lint: %v\n%s", err, out)
			}
		})
	}
}

func TestDeployments(t *testing.T) {
	for _, set := range valueSets(t) {
		t.Run(set.name, func(t *testing.T) {
			r := render(t, set.args...)
			config := configToml(t, r, release+"-playback")
			deployments := r.kind("Deployment")
			var seen []string
			for _, d := range deployments {
				stage := str(d, "metadata", "labels", "app.kubernetes.io/component")
				want, ok := stages[stage]
				if !ok {
					t.Fatalf("Deployment %s has unknown component %q", str(d, "metadata", "name"), stage)
				}
				seen = append(seen, stage)
				if name := str(d, "metadata", "name"); name != release+"-playback-"+stage {
					t.Errorf("%s: name %q", stage, name)
				}
				checkPod(t, stage, d)
				c := onlyContainer(t, d)
				if args := list(c, "args"); len(args) != 1 || args[0] != stage {
					t.Errorf("%s: args %v, want [%s]", stage, args, stage)
				}
				if cmd := list(c, "command"); cmd != nil {
					t.Errorf("%s: command %v overrides the image entrypoint", stage, cmd)
				}
				ports := list(c, "ports")
				if len(ports) != 1 || int(num(ports[0], "containerPort")) != want.port || str(ports[0], "name") != want.portName {
					t.Errorf("%s: ports %v, want %s %d", stage, ports, want.portName, want.port)
				}
				listen, _ := get(config, toAny(want.listenKey)...).(string)
				if !strings.HasSuffix(listen, fmt.Sprintf(":%d", want.port)) || strings.HasPrefix(listen, "127.") {
					t.Errorf("%s: playback.toml %s = %q does not listen on all addresses at port %d", stage, strings.Join(want.listenKey, "."), listen, want.port)
				}
				for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
					if got := str(c, probe, "httpGet", "path"); got != path {
						t.Errorf("%s: %s path %q, want %q", stage, probe, got, path)
					}
					if got := get(c, probe, "httpGet", "port"); got != want.portName {
						t.Errorf("%s: %s port %v, want %s", stage, probe, got, want.portName)
					}
				}
				for _, kind := range []string{"requests", "limits"} {
					for _, resource := range []string{"cpu", "memory"} {
						if get(c, "resources", kind, resource) == nil {
							t.Errorf("%s: resources.%s.%s is missing", stage, kind, resource)
						}
					}
				}
				_, hpa := findHPA(r, str(d, "metadata", "name"))
				if hpa && get(d, "spec", "replicas") != nil {
					t.Errorf("%s: replicas is set although an HPA scales it", stage)
				}
				if !hpa && get(d, "spec", "replicas") == nil {
					t.Errorf("%s: replicas is missing", stage)
				}
				if len(str(d, "spec", "template", "metadata", "annotations", "checksum/config")) != 64 {
					t.Errorf("%s: checksum/config annotation is missing", stage)
				}
			}
			sort.Strings(seen)
			if want := []string{"archiver", "assets", "gateway", "query-api", "scorer", "sessionizer"}; !slices.Equal(seen, want) {
				t.Errorf("Deployments %v, want %v", seen, want)
			}
			// Sessionizers share their group by partition: they roll out like the other consumers.
			for stage := range consumerStages {
				if strategy := str(r.named("Deployment", release+"-playback-"+stage), "spec", "strategy", "type"); strategy != "" && strategy != "RollingUpdate" {
					t.Errorf("%s strategy %q, want RollingUpdate (or the default)", stage, strategy)
				}
			}
		})
	}
}

func toAny(path []string) []any {
	out := make([]any, len(path))
	for i, p := range path {
		out[i] = p
	}
	return out
}

func findHPA(r rendered, deployment string) (doc, bool) {
	for _, h := range r.kind("HorizontalPodAutoscaler") {
		if str(h, "spec", "scaleTargetRef", "name") == deployment {
			return h, true
		}
	}
	return nil, false
}

// checkPod asserts the security settings, volumes and config of a stage's or the Job's pod.
func checkPod(t *testing.T, what string, d doc) {
	t.Helper()
	pod := podSpec(d)
	if get(pod, "securityContext", "runAsNonRoot") != true {
		t.Errorf("%s: pod runAsNonRoot is not true", what)
	}
	if uid := num(pod, "securityContext", "runAsUser"); uid == 0 {
		t.Errorf("%s: pod runAsUser is %v", what, uid)
	}
	if str(pod, "securityContext", "seccompProfile", "type") != "RuntimeDefault" {
		t.Errorf("%s: pod seccompProfile is not RuntimeDefault", what)
	}
	if get(pod, "automountServiceAccountToken") != false {
		t.Errorf("%s: the service account token is mounted", what)
	}
	if get(pod, "enableServiceLinks") != false {
		t.Errorf("%s: service links are on (they add PLAYBACK_* variables)", what)
	}
	c := onlyContainer(t, d)
	sc := get(c, "securityContext")
	for key, want := range map[string]any{"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false} {
		if got := get(sc, key); got != want {
			t.Errorf("%s: container %s = %v, want %v", what, key, got, want)
		}
	}
	if drop := list(sc, "capabilities", "drop"); !slices.Contains(drop, any("ALL")) {
		t.Errorf("%s: capabilities.drop %v lacks ALL", what, drop)
	}
	if str(sc, "seccompProfile", "type") != "RuntimeDefault" {
		t.Errorf("%s: container seccompProfile is not RuntimeDefault", what)
	}
	volumes := map[string]any{}
	for _, v := range list(pod, "volumes") {
		volumes[str(v, "name")] = v
	}
	mounts := map[string]string{}
	for _, m := range list(c, "volumeMounts") {
		mounts[str(m, "mountPath")] = str(m, "name")
	}
	if name, ok := mounts["/tmp"]; !ok || get(volumes[name], "emptyDir") == nil {
		t.Errorf("%s: /tmp is not an emptyDir", what)
	}
	env := envByName(c)
	configPath := str(env["PLAYBACK_CONFIG"], "value")
	if configPath == "" || mounts[filepath.Dir(configPath)] == "" || get(volumes[mounts[filepath.Dir(configPath)]], "configMap") == nil {
		t.Errorf("%s: PLAYBACK_CONFIG %q is not in a mounted ConfigMap", what, configPath)
	}
}

func TestConfig(t *testing.T) {
	credentialKeys := []string{"password", "access_key_id", "secret_access_key", "key_base64", "sasl.password", "sasl_password", "sasl_username", "signing_key", "tokens"}
	for _, set := range valueSets(t) {
		t.Run(set.name, func(t *testing.T) {
			r := render(t, set.args...)
			config := configToml(t, r, release+"-playback")
			for _, section := range [][]any{{"log", "backend"}, {"warehouse", "backend"}, {"blobs", "backend"}} {
				if got := get(config, section...); got != "server" {
					t.Errorf("%v = %v, want server", section, got)
				}
			}
			// Helm's toToml would write 12.0; the binary refuses a float for an integer.
			if _, ok := get(config, "log", "kafka", "partitions").(int64); !ok {
				t.Errorf("log.kafka.partitions is %T, want an integer", get(config, "log", "kafka", "partitions"))
			}
			if _, ok := get(config, "blobs", "s3", "expire_days").(int64); !ok {
				t.Errorf("blobs.s3.expire_days is %T, want an integer", get(config, "blobs", "s3", "expire_days"))
			}
			for _, key := range []string{"default_hours", "max_hours"} {
				if hours, ok := get(config, "share", key).(int64); !ok || hours < 1 {
					t.Errorf("share.%s is %v (%T), want a positive integer", key, get(config, "share", key), get(config, "share", key))
				}
			}
			if get(config, "share", "default_hours").(int64) > get(config, "share", "max_hours").(int64) {
				t.Errorf("share.default_hours is above share.max_hours")
			}
			if projects, _ := config["projects"].([]map[string]any); len(projects) == 0 {
				t.Errorf("no [[projects]] in playback.toml")
			}
			walk(config, nil, func(path []string, value any) {
				if slices.Contains(credentialKeys, path[len(path)-1]) {
					t.Errorf("playback.toml has a credential key %s", strings.Join(path, "."))
				}
			})
			migrate := r.named("ConfigMap", release+"-playback-migrate")
			if migrate == nil {
				t.Fatal("the migrate Job's ConfigMap is missing")
			}
			if str(migrate, "data", "playback.toml") != str(r.named("ConfigMap", release+"-playback"), "data", "playback.toml") {
				t.Error("the migrate Job's config differs from the stages'")
			}
		})
	}
}

// The retention CronJob runs `playback retention` daily, never two at once, with the stages'
// ConfigMap and the credentials every stage but the gateway has.
func TestRetentionCronJob(t *testing.T) {
	for _, set := range valueSets(t) {
		t.Run(set.name, func(t *testing.T) {
			r := render(t, set.args...)
			jobs := r.kind("CronJob")
			if len(jobs) != 1 {
				t.Fatalf("want one CronJob, got %d", len(jobs))
			}
			job := jobs[0]
			if str(job, "spec", "schedule") == "" || str(job, "spec", "concurrencyPolicy") != "Forbid" {
				t.Errorf("CronJob schedule %q, concurrencyPolicy %q", str(job, "spec", "schedule"), str(job, "spec", "concurrencyPolicy"))
			}
			pod := get(job, "spec", "jobTemplate", "spec", "template", "spec")
			if str(pod, "restartPolicy") != "Never" || get(pod, "automountServiceAccountToken") != false {
				t.Errorf("CronJob pod restartPolicy %q, token mounted %v", str(pod, "restartPolicy"), get(pod, "automountServiceAccountToken"))
			}
			containers := list(pod, "containers")
			if len(containers) != 1 {
				t.Fatalf("want one container, got %d", len(containers))
			}
			if args := list(containers[0], "args"); len(args) != 1 || args[0] != "retention" {
				t.Errorf("CronJob args %v, want [retention]", args)
			}
			configMap := ""
			for _, volume := range list(pod, "volumes") {
				if str(volume, "name") == "config" {
					configMap = str(volume, "configMap", "name")
				}
			}
			if configMap != release+"-playback" {
				t.Errorf("CronJob reads ConfigMap %q, want the stages' %s-playback", configMap, release)
			}
			env := envByName(containers[0])
			if _, ok := env["PLAYBACK_CONFIG"]; !ok {
				t.Error("the CronJob has no PLAYBACK_CONFIG")
			}
		})
	}
	r := render(t, withRequired("--set", "retention.enabled=false")...)
	if jobs := r.kind("CronJob"); len(jobs) != 0 {
		t.Errorf("retention.enabled=false renders %d CronJob(s)", len(jobs))
	}
}

func TestMigrateJob(t *testing.T) {
	for _, set := range valueSets(t) {
		t.Run(set.name, func(t *testing.T) {
			r := render(t, set.args...)
			jobs := r.kind("Job")
			if len(jobs) != 1 {
				t.Fatalf("want one Job, got %d", len(jobs))
			}
			job := jobs[0]
			hooks := strings.Split(str(job, "metadata", "annotations", "helm.sh/hook"), ",")
			if !slices.Contains(hooks, "pre-install") || !slices.Contains(hooks, "pre-upgrade") {
				t.Errorf("Job hooks %v, want pre-install and pre-upgrade", hooks)
			}
			policy := str(job, "metadata", "annotations", "helm.sh/hook-delete-policy")
			if !strings.Contains(policy, "before-hook-creation") {
				t.Errorf("Job hook-delete-policy %q lacks before-hook-creation", policy)
			}
			c := onlyContainer(t, job)
			if args := list(c, "args"); len(args) != 1 || args[0] != "migrate" {
				t.Errorf("Job args %v, want [migrate]", args)
			}
			if str(podSpec(job), "restartPolicy") != "Never" {
				t.Errorf("Job restartPolicy %q", str(podSpec(job), "restartPolicy"))
			}
			checkPod(t, "migrate", job)
			// What the Job mounts must exist when it runs: before the release's own objects.
			jobWeight := hookWeight(t, job)
			cmName := str(get(podSpec(job), "volumes", 0), "configMap", "name")
			cm := r.named("ConfigMap", cmName)
			if cm == nil || str(cm, "metadata", "annotations", "helm.sh/hook") != "pre-install,pre-upgrade" || hookWeight(t, cm) >= jobWeight {
				t.Errorf("the Job's ConfigMap %q is not a hook created before it", cmName)
			}
			if sa := str(podSpec(job), "serviceAccountName"); sa != "" {
				account := r.named("ServiceAccount", sa)
				if account != nil && (str(account, "metadata", "annotations", "helm.sh/hook") == "" || hookWeight(t, account) >= jobWeight) {
					t.Errorf("the Job runs as ServiceAccount %s, which is not created before it", sa)
				}
			}
		})
	}
}

func hookWeight(t *testing.T, d doc) int {
	t.Helper()
	weight := 0
	if text := str(d, "metadata", "annotations", "helm.sh/hook-weight"); text != "" {
		if _, err := fmt.Sscan(text, &weight); err != nil {
			t.Fatalf("%s %s: hook-weight %q: %v", d["kind"], str(d, "metadata", "name"), text, err)
		}
	}
	return weight
}

func walk(v any, path []string, visit func(path []string, value any)) {
	switch node := v.(type) {
	case map[string]any:
		for k, child := range node {
			walk(child, append(slices.Clone(path), k), visit)
		}
	case []map[string]any:
		for i, child := range node {
			walk(child, append(slices.Clone(path), fmt.Sprint(i)), visit)
		}
	case []any:
		for i, child := range node {
			walk(child, append(slices.Clone(path), fmt.Sprint(i)), visit)
		}
	default:
		if len(path) > 0 {
			visit(path, v)
		}
	}
}

// Every rendered env var with a credential's name comes from a Secret, in every value set.
func TestNoCredentialInEnv(t *testing.T) {
	for _, set := range valueSets(t) {
		t.Run(set.name, func(t *testing.T) {
			r := render(t, set.args...)
			if secrets := r.kind("Secret"); len(secrets) != 0 {
				t.Errorf("the chart renders %d Secret(s); it must only reference existing ones", len(secrets))
			}
			for _, d := range append(r.kind("Deployment"), r.kind("Job")...) {
				for _, e := range list(onlyContainer(t, d), "env") {
					name := str(e, "name")
					if !secretName.MatchString(name) {
						continue
					}
					if _, literal := e.(map[string]any)["value"]; literal {
						t.Errorf("%s: %s has a literal value", str(d, "metadata", "name"), name)
					}
					if get(e, "valueFrom", "secretKeyRef", "name") == nil || get(e, "valueFrom", "secretKeyRef", "key") == nil {
						t.Errorf("%s: %s does not come from a secretKeyRef", str(d, "metadata", "name"), name)
					}
				}
			}
		})
	}
}

// full.yaml names its Secrets and keys with sentinels: they appear only as secretKeyRef names and
// keys, each stage gets the credentials it needs, and the query API alone the API tokens and the
// share-link key.
// Every process (each stage and the migrate Job) mounts the master keys' Secret read-only, and
// playback.toml names each key's file there, with the current one.
func TestMasterKeys(t *testing.T) {
	r := render(t, "-f", filepath.Join(examplesDir, "full.yaml"))
	pods := append(r.kind("Deployment"), r.kind("Job")...)
	if len(pods) < 2 {
		t.Fatalf("want the stages and the migrate Job, got %d pods", len(pods))
	}
	for _, d := range pods {
		name := str(d, "metadata", "name")
		var secret string
		for _, volume := range list(podSpec(d), "volumes") {
			if str(volume, "name") == "master-keys" {
				secret = str(volume, "secret", "secretName")
			}
		}
		if secret != "sentinel-master-keys-secret" {
			t.Errorf("%s: master-keys volume from Secret %q, want sentinel-master-keys-secret", name, secret)
		}
		mounted := false
		for _, mount := range list(onlyContainer(t, d), "volumeMounts") {
			if str(mount, "name") == "master-keys" {
				mounted = str(mount, "mountPath") == "/etc/playback-keys" && get(mount, "readOnly") == true
			}
		}
		if !mounted {
			t.Errorf("%s: the master keys are not mounted read-only at /etc/playback-keys", name)
		}
	}
	config := configToml(t, r, release+"-playback")
	if got := get(config, "encryption", "current"); got != "master-2026" {
		t.Errorf("encryption.current = %v, want master-2026", got)
	}
	keys, _ := get(config, "encryption", "keys").([]map[string]any)
	var files []string
	for _, key := range keys {
		files = append(files, fmt.Sprintf("%v=%v", key["id"], key["key_file"]))
	}
	want := []string{"master-2025=/etc/playback-keys/master-2025", "master-2026=/etc/playback-keys/master-2026"}
	if !slices.Equal(files, want) {
		t.Errorf("encryption.keys = %v, want %v", files, want)
	}
}

func TestFullSecrets(t *testing.T) {
	r := render(t, "-f", filepath.Join(examplesDir, "full.yaml"))
	for _, d := range r.docs {
		walk(d, nil, func(path []string, value any) {
			s, ok := value.(string)
			if !ok || !strings.Contains(s, "sentinel-") {
				return
			}
			n := len(path)
			secretVolume := n >= 2 && path[n-2] == "secret" && path[n-1] == "secretName"
			if !secretVolume && (n < 2 || path[n-2] != "secretKeyRef" || (path[n-1] != "name" && path[n-1] != "key")) {
				t.Errorf("%s %s: sentinel %q outside a secretKeyRef, at %s", d["kind"], str(d, "metadata", "name"), s, strings.Join(path, "."))
			}
		})
	}
	base := map[string][2]string{
		"PLAYBACK_LOG__KAFKA__SASL_USERNAME":         {"sentinel-kafka-secret", "sentinel-kafka-username-key"},
		"PLAYBACK_LOG__KAFKA__SASL_PASSWORD":         {"sentinel-kafka-secret", "sentinel-kafka-password-key"},
		"PLAYBACK_BLOBS__S3__ACCESS_KEY_ID":          {"sentinel-s3-secret", "sentinel-s3-access-key-id-key"},
		"PLAYBACK_BLOBS__S3__SECRET_ACCESS_KEY":      {"sentinel-s3-secret", "sentinel-s3-secret-access-key-key"},
		"PLAYBACK_BLOBS__S3__ENCRYPTION__KEY_BASE64": {"sentinel-ssec-secret", "sentinel-ssec-key"},
		"PLAYBACK_EXAMPLE_TOKEN":                     {"sentinel-extra-secret", "sentinel-extra-token-key"},
	}
	clickhouse := [2]string{"sentinel-clickhouse-secret", "sentinel-clickhouse-password-key"}
	share := [2]string{"sentinel-share-secret", "sentinel-share-signing-key"}
	tokens := [2]string{"sentinel-tokens-secret", "sentinel-tokens-key"}
	containers := map[string]any{"migrate": onlyContainer(t, r.kind("Job")[0])}
	for _, d := range r.kind("Deployment") {
		containers[str(d, "metadata", "labels", "app.kubernetes.io/component")] = onlyContainer(t, d)
	}
	for stage, c := range containers {
		want := map[string][2]string{}
		for k, v := range base {
			want[k] = v
		}
		if stage != "gateway" {
			want["PLAYBACK_WAREHOUSE__CLICKHOUSE__PASSWORD"] = clickhouse
		}
		if stage == "query-api" {
			want["PLAYBACK_SHARE__SIGNING_KEY"] = share
			want["PLAYBACK_AUTH__TOKENS"] = tokens
		}
		got := map[string][2]string{}
		for name, e := range envByName(c) {
			if ref := get(e, "valueFrom", "secretKeyRef"); ref != nil {
				got[name] = [2]string{str(ref, "name"), str(ref, "key")}
			}
		}
		for name, ref := range want {
			if got[name] != ref {
				t.Errorf("%s: %s from %v, want %v", stage, name, got[name], ref)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("%s: unexpected credential %s", stage, name)
			}
		}
	}
}

// Credentials put into values are refused, never rendered.
func TestCredentialsInValuesAreRefused(t *testing.T) {
	const canary = "canary-Zq7Xk2"
	for _, set := range [][]string{
		{"--set", "config.warehouse.clickhouse.password=" + canary},
		{"--set", "config.blobs.s3.secret_access_key=" + canary},
		{"--set", "config.blobs.s3.encryption.key_base64=" + canary},
		{"--set", "config.log.kafka.sasl_password=" + canary},
		{"--set", `kafka.client.sasl\.password=` + canary},
		{"--set", "clickhouse.password=" + canary},
		{"--set", "s3.access_key_id=" + canary},
		{"--set", "s3.encryption.key_base64=" + canary},
		{"--set", "config.share.signing_key=" + canary},
		{"--set", "config.auth.tokens[0].token=" + canary},
	} {
		out, err := runHelm(t, append([]string{"template", release, chartDir, "--kube-version", kubeVersion}, withRequired(set...)...)...)
		if err == nil {
			t.Errorf("helm template %v succeeded; want a refusal", set)
		}
		if strings.Contains(out, "playback.toml") || strings.Contains(out, "kind:") {
			t.Errorf("helm template %v rendered manifests:\n%s", set, out)
		}
		if !strings.Contains(out, canary) && !strings.Contains(out, "credential") && !strings.Contains(out, "not allowed") {
			t.Errorf("helm template %v was refused for another reason than the credential:\n%s", set, out)
		}
	}
}

func TestFullHasEveryObject(t *testing.T) {
	r := render(t, "-f", filepath.Join(examplesDir, "full.yaml"))
	counts := map[string]int{}
	for _, d := range r.docs {
		counts[d["kind"].(string)]++
	}
	for kind, want := range map[string]int{
		"Deployment": 6, "Service": 6, "PodDisruptionBudget": 6, "HorizontalPodAutoscaler": 6,
		"Ingress": 2, "ServiceMonitor": 1, "Job": 1, "ConfigMap": 2, "ServiceAccount": 2, "CronJob": 1,
	} {
		if counts[kind] != want {
			t.Errorf("%d %s, want %d", counts[kind], kind, want)
		}
	}
	for stage, want := range stages {
		svc := r.named("Service", release+"-playback-"+stage)
		if svc == nil {
			t.Errorf("Service of %s is missing", stage)
			continue
		}
		port := get(svc, "spec", "ports", 0)
		if str(port, "name") != want.portName || get(port, "targetPort") != want.portName {
			t.Errorf("Service %s port %v, want name and targetPort %s", stage, port, want.portName)
		}
		if get(svc, "spec", "selector", "app.kubernetes.io/component") != stage {
			t.Errorf("Service %s does not select its stage", stage)
		}
		if pdb := r.named("PodDisruptionBudget", release+"-playback-"+stage); pdb == nil ||
			get(pdb, "spec", "selector", "matchLabels", "app.kubernetes.io/component") != stage {
			t.Errorf("PodDisruptionBudget of %s is missing or selects another stage", stage)
		}
	}
	config := configToml(t, r, release+"-playback")
	partitions := get(config, "log", "kafka", "partitions").(int64)
	for _, h := range r.kind("HorizontalPodAutoscaler") {
		target := strings.TrimPrefix(str(h, "spec", "scaleTargetRef", "name"), release+"-playback-")
		if str(h, "spec", "metrics", 0, "resource", "name") != "cpu" {
			t.Errorf("HPA %s does not scale on CPU", target)
		}
		if _, consumer := consumerStages[target]; consumer {
			if int64(num(h, "spec", "maxReplicas")) > partitions {
				t.Errorf("HPA %s maxReplicas %v is above the %d partitions", target, num(h, "spec", "maxReplicas"), partitions)
			}
			if num(h, "spec", "behavior", "scaleDown", "stabilizationWindowSeconds") == 0 {
				t.Errorf("HPA %s of a consumer scales down without a stabilization window (each change is a rebalance)", target)
			}
		}
	}
	// The sessionizer scales horizontally now, within the partitions.
	if h, ok := findHPA(r, release+"-playback-sessionizer"); !ok {
		t.Error("full.yaml has no HPA for the sessionizer")
	} else if maxReplicas := int64(num(h, "spec", "maxReplicas")); maxReplicas < 2 || maxReplicas > partitions {
		t.Errorf("sessionizer HPA maxReplicas %d, want 2 to %d", maxReplicas, partitions)
	}
	for _, target := range []string{"gateway", "query-api", "scorer", "archiver", "assets"} {
		if _, ok := findHPA(r, release+"-playback-"+target); !ok {
			t.Errorf("no HPA for %s", target)
		}
	}
	gateway := r.named("Ingress", release+"-playback-gateway")
	query := r.named("Ingress", release+"-playback-query-api")
	if gateway == nil || query == nil {
		t.Fatal("an Ingress is missing")
	}
	if str(gateway, "spec", "ingressClassName") == str(query, "spec", "ingressClassName") {
		t.Error("the public gateway and the internal query API share an ingress class")
	}
	for _, p := range list(gateway, "spec", "rules", 0, "http", "paths") {
		if path := str(p, "path"); path == "/" || strings.HasPrefix(path, "/metrics") {
			t.Errorf("the public gateway Ingress exposes %q (with /metrics)", path)
		}
		if str(p, "backend", "service", "name") != release+"-playback-gateway" {
			t.Errorf("gateway Ingress points at %v", get(p, "backend"))
		}
	}
	monitor := r.kind("ServiceMonitor")[0]
	if str(monitor, "apiVersion") != "monitoring.coreos.com/v1" {
		t.Errorf("ServiceMonitor apiVersion %q", str(monitor, "apiVersion"))
	}
	var ports []string
	for _, e := range list(monitor, "spec", "endpoints") {
		ports = append(ports, str(e, "port"))
		if str(e, "path") != "/metrics" {
			t.Errorf("ServiceMonitor endpoint %v does not scrape /metrics", e)
		}
	}
	if !slices.Contains(ports, "http") || !slices.Contains(ports, "metrics") {
		t.Errorf("ServiceMonitor ports %v, want http and metrics", ports)
	}
}

func TestDefaultsRenderNoOptionalObjects(t *testing.T) {
	r := render(t, withRequired()...)
	for _, kind := range []string{"Ingress", "HorizontalPodAutoscaler", "ServiceMonitor", "Secret"} {
		if n := len(r.kind(kind)); n != 0 {
			t.Errorf("defaults render %d %s", n, kind)
		}
	}
	queryEnv := []string{"PLAYBACK_AUTH__TOKENS", "PLAYBACK_SHARE__SIGNING_KEY"}
	for _, d := range append(r.kind("Deployment"), r.kind("Job")...) {
		stage := str(d, "metadata", "labels", "app.kubernetes.io/component")
		for name := range envByName(onlyContainer(t, d)) {
			if !strings.HasPrefix(name, "PLAYBACK_") || name == "PLAYBACK_CONFIG" || name == "PLAYBACK_LOG" {
				continue
			}
			if stage == "query-api" && slices.Contains(queryEnv, name) {
				continue
			}
			t.Errorf("%s: defaults set %s", str(d, "metadata", "name"), name)
		}
	}
}

// The query API takes its tokens and share-link key from Secrets, and only it does; without
// either reference the chart refuses to render it.
func TestQueryApiSecrets(t *testing.T) {
	r := render(t, "--set", "secrets.apiTokens.existingSecret=api-tokens", "--set", "secrets.apiTokens.key=list",
		"--set", "secrets.shareLinks.existingSecret=share-key", "--set", "secrets.shareLinks.key=hmac",
		"--set", "secrets.encryption.existingSecret="+masterKeysSecret)
	want := map[string][2]string{
		"PLAYBACK_AUTH__TOKENS":       {"api-tokens", "list"},
		"PLAYBACK_SHARE__SIGNING_KEY": {"share-key", "hmac"},
	}
	for _, d := range append(r.kind("Deployment"), r.kind("Job")...) {
		name := str(d, "metadata", "name")
		env := envByName(onlyContainer(t, d))
		for variable, ref := range want {
			e, present := env[variable]
			if name != release+"-playback-query-api" {
				if present {
					t.Errorf("%s: has %s; only the query API gets it", name, variable)
				}
				continue
			}
			if !present {
				t.Errorf("query-api: %s is missing", variable)
				continue
			}
			if _, literal := e.(map[string]any)["value"]; literal {
				t.Errorf("query-api: %s has a literal value", variable)
			}
			if got := [2]string{str(e, "valueFrom", "secretKeyRef", "name"), str(e, "valueFrom", "secretKeyRef", "key")}; got != ref {
				t.Errorf("query-api: %s from secretKeyRef %v, want %v", variable, got, ref)
			}
		}
	}
	for _, c := range []struct {
		set  []string
		want string
	}{
		{nil, "secrets.apiTokens.existingSecret"},
		{[]string{"--set", "secrets.apiTokens.existingSecret=api-tokens"}, "secrets.shareLinks.existingSecret"},
		{[]string{"--set", "secrets.shareLinks.existingSecret=share-key"}, "secrets.apiTokens.existingSecret"},
	} {
		out, err := runHelm(t, append([]string{"template", release, chartDir, "--kube-version", kubeVersion}, c.set...)...)
		if err == nil {
			t.Errorf("helm template %v succeeded without a query API secret; want a refusal", c.set)
			continue
		}
		if !strings.Contains(out, c.want) || !strings.Contains(out, "query API") {
			t.Errorf("helm template %v: the refusal does not name %q:\n%s", c.set, c.want, out)
		}
	}
	// Without the query API, nothing requires its secrets.
	off := render(t, "--set", "stages.queryApi.enabled=false", "--set", "secrets.encryption.existingSecret="+masterKeysSecret)
	if off.named("Deployment", release+"-playback-query-api") != nil {
		t.Error("stages.queryApi.enabled=false still renders the query API")
	}
}

// Several sessionizers share a consumer group, like the scorers and archivers; every consumer
// stage is bounded by the partition count, replicas and HPA alike.
func TestConsumerReplicas(t *testing.T) {
	r := render(t, withRequired("--set", "stages.sessionizer.replicas=3")...)
	sessionizer := r.named("Deployment", release+"-playback-sessionizer")
	if sessionizer == nil {
		t.Fatal("the sessionizer Deployment is missing")
	}
	if replicas := num(sessionizer, "spec", "replicas"); replicas != 3 {
		t.Errorf("sessionizer replicas %v, want 3", replicas)
	}
	if strategy := str(sessionizer, "spec", "strategy", "type"); strategy == "Recreate" {
		t.Error("the sessionizer still rolls out with Recreate")
	}
	for stage := range consumerStages {
		t.Run(stage, func(t *testing.T) {
			// At the bound: renders.
			at := render(t, withRequired("--set", "kafka.partitions=4", "--set", "stages."+stage+".replicas=4",
				"--set", "stages."+stage+".autoscaling.enabled=true", "--set", "stages."+stage+".autoscaling.maxReplicas=4")...)
			if h, ok := findHPA(at, release+"-playback-"+stage); !ok || num(h, "spec", "maxReplicas") != 4 {
				t.Errorf("no HPA with maxReplicas 4 for %s at the bound", stage)
			}
			// Above it: refused, by replicas or by the HPA, with kafka.partitions or its override.
			for _, c := range []struct {
				set  []string
				want string
			}{
				{[]string{"--set", "kafka.partitions=4", "--set", "stages." + stage + ".replicas=5"}, "stages." + stage + ".replicas (5)"},
				{[]string{"--set", "stages." + stage + ".replicas=13"}, "stages." + stage + ".replicas (13)"},
				{[]string{"--set", "kafka.partitions=4", "--set", "stages." + stage + ".autoscaling.enabled=true",
					"--set", "stages." + stage + ".autoscaling.maxReplicas=5"}, "stages." + stage + ".autoscaling.maxReplicas (5)"},
				{[]string{"--set", "config.log.kafka.partitions=2", "--set", "stages." + stage + ".replicas=3"}, "stages." + stage + ".replicas (3)"},
			} {
				out, err := runHelm(t, append([]string{"template", release, chartDir, "--kube-version", kubeVersion}, withRequired(c.set...)...)...)
				if err == nil {
					t.Errorf("helm template %v succeeded; want a refusal", c.set)
					continue
				}
				if !strings.Contains(out, c.want) || !strings.Contains(out, "kafka.partitions") || !strings.Contains(out, "idle") {
					t.Errorf("helm template %v: the refusal does not explain %q above kafka.partitions:\n%s", c.set, c.want, out)
				}
			}
		})
	}
}

// values.schema.json refuses bad values, in lint and in template; the chart's own guards
// (`fail` in templates) refuse what the binary cannot run, in template only, since helm lint
// reports a template's `fail` as [INFO] by design.
func TestBadValuesAreRefused(t *testing.T) {
	for _, c := range []struct {
		set   []string
		want  string
		guard bool // refused by a template guard, not by the schema
	}{
		{[]string{"--set", "stages.gateway.replicas=x"}, "replicas", false},
		{[]string{"--set-string", "stages.scorer.replicas=2"}, "replicas", false},
		{[]string{"--set", "kafka.partitions=0"}, "partitions", false},
		{[]string{"--set", "s3.encryption.mode=aes"}, "mode", false},
		{[]string{"--set", "image.pullPolicy=Sometimes"}, "pullPolicy", false},
		{[]string{"--set", "stages.gateway.port=70000"}, "port", false},
		{[]string{"--set", "stages.queryApi.autoscaling.targetCPUUtilizationPercentage=150"}, "targetCPUUtilizationPercentage", false},
		{[]string{"--set", "projects=null"}, "projects", false},
		{[]string{"--set", "stages.gateway.replica=3"}, "replica", false},
		{[]string{"--set", "stages.archiver.resources=null"}, "resources", false},
		{[]string{"--set", "kafka.partitions=2", "--set", "stages.archiver.replicas=3"}, "kafka.partitions", true},
		{[]string{"--set", "kafka.partitions=2", "--set", "stages.sessionizer.replicas=3"}, "kafka.partitions", true},
		// The one-sessionizer switch is gone: the schema refuses it as an unknown key.
		{[]string{"--set", "stages.sessionizer.allowMultipleInstances=true"}, "allowMultipleInstances", false},
		{[]string{"--set", "share.max_hours=0"}, "max_hours", false},
		{[]string{"--set", "share.signing_key=x"}, "signing_key", false},
		{[]string{"--set", "share.default_hours=800"}, "share.default_hours", true},
		{[]string{"--set", "s3.encryption.mode=sse-c"}, "secrets.sseC", true},
		{[]string{"--set", "secrets.encryption.existingSecret="}, "secrets.encryption.existingSecret", true},
		{[]string{"--set", "secrets.encryption.current=other"}, "secrets.encryption.current", true},
		{[]string{"--set", "secrets.encryption.keys={a,b}"}, "secrets.encryption.current", true},
		{[]string{"--set", "secrets.encryption.keys={a/b}"}, "keys", false},
		{[]string{"--set", "config.encryption.current=a"}, "config.encryption", true},
	} {
		commands := []string{"template"}
		if !c.guard {
			commands = append(commands, "lint")
		}
		for _, command := range commands {
			args := []string{command}
			if command == "template" {
				args = append(args, release)
			}
			args = append(args, chartDir, "--kube-version", kubeVersion)
			out, err := runHelm(t, append(args, withRequired(c.set...)...)...)
			if err == nil {
				t.Errorf("helm %s %v succeeded; want a refusal", command, c.set)
				continue
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("helm %s %v: the refusal does not mention %q:\n%s", command, c.set, c.want, out)
			}
		}
	}
}
