//go:build incluster

package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/e2e"
	"github.com/goldenpath-dev/goldenpath/internal/gitserver"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
	"github.com/goldenpath-dev/goldenpath/render"
)

// privateScenario is the setup of the private-registry tests (incluster_private_test.go): the enterprise's
// registry and git server (incluster_enterprise_test.go) with the sample Go app's source, the kind cluster's
// platform made the scenario's own (app images in the private registry, the credential Secrets it names, a builder
// of its own), its namespaces, service accounts and kpack cluster objects applied, and the app rendered.
type privateScenario struct {
	t       *testing.T
	c       *e2e.Cluster
	reg     *testregistry.Registry
	git     *privateGit
	plat    *contract.Platform
	appNS   string
	r       *contract.AppDeploymentRequest
	objects map[string]render.Object // the app's rendered objects by kind
	builds  kpackBuilds
	n       int // builds started
}

// newPrivateScenario sets the scenario up under the name name (namespaces NAME-build and NAME-dev, builder NAME,
// app NAME-go); buildImage, when set, replaces the stack's build image of the kind platform. Everything it makes
// is removed when the test ends.
func newPrivateScenario(t *testing.T, name, buildImage string) *privateScenario {
	t.Helper()
	env := requireEnv(t, "bash hack/setup.sh && bash hack/setup.sh kind git kpack",
		"GOLDENPATH_TEST_CA", "GOLDENPATH_TEST_CA_KEY", "GOLDENPATH_KPACK_PLATFORM", "GOLDENPATH_REGISTRY_CLUSTER",
		"GOLDENPATH_KIND_CERTS_D")
	s := &privateScenario{t: t, c: connect(t)}
	ctx := context.Background()
	gateway, _, err := net.SplitHostPort(env["GOLDENPATH_REGISTRY_CLUSTER"])
	require.NoError(t, err)
	start := time.Now()

	// The enterprise: its registry, its nodes' trust in it, its private git repository with the sample Go app.
	s.reg = testregistry.StartDistribution(t, "kpauth-"+randomHex(3), randomHex(12),
		testregistry.SignedBy(t, env["GOLDENPATH_TEST_CA"], env["GOLDENPATH_TEST_CA_KEY"]), testregistry.ListenOn(gateway))
	trustOnNode(t, env["GOLDENPATH_KIND_CERTS_D"], s.reg.Host, s.reg.CAPEM)
	s.git = startPrivateGit(t, env["GOLDENPATH_TEST_CA"], env["GOLDENPATH_TEST_CA_KEY"], gateway)
	p := prefix(t) + name
	buildNS, builder, app := p+"-build", p, p+"-go"
	s.appNS = p + "-dev"
	pushSample(t, s.git, app, "go")

	// The platform: the kind cluster's (hack/kpack/setup.sh), the app images in the private registry, with the
	// credential Secrets it names; its builder (kpack cluster objects) under the test's name.
	plat, err := contract.LoadPlatformFile(env["GOLDENPATH_KPACK_PLATFORM"])
	require.NoError(t, err)
	plat.Name = p
	plat.Registry = s.reg.Host + "/" + p + "-" + randomHex(3) // (a fresh repository each run: the node must pull, not find the image cached)
	plat.Build.Namespace, plat.Build.ServiceAccount, plat.Build.RegistrySecret = buildNS, p+"-build", p+"-registry"
	plat.Build.GitCredentials = []contract.GitCredential{{Secret: p + "-git", Server: s.git.server()}}
	b := plat.Builders[contract.DefaultBuilder]
	b.Tag = env["GOLDENPATH_REGISTRY_CLUSTER"] + "/" + p + "/builders/" + builder // the builder stays on the platform's registry
	if buildImage != "" {
		b.Stack.BuildImage = buildImage
	}
	// ("default" must exist; only the test's builder is applied)
	plat.Builders = map[string]contract.Builder{contract.DefaultBuilder: b, builder: b}
	dev := plat.Environments["dev"]
	dev.Namespace = s.appNS
	plat.Environments = map[contract.Environment]contract.EnvironmentConfig{"dev": dev}
	plat.SetDefaults()
	require.Empty(t, plat.Validate())
	s.plat = plat

	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		for _, ns := range []string{s.appNS, buildNS} {
			_ = s.c.DeleteNamespace(cctx, ns, false)
		}
		for _, kind := range []string{"clusterbuilder", "clusterstack", "clusterstore", "clusterlifecycle"} {
			_, _ = s.c.Kube(cctx, nil, "delete", kind, builder, "--ignore-not-found", "--wait=false")
		}
	})
	for _, ns := range []string{s.appNS, buildNS} {
		require.NoError(t, s.c.EnsureNamespace(ctx, ns)) // (waits for an earlier run's namespace to go)
	}
	objs, err := render.Platform(plat)
	require.NoError(t, err)
	var apply []render.Object
	for _, o := range objs {
		if o.Kind() == "Namespace" || o.Kind() == "ServiceAccount" || (strings.HasPrefix(o.APIVersion(), "kpack.io/") && o.Name() == builder) {
			apply = append(apply, o)
		}
	}
	require.NoError(t, s.c.Apply(ctx, apply, false))
	sa := kubeJSON[corev1.ServiceAccount](t, s.c.Kube, "-n", s.appNS, "get", "serviceaccount", plat.Build.ServiceAccount)
	t.Logf("rendered build service account %s/%s: secrets %v, imagePullSecrets %v", s.appNS, sa.Name, sa.Secrets, sa.ImagePullSecrets)
	waitKube(t, s.c.Kube, 10*time.Minute, "ClusterBuilder "+builder+" Ready", "True", "get", "clusterbuilder", builder, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
	t.Logf("FIGURE setup (registry, git, platform objects, ClusterBuilder ready): %.1fs", time.Since(start).Seconds())

	// The app's contract, its source in the private repository; rendered.
	s.r = sampleRequest(t, app, builder, s.git.clusterURL+"/"+app+".git")
	appObjs, err := render.App(s.r, plat, render.AppOptions{})
	require.NoError(t, err)
	s.objects = map[string]render.Object{}
	for _, o := range appObjs {
		s.objects[o.Kind()] = o
	}
	for _, k := range []string{"Image", "Deployment", "Service"} {
		require.Contains(t, s.objects, k, "render.App rendered no %s", k)
	}
	s.builds = kpackBuilds{t: t, kube: s.c.Kube, ns: s.appNS, image: s.objects["Image"].Name()}
	return s
}

// registrySecret is the platform team's registry Secret (what `kubectl create secret docker-registry` makes) with
// password.
func (s *privateScenario) registrySecret(password string) any {
	return map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
		"metadata":   map[string]any{"name": s.plat.Build.RegistrySecret, "namespace": s.appNS},
		"stringData": map[string]string{".dockerconfigjson": dockerConfig(s.reg.Host, s.reg.User, password)}}
}

// gitSecret is the platform team's git Secret, in kpack's format, with password.
func (s *privateScenario) gitSecret(password string) any {
	c := s.plat.Build.GitCredentials[0]
	return map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/basic-auth",
		"metadata":   map[string]any{"name": c.Secret, "namespace": s.appNS, "annotations": map[string]string{contract.GitSecretAnnotation: c.Server}},
		"stringData": map[string]string{"username": s.git.user, "password": password}}
}

// apply applies an object (a map) with kubectl apply.
func (s *privateScenario) apply(obj any) { s.t.Helper(); kubeApply(s.t, s.c.Kube, obj) }

// build starts the next build: the first applies the rendered kpack Image, the others ask kpack for another build.
func (s *privateScenario) build() int {
	s.t.Helper()
	if s.n++; s.n == 1 {
		require.NoError(s.t, s.c.Apply(context.Background(), []render.Object{s.objects["Image"]}, false))
	} else {
		s.builds.rebuild(s.n - 1)
	}
	return s.n
}

// buildFails starts the next build, waits for it to fail and returns the failure and the failed step's log end.
func (s *privateScenario) buildFails(what string) (insight.Failure, string) {
	s.t.Helper()
	start := time.Now()
	n := s.build()
	f, log := s.builds.failed(n)
	s.t.Logf("FIGURE build %d %s: failed in %.1fs: %s", n, what, time.Since(start).Seconds(), insight.Summary(f, log))
	return f, log
}

// sampleRequest is the sample Go app's contract, named app, built by builder from the git URL.
func sampleRequest(t *testing.T, app, builder, url string) *contract.AppDeploymentRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "examples", "apps", "go", "goldenpath.yaml"))
	require.NoError(t, err)
	s := string(data)
	s = regexp.MustCompile(`(?m)^application: .*$`).ReplaceAllString(s, "application: "+app)
	s = regexp.MustCompile(`(?m)^(\s+builder: ).*$`).ReplaceAllString(s, "${1}"+builder)
	s = regexp.MustCompile(`(?m)^(\s+url: ).*$`).ReplaceAllString(s, "${1}"+url)
	s = regexp.MustCompile(`(?m)^(\s+host: ).*$`).ReplaceAllString(s, "${1}"+app+".dev.goldenpath.io")
	reqs, err := contract.Load(app+".yaml", []byte(s))
	require.NoError(t, err, s)
	require.Len(t, reqs, 1)
	return reqs[0]
}

// pushSample pushes the sample app's folder, at the contract's subPath, to a new repository on the git server.
func pushSample(t *testing.T, g *privateGit, repo, lang string) {
	t.Helper()
	_, err := gitserver.Init(g.root, repo, "main")
	require.NoError(t, err)
	src := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(src, "examples", "apps"), 0o755))
	out, err := exec.Command("cp", "-r", filepath.Join(testenv.RepoRoot(t), "examples", "apps", lang), filepath.Join(src, "examples", "apps", lang)).CombinedOutput()
	require.NoError(t, err, "%s", out)
	testenv.Git(t, src, "init", "--quiet", "--initial-branch=main")
	testenv.Git(t, src, "add", "-A")
	testenv.Git(t, src, "commit", "--quiet", "-m", "sample "+lang+" app")
	testenv.Git(t, src, "push", "--quiet", g.hostURL+"/"+repo+".git", "main")
}

// dockerConfig is a .dockerconfigjson with one registry's credentials.
func dockerConfig(host, user, password string) string {
	data, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{
		"username": user, "password": password, "auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
	}}})
	return string(data)
}

// checkSecret checks a Secret with the platform's own rules (what `goldenpath platform check-secret` runs).
func checkSecret(t *testing.T, p *contract.Platform, secret any) {
	t.Helper()
	data, err := json.Marshal(secret)
	require.NoError(t, err)
	var s corev1.Secret
	require.NoError(t, json.Unmarshal(data, &s))
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	require.Empty(t, p.CheckBuildSecret(&s), "Secret %s against the platform", s.Name)
}

// pinned is the rendered Deployment with its container's image set to ref (what the controller's pin does).
func pinned(t *testing.T, d render.Object, ref string) render.Object {
	t.Helper()
	data, err := json.Marshal(d.Value)
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(data, &v))
	containers := v["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
	containers[0].(map[string]any)["image"] = ref
	return render.Object{Path: d.Path, Value: v}
}

// jsonRoundTrip is v as encoding/json decodes it (maps and slices of any).
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(data, &out))
	return out
}
