//go:build incluster

package e2e_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/e2e"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/render"
)

// sampleApp is a sample app the scenario deploys.
type sampleApp struct {
	lang, app, env, ns string
	repo               string // repository on the rig (ctl-<lang>)
	src                string // the test's clone of the source
	answer             string // what GET / answers now
}

var inClusterLangs = []string{"go", "nodejs", "python"}

// setupScenario installs the scenario's platform (kpack objects, the
// controller) with the project's commands on the cluster the setup scripts
// made, pushes the sample apps' sources to its git rig, renders their
// contracts into the GitOps repository and applies their Argo CD
// Applications: from there on, everything happens by itself.
func setupScenario(t *testing.T) (*scenario, []*sampleApp) {
	env := envFiles(t)
	ctx := context.Background()
	c, err := e2e.Connect(ctx)
	require.NoError(t, err, "the kind cluster is missing: run bash hack/setup.sh kind")
	c.Log = logWriter{t}
	root := testenv.RepoRoot(t)
	work := filepath.Join(env["GOLDENPATH_CACHE"], "incluster", ctlPrefix)
	require.NoError(t, os.RemoveAll(work))
	require.NoError(t, os.MkdirAll(work, 0o755))
	regHost, regCluster := env["GOLDENPATH_REGISTRY"], env["GOLDENPATH_REGISTRY_CLUSTER"]
	gateway, _, err := net.SplitHostPort(regCluster)
	require.NoError(t, err)
	s := &scenario{t: t, c: c, env: env, root: root, work: work, gateway: gateway,
		figs: &figures{file: filepath.Join(work, "figures.txt")}}
	for _, ns := range []string{"kpack", env["GOLDENPATH_ARGOCD_NAMESPACE"]} {
		s.kubectl("get", "namespace", ns) // kpack and Argo CD are installed (hack/setup.sh kpack argocd)
	}
	s.cleanup(false)
	if os.Getenv("INCLUSTER_KEEP") != "1" {
		t.Cleanup(func() { s.cleanup(true) })
	}

	// The CLI and the controller's image, from this tree.
	start := time.Now()
	s.gp = filepath.Join(work, "goldenpath")
	build := exec.Command("go", "build", "-o", s.gp, "./cmd/goldenpath")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	img := exec.Command("go", "run", "./hack/controller/image", "-push", regHost+"/ctl/goldenpath-controller:scenario")
	img.Dir = root
	img.Stderr = logWriter{t}
	ref, err := img.Output()
	require.NoError(t, err)
	controllerImage := strings.TrimSpace(string(ref))
	t.Logf("controller image %s (CLI and image built in %.1fs)", controllerImage, time.Since(start).Seconds())

	// The scenario's own run image (a copy of the offline builder's), which
	// it patches below.
	require.NoError(t, crane.Copy(regHost+"/goldenpath/run:bookworm", regHost+"/ctl/run:bookworm", crane.Insecure))

	// The platform team's cosign key pair: `goldenpath keygen`.
	keys := filepath.Join(work, "keys")
	password := randomHex(8)
	kg := exec.Command(s.gp, "keygen", "--out", keys)
	kg.Env = append(os.Environ(), "COSIGN_PASSWORD="+password)
	out, err = kg.CombinedOutput()
	require.NoError(t, err, "%s", out)
	pub, err := os.ReadFile(filepath.Join(keys, "cosign.pub"))
	require.NoError(t, err)

	// The webhook reaches the controller through a NodePort published on
	// 127.0.0.1 (in a real cluster: the platform's ingress).
	nodePort, hostAddr, release, err := c.ReserveNodePort(ctx)
	require.NoError(t, err)
	t.Cleanup(release)
	s.git = newGitRig(t, gateway, filepath.Join(env["GOLDENPATH_CACHE"], "kpack", "git-tls", "server.pem"), "http://"+hostAddr+"/webhooks/gitea")
	s.git.init(gitopsRepo)

	s.platform = filepath.Join(work, "platform.yaml")
	p := scenarioPlatform(t, env, regCluster, s.git.clusterHTTP+"/"+gitopsRepo+".git", controllerImage, string(pub))
	data, err := render.PlatformFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(s.platform, data, 0o644))

	// Install: `goldenpath platform render` applied as it is (but the
	// PrometheusRule: this cluster has no Prometheus Operator; promtool
	// tests the rules).
	start = time.Now()
	stream, err := s.goldenpath("platform", "render", "--platform", s.platform)
	require.NoError(t, err)
	var docs []string
	for _, d := range strings.Split(stream, "\n---\n") {
		if !regexp.MustCompile(`(?m)^kind: PrometheusRule$`).MatchString(d) {
			docs = append(docs, d)
		}
	}
	s.kubectlIn([]byte(strings.Join(docs, "\n---\n")), "apply", "--server-side", "--force-conflicts", "--field-manager", "ctl-scenario", "-f", "-")
	// What the platform team provides besides the render: Secrets.
	for _, ns := range []string{ctlSystem, ctlDev, ctlTest} {
		s.kubectl("-n", ns, "create", "secret", "docker-registry", "goldenpath-registry", "--docker-server="+regCluster,
			"--docker-username=goldenpath", "--docker-password=unused")
	}
	s.kubectl("-n", ctlDev, "create", "secret", "generic", "ctl-cosign", "--from-file=cosign.key="+filepath.Join(keys, "cosign.key"),
		"--from-file=cosign.pub="+filepath.Join(keys, "cosign.pub"), "--from-literal=cosign.password="+password)
	// ctl-test's cosign Secret holds no private key: kpack does not sign
	// there, so that environment's builds are unsigned.
	s.kubectl("-n", ctlTest, "create", "secret", "generic", "ctl-cosign", "--from-file=cosign.pub="+filepath.Join(keys, "cosign.pub"))
	s.kubectl("-n", ctlSystem, "create", "secret", "generic", "goldenpath-webhook", "--from-literal=gitea="+s.git.hookSecret,
		"--from-literal=generic="+randomHex(16))
	s.kubectl("-n", ctlSystem, "create", "secret", "generic", "goldenpath-gitops", "--type=kubernetes.io/basic-auth",
		"--from-literal=username=ctl-controller", "--from-literal=password="+s.git.controllerPass)
	s.kubectlIn([]byte(fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: ctl-webhook, namespace: %s}
spec:
  type: NodePort
  selector: {app.kubernetes.io/name: %s}
  ports: [{name: webhook, port: 80, targetPort: webhook, nodePort: %d}]
`, ctlSystem, render.ControllerName, nodePort)), "apply", "-f", "-")
	s.kubectl("-n", ctlSystem, "rollout", "status", "deployment/"+render.ControllerName, "--timeout=300s")
	s.eventually(10*time.Minute, "ClusterBuilder default Ready", func() error {
		if st := s.kubectl("get", "clusterbuilder", "default", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`); st != "True" {
			return fmt.Errorf("Ready=%q", st)
		}
		return nil
	}, func() string {
		out, _ := s.c.Kube(ctx, nil, "get", "clusterbuilder", "default", "-o", "yaml")
		return string(out)
	})
	s.figs.add(t, "install: platform render applied -> controller up, builder Ready", time.Since(start))
	s.startProxy()

	// Sources, contracts, the GitOps repository.
	var apps []*sampleApp
	for _, lang := range inClusterLangs {
		apps = append(apps, s.pushSource(lang, "ctl-"+lang, "dev", ctlDev))
	}
	// ctl-unsigned is built in the test environment, whose builds kpack does
	// not sign (its own repository: pushes to ctl-go do not rebuild it).
	unsigned := s.pushSource("go", "ctl-unsigned", "test", ctlTest)
	contracts := filepath.Join(work, "contracts")
	require.NoError(t, os.MkdirAll(contracts, 0o755))
	for i, a := range append(append([]*sampleApp{}, apps...), unsigned) {
		s.writeContract(contracts, a, i)
	}
	gitops := filepath.Join(work, "gitops")
	_, err = s.goldenpath("render", "--platform", s.platform, "--out", gitops, contracts)
	require.NoError(t, err)
	testenv.Git(t, gitops, "init", "--quiet", "--initial-branch=main")
	testenv.Git(t, gitops, "add", "-A")
	testenv.Git(t, gitops, "commit", "--quiet", "-m", "the sample apps, as their contracts say")
	testenv.Git(t, gitops, "push", "--quiet", s.git.hostURL+"/"+gitopsRepo+".git", "main")
	var applications []string
	for _, a := range append(append([]*sampleApp{}, apps...), unsigned) {
		applications = append(applications, filepath.Join(gitops, "argocd", a.env, a.app+".yaml"))
	}
	start = time.Now()
	require.NoError(t, s.c.ApplyFiles(ctx, applications...))
	for _, a := range apps {
		s.waitAnswer(a, a.answer, 20*time.Minute)
		s.figs.add(t, "first deploy "+a.app+" (Applications applied -> pinned, answers)", time.Since(start))
	}
	return s, append(apps, unsigned)
}

// scenarioPlatform is the kind cluster's platform (hack/kpack/setup.sh) made
// the scenario's own: its registry repositories, run image, namespaces,
// GitOps repository and Argo CD projects, two environments (dev signs its
// builds, test does not), and the controller.
func scenarioPlatform(t *testing.T, env map[string]string, regCluster, gitopsURL, image, publicKey string) *contract.Platform {
	p, err := contract.LoadPlatformFile(env["GOLDENPATH_KPACK_PLATFORM"])
	require.NoError(t, err)
	p.Name = ctlPrefix
	p.Registry = regCluster + "/ctl"
	p.Build.Namespace = ctlSystem
	b := p.Builders["default"]
	b.Tag = regCluster + "/ctl/builders/default"
	b.Stack.RunImage = regCluster + "/ctl/run:bookworm"
	p.Builders["default"] = b
	dev := p.Environments["dev"]
	dev.Namespace, dev.ArgoProject = ctlDev, "ctl-dev"
	dev.GitOps.RepoURL, dev.GitOps.TargetRevision = gitopsURL, "main"
	test := dev
	test.Namespace, test.ArgoProject, test.IngressDomain = ctlTest, "ctl-test", "test.goldenpath.io"
	p.Environments = map[contract.Environment]contract.EnvironmentConfig{"dev": dev, "test": test}
	p.ArgoCD.Namespace = env["GOLDENPATH_ARGOCD_NAMESPACE"]
	p.Controller = contract.PlatformController{
		Image:               image,
		CosignSecret:        "ctl-cosign",
		PublicKey:           publicKey,
		StackUpdateInterval: "1s",
		InsecureRegistries:  []string{regCluster},
	}
	p.SetDefaults()
	require.Empty(t, p.Validate())
	return p
}

// pushSource makes the app's repository (named after the app) on the rig with the sample app's
// folder at the sample contract's subPath, and pushes it.
func (s *scenario) pushSource(lang, app, env, ns string) *sampleApp {
	a := &sampleApp{lang: lang, app: app, env: env, ns: ns, repo: app, answer: "hello from goldenpath " + lang + " app"}
	s.git.init(a.repo)
	a.src = filepath.Join(s.work, "src", app)
	require.NoError(s.t, os.MkdirAll(filepath.Join(a.src, "examples", "apps"), 0o755))
	cp := exec.Command("cp", "-r", filepath.Join(s.root, "examples", "apps", lang), filepath.Join(a.src, "examples", "apps", lang))
	out, err := cp.CombinedOutput()
	require.NoError(s.t, err, "%s", out)
	testenv.Git(s.t, a.src, "init", "--quiet", "--initial-branch=main")
	testenv.Git(s.t, a.src, "add", "-A")
	testenv.Git(s.t, a.src, "commit", "--quiet", "-m", "sample "+lang+" app")
	testenv.Git(s.t, a.src, "push", "--quiet", s.git.hostURL+"/"+a.repo+".git", "main")
	return a
}

// writeContract copies the sample app's contract, pointed at the rig's
// repository (https, as pods reach it) and renamed.
func (s *scenario) writeContract(dir string, a *sampleApp, i int) {
	data, err := os.ReadFile(filepath.Join(s.root, "examples", "apps", a.lang, "goldenpath.yaml"))
	require.NoError(s.t, err)
	c := string(data)
	c = regexp.MustCompile(`(?m)^id: .*$`).ReplaceAllString(c, fmt.Sprintf("id: APP-%04d", 9000+i))
	c = regexp.MustCompile(`(?m)^environment: .*$`).ReplaceAllString(c, "environment: "+a.env)
	c = regexp.MustCompile(`(?m)^application: .*$`).ReplaceAllString(c, "application: "+a.app)
	c = regexp.MustCompile(`(?m)^(\s+url: ).*$`).ReplaceAllString(c, "${1}"+s.git.clusterHTTPS+"/"+a.repo+".git")
	c = regexp.MustCompile(`(?m)^(\s+host: ).*$`).ReplaceAllString(c, "${1}"+a.app+"."+a.env+".goldenpath.io")
	require.NoError(s.t, os.WriteFile(filepath.Join(dir, a.app+".yaml"), []byte(c), 0o644))
}

// waitAnswer waits until the app's Service answers text and its Deployment
// is pinned by digest.
func (s *scenario) waitAnswer(a *sampleApp, text string, within time.Duration) {
	s.t.Helper()
	path := fmt.Sprintf("/api/v1/namespaces/%s/services/%s:http/proxy/", a.ns, a.app)
	s.eventually(within, a.app+" answers "+text, func() error {
		body, err := s.get(path)
		if err != nil {
			return err
		}
		if !strings.Contains(body, text) {
			return fmt.Errorf("answers %q", strings.TrimSpace(body))
		}
		return nil
	}, func() string { return s.describe(a) })
}

// describe is what helps understand a stuck app.
func (s *scenario) describe(a *sampleApp) string {
	var b strings.Builder
	ctx := context.Background()
	for _, args := range [][]string{
		{"-n", a.ns, "get", "image.kpack.io,build.kpack.io,deploy,pods", "-o", "wide"},
		{"-n", s.env["GOLDENPATH_ARGOCD_NAMESPACE"], "get", "application", a.app + "-" + a.env, "-o", "jsonpath={.status.sync}{\"\\n\"}{.status.health}{\"\\n\"}"},
		{"-n", ctlSystem, "logs", "deploy/" + render.ControllerName, "--tail=40"},
	} {
		out, _ := s.c.Kube(ctx, nil, args...)
		fmt.Fprintf(&b, "$ kubectl %s\n%s\n", strings.Join(args, " "), out)
	}
	return b.String()
}

// cleanup removes what an earlier run left (before) or what this run made
// (after): the Argo CD Applications first (Argo CD deletes what they
// deployed), then the namespaces and the controller's cluster RBAC.
func (s *scenario) cleanup(after bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	argo := s.env["GOLDENPATH_ARGOCD_NAMESPACE"]
	out, _ := s.c.Kube(ctx, nil, "-n", argo, "get", "applications", "-o", "name")
	for _, name := range strings.Fields(string(out)) {
		if strings.HasPrefix(name, "application.argoproj.io/ctl-") {
			_, _ = s.c.Kube(ctx, nil, "-n", argo, "delete", name, "--wait=true", "--timeout=180s")
		}
	}
	_, _ = s.c.Kube(ctx, nil, "-n", argo, "delete", "appproject", "ctl-dev", "ctl-test", "--ignore-not-found")
	_, _ = s.c.Kube(ctx, nil, "delete", "clusterrole,clusterrolebinding", render.ControllerName, "--ignore-not-found")
	for _, ns := range []string{ctlDev, ctlTest, ctlSystem} {
		_ = s.c.DeleteNamespace(ctx, ns, !after)
	}
}
