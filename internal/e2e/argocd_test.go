//go:build argocd

package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/render"
)

// The Argo CD scenario (go test -tags argocd ./internal/e2e): Argo CD (hack/argocd/setup.sh) syncs a GitOps tree
// goldenpath rendered, from the git server of hack/git/setup.sh, into the kind cluster, and the app answers; then
// commits change the app and the time until each change is live is measured.
//  1. image     examples/apps/go built and published with the pipeline (build.Ship), pinned by digest
//  2. platform  testdata/argocd-platform.yaml.in: environment dev in namespace <prefix>argosmoke-dev, its GitOps
//     repository <prefix>argocd-smoke.git on the git server (as pods reach it), destination the cluster itself
//  3. commit    the sample's contract as application <prefix>argosmoke with runtime.env SMOKE_REVISION=N, rendered
//     pinned to the image into a clone of that repository, committed and pushed
//  4. apply     the AppProject of the platform render and the rendered Application, unchanged
//  5. wait      Application Synced at the pushed commit, Deployment rolled out, the app answering through the API
//     server's service proxy
//  6. change    SMOKE_REVISION+1 committed and pushed, GOLDENPATH_E2E_ROUNDS (3) times waiting for Argo CD's own
//     polling (timeout.reconciliation 5s), as many with a refresh request (what a Git webhook or CI sets)
//
// At the end the Application is deleted: its finalizer makes Argo CD delete what it deployed, which the test
// checks; then the namespace (GOLDENPATH_E2E_KEEP=1 leaves them). The figures go to the test log (-v).
func TestArgoCDSyncsTheRenderedTree(t *testing.T) {
	env := requireEnv(t, "bash hack/setup.sh && bash hack/setup.sh kind git argocd",
		"GOLDENPATH_REGISTRY", "GOLDENPATH_KIND_REGISTRY_GATEWAY", "GOLDENPATH_GIT_ROOT", "GOLDENPATH_GIT_URL",
		"GOLDENPATH_GIT_URL_CLUSTER", "GOLDENPATH_ARGOCD_NAMESPACE", "GOLDENPATH_ARGOCD_VERSION", "GOLDENPATH_ARGOCD_RECONCILIATION")
	testenv.RequireDocker(t)
	c := connect(t)
	ctx := context.Background()
	root := testenv.RepoRoot(t)
	pre := prefix(t)
	timeout := 10 * time.Minute // each wait: a first sync on a cold, loaded cluster pulls images and clones
	argoNS := env["GOLDENPATH_ARGOCD_NAMESPACE"]
	repo := pre + "argocd-smoke"
	gitopsURL := env["GOLDENPATH_GIT_URL_CLUSTER"] + "/" + repo + ".git"

	// 1. image
	local, err := goldenpath.LoadPlatformFile(filepath.Join(root, "examples/platform/local.yaml"))
	require.NoError(t, err)
	start := time.Now()
	built, err := build.Ship(ctx, build.Request{
		Paths: []string{filepath.Join(root, "examples/apps/go/goldenpath.yaml")}, Source: root,
		Publish: env["GOLDENPATH_REGISTRY"] + "/" + pre + "argosmoke-build",
	}, goldenpath.WithPlatform(local), goldenpath.WithOutput(logWriter{t}))
	require.NoError(t, err)
	image := built.Reference
	require.Contains(t, image, "@sha256:")
	t.Logf("built %s in %.1fs", image, time.Since(start).Seconds())

	// 2. platform
	tmpl, err := os.ReadFile("testdata/argocd-platform.yaml.in")
	require.NoError(t, err)
	platformFile := filepath.Join(t.TempDir(), "platform.yaml")
	require.NoError(t, os.WriteFile(platformFile, []byte(strings.NewReplacer("@REGISTRY@", env["GOLDENPATH_KIND_REGISTRY_GATEWAY"],
		"@GITOPS_URL@", gitopsURL, "@PREFIX@", pre).Replace(string(tmpl))), 0o644))
	p, err := goldenpath.LoadPlatformFile(platformFile)
	require.NoError(t, err)
	platformObjs, err := goldenpath.RenderPlatform(goldenpath.WithPlatform(p))
	require.NoError(t, err)

	// 3. the GitOps repository: a bare repository on the git server, a clone to commit in
	bare := filepath.Join(env["GOLDENPATH_GIT_ROOT"], repo+".git")
	if _, err := os.Stat(bare); os.IsNotExist(err) {
		run(t, "", nil, "git", "init", "-q", "--bare", "--initial-branch=main", bare)
	}
	clone := filepath.Join(t.TempDir(), "gitops")
	git := func(args ...string) string {
		t.Helper()
		return strings.TrimSpace(run(t, clone, nil, "git", append([]string{"-c", "user.name=goldenpath e2e",
			"-c", "user.email=e2e@goldenpath.invalid"}, args...)...))
	}
	run(t, "", nil, "git", "clone", "-q", env["GOLDENPATH_GIT_URL"]+"/"+repo+".git", clone)
	git("checkout", "-q", "-B", "main")
	// The revision goes on from the repository's last one, so that the first sync of this run is a change too.
	revision := 0
	if data, err := os.ReadFile(filepath.Join(clone, ".revision")); err == nil {
		revision, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	contractData, err := os.ReadFile(filepath.Join(root, "examples/apps/go/goldenpath.yaml"))
	require.NoError(t, err)
	app := pre + "argosmoke"
	ns := p.Environments["dev"].Namespace
	appName := app + "-dev" // the rendered Application's name: <application>-<environment>

	// commit renders the app with SMOKE_REVISION=n into the clone, commits and pushes; it returns the commit.
	commit := func(n int) string {
		t.Helper()
		reqs, err := goldenpath.Load("goldenpath.yaml", contractData)
		require.NoError(t, err)
		r := reqs[0]
		r.Application = app
		if r.Spec.Runtime.Env == nil {
			r.Spec.Runtime.Env = map[string]string{}
		}
		r.Spec.Runtime.Env["SMOKE_REVISION"] = strconv.Itoa(n)
		objs, err := goldenpath.RenderRequests([]*contract.AppDeploymentRequest{r}, goldenpath.WithPlatform(p),
			goldenpath.WithImages(map[string]string{app: image}))
		require.NoError(t, err)
		files, err := render.Tree(objs)
		require.NoError(t, err)
		require.NoError(t, os.RemoveAll(filepath.Join(clone, "dev")))
		require.NoError(t, os.RemoveAll(filepath.Join(clone, "argocd")))
		for name, data := range files {
			path := filepath.Join(clone, filepath.FromSlash(name))
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, data, 0o644))
		}
		require.NoError(t, os.WriteFile(filepath.Join(clone, ".revision"), []byte(strconv.Itoa(n)+"\n"), 0o644))
		git("add", "-A")
		git("commit", "-q", "--allow-empty", "-m", fmt.Sprintf("%s: SMOKE_REVISION=%d", app, n))
		git("push", "-q", "origin", "main")
		return git("rev-parse", "HEAD")
	}
	kube := func(args ...string) string {
		out, _ := c.Kube(ctx, nil, args...)
		return string(out)
	}
	appField := func(jsonpath string) string {
		return kube("-n", argoNS, "get", "application", appName, "-o", "jsonpath="+jsonpath, "--ignore-not-found")
	}
	synced := func(commit string) func() bool {
		return func() bool {
			return appField("{.status.sync.status} {.status.sync.revision} {.status.operationState.phase} {.status.operationState.syncResult.revision}") ==
				"Synced "+commit+" Succeeded "+commit
		}
	}
	// live: the Deployment runs SMOKE_REVISION=n, fully rolled out (no pod of another revision left), and answers.
	live := func(n int) func() bool {
		return func() bool {
			var d struct {
				Metadata struct{ Generation int64 }
				Spec     struct {
					Replicas int32
					Template struct {
						Spec struct {
							Containers []struct {
								Env []struct{ Name, Value string }
							}
						}
					}
				}
				Status struct {
					ObservedGeneration                           int64
					Replicas, UpdatedReplicas, AvailableReplicas int32
				}
			}
			out, err := c.Kube(ctx, nil, "-n", ns, "get", "deployment", app, "-o", "json")
			if err != nil || json.Unmarshal(out, &d) != nil || len(d.Spec.Template.Spec.Containers) == 0 {
				return false
			}
			value := ""
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				if e.Name == "SMOKE_REVISION" {
					value = e.Value
				}
			}
			s := d.Status
			if value != strconv.Itoa(n) || s.ObservedGeneration != d.Metadata.Generation || s.UpdatedReplicas != d.Spec.Replicas ||
				s.AvailableReplicas != d.Spec.Replicas || s.Replicas != d.Spec.Replicas {
				return false
			}
			return strings.TrimSpace(kube("get", "--raw", "/api/v1/namespaces/"+ns+"/services/"+app+":http/proxy/")) == "hello from goldenpath go app"
		}
	}
	describe := func() string {
		return kube("-n", argoNS, "get", "application", appName, "-o", "jsonpath={.status}") + "\n" +
			kube("-n", ns, "get", "deploy,pods", "-o", "wide")
	}

	// 4./5. first sync
	revision++
	first := commit(revision)
	// A buildpack app's folder holds its kpack Image: without kpack's CRDs Argo CD refuses the whole sync.
	if _, err := os.Stat(filepath.Join(clone, "dev", app, "image.yaml")); err == nil {
		require.True(t, c.HasCRD(ctx, "images.kpack.io"),
			"the app's folder holds a kpack Image and kpack's CRDs are not installed: run `bash hack/setup.sh kpack` (or the e2e dry-run test, which installs the CRDs)")
	}
	// The Application's name is the same for every platform: never take over another test's.
	if other := appField("{.spec.source.repoURL}"); other != "" && other != gitopsURL {
		t.Fatalf("Application %s/%s exists and syncs %s: another test owns it (set GOLDENPATH_E2E_PREFIX)", argoNS, appName, other)
	}
	if kube("get", "namespace", ns, "-o", "jsonpath={.status.phase}", "--ignore-not-found") == "Terminating" {
		_, err := c.Kube(ctx, nil, "wait", "--for=delete", "namespace/"+ns, "--timeout=600s")
		require.NoError(t, err)
	}
	var apply []render.Object
	for _, o := range platformObjs {
		if o.Kind() == "AppProject" {
			apply = append(apply, o)
		}
	}
	require.NotEmpty(t, apply, "the platform render has no AppProject")
	require.NoError(t, c.Apply(ctx, apply, false))
	require.NoError(t, c.ApplyFiles(ctx, filepath.Join(clone, "argocd", "dev", app+".yaml")))
	keep := os.Getenv("GOLDENPATH_E2E_KEEP") == "1"
	deleted := false
	t.Cleanup(func() {
		if keep || deleted {
			return
		}
		// best effort after a failure; a passing run deleted (and checked) it already
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if _, err := c.Kube(cctx, nil, "-n", argoNS, "delete", "application", appName, "--ignore-not-found", "--timeout=240s"); err != nil {
			t.Logf("cleanup (not a failure): %v", err)
		}
		_ = c.DeleteNamespace(cctx, ns, false)
	})
	firstSynced := eventually(t, timeout, "Argo CD to sync "+first[:12], synced(first), describe)
	firstLive := eventually(t, timeout, fmt.Sprintf("%s to answer with SMOKE_REVISION=%d", app, revision), live(revision), describe) + firstSynced
	t.Logf("first sync: Synced after %.1fs, answering after %.1fs", firstSynced.Seconds(), firstLive.Seconds())

	// 6. changes
	rounds := 3
	if n, err := strconv.Atoi(os.Getenv("GOLDENPATH_E2E_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	change := func(how string) string {
		revision++
		sha := commit(revision)
		start := time.Now()
		if how == "refresh" {
			_, err := c.Kube(ctx, nil, "-n", argoNS, "annotate", "application", appName, "argocd.argoproj.io/refresh=normal", "--overwrite")
			require.NoError(t, err)
		}
		eventually(t, timeout, "Argo CD to sync "+sha[:12], synced(sha), describe)
		syncedAfter := time.Since(start)
		eventually(t, timeout, fmt.Sprintf("%s to answer with SMOKE_REVISION=%d", app, revision), live(revision), describe)
		t.Logf("change (%s): Synced after %.1fs, new pod answering after %.1fs", how, syncedAfter.Seconds(), time.Since(start).Seconds())
		return fmt.Sprintf("%.1f/%.1f", syncedAfter.Seconds(), time.Since(start).Seconds())
	}
	var polled, refreshed []string
	for i := 0; i < rounds; i++ {
		polled = append(polled, change("poll"))
	}
	for i := 0; i < rounds; i++ {
		refreshed = append(refreshed, change("refresh"))
	}
	// Progressing while the Ingress has no address (no ingress controller in kind), which does not hold back syncing.
	health := appField("{.status.health.status}")

	if !keep {
		// The Application's finalizer makes Argo CD delete what it deployed before the Application goes.
		_, err := c.Kube(ctx, nil, "-n", argoNS, "delete", "application", appName, "--wait=true", "--timeout=600s")
		require.NoError(t, err)
		deleted = true
		_, err = c.Kube(ctx, nil, "-n", ns, "get", "deployment", app)
		require.Error(t, err, "the Application is gone but its Deployment %s/%s is still there", ns, app)
		if err := c.DeleteNamespace(ctx, ns, false); err != nil {
			t.Logf("cleanup (not a failure): %v", err)
		}
	}
	t.Logf(`argocd scenario: OK (Argo CD v%s, timeout.reconciliation %s)
  image                          %s
  GitOps repository              %s (pods), %s/%s.git (host)
  first sync: Synced / answering %.1fs / %.1fs after applying the Application
  commit -> Synced/answering, s  Argo CD polling: %s
                                 refresh requested after the push: %s
  Application health             %s (Progressing = the Ingress has no address: no ingress controller in kind)`,
		env["GOLDENPATH_ARGOCD_VERSION"], env["GOLDENPATH_ARGOCD_RECONCILIATION"], image, gitopsURL, env["GOLDENPATH_GIT_URL"], repo,
		firstSynced.Seconds(), firstLive.Seconds(), strings.Join(polled, " "), strings.Join(refreshed, " "), health)
}
