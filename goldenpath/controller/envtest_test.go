//go:build envtest

package controller

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	corev1alpha1 "github.com/pivotal/kpack/pkg/apis/core/v1alpha1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
	"github.com/goldenpath-dev/goldenpath/render"
)

// assets is where hack/kind/setup.sh put kube-apiserver, etcd and kubectl.
func assets(t *testing.T) string {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		return d
	}
	cache := testenv.Cache()
	dirs, _ := filepath.Glob(filepath.Join(cache, "kind", "k8s", "v*", "bin"))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "kube-apiserver")); err == nil {
			return d
		}
	}
	t.Fatalf("no kube-apiserver/etcd: set KUBEBUILDER_ASSETS or run bash hack/setup.sh kind (it builds them under %s/kind/k8s)", cache)
	return ""
}

func kpackCRD(t *testing.T, file string) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pivotal/kpack").Output()
	require.NoError(t, err)
	return filepath.Join(strings.TrimSpace(string(out)), "config", file)
}

type rig struct {
	t        *testing.T
	c        client.Client
	p        *contract.Platform
	reg      string
	signer   *supplychain.SigningKey
	gitops   string // clone URL
	work     string // the test's clone
	webhook  string
	metrics  string
	hookKey  string
	app      rigApp
	imageUID types.UID
}

type rigApp struct{ env, name, ns string }

// The controller on a real API server (envtest: kube-apiserver and etcd
// built by hack/kind/setup.sh, kpack's and Argo CD's CRDs), a real git
// server and an in-process registry: a successful Build is verified,
// pinned in git once and the Application refreshed; an unsigned one is
// refused; a failed one is explained; a signed push webhook makes the
// SourceResolver resolve, a replay and a bad signature do not.
func TestControllerOnAPIServer(t *testing.T) {
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets(t),
		CRDInstallOptions: envtest.CRDInstallOptions{Paths: []string{
			"../../render/testdata/crds/kpack-image.yaml", "../../render/testdata/crds/kpack-clusterbuilder.yaml",
			"../../render/testdata/crds/kpack-clusterstack.yaml", "../../render/testdata/crds/argocd-application-crd.yaml",
			kpackCRD(t, "build.yaml"), kpackCRD(t, "sourceresolver.yaml"),
		}},
		ErrorIfCRDPathMissing: true,
		// a loaded 2-core machine starts kube-apiserver slowly
		ControlPlaneStartTimeout: 5 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	cfg, err := env.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.Stop() })
	scheme, err := Scheme()
	require.NoError(t, err)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	r := newRig(t, c)
	var logs lockedBuffer
	ready := make(chan struct{})
	r.webhook = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	r.metrics = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	statusAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	const statusToken = "status-token-never-shown"
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{
			Platform: r.p, Kube: cfg, WebhookAddr: r.webhook, MetricsAddr: r.metrics, HealthAddr: "-",
			StatusAddr: statusAddr, StatusToken: statusToken,
			Log: slog.New(slog.NewTextHandler(io.MultiWriter(&logs, testWriter{t}), nil)), Ready: ready, LeaseDuration: 3 * time.Second,
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("controller stopped: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("controller did not start")
	}

	t.Run("a signed build is pinned once and Argo CD refreshed", func(t *testing.T) {
		ref := r.pushImage("dev-1", true)
		b := r.build(1, ref, true)
		r.wait(func() error {
			got := r.getBuild(b).Annotations
			if got[insight.AnnotationPinned] == "" {
				return fmt.Errorf("annotations %v", got)
			}
			return nil
		})
		got := r.getBuild(b).Annotations
		assert.Equal(t, "true", got[insight.AnnotationVerified])
		commit := got[insight.AnnotationPinned]
		testenv.Git(t, r.work, "pull", "--quiet", "--ff-only", r.gitops, "main")
		assert.Equal(t, commit, testenv.Git(t, r.work, "rev-parse", "HEAD"))
		msg := testenv.Git(t, r.work, "log", "-1", "--format=%B")
		assert.Contains(t, msg, "goldenpath: pin dev/sample-go to build 1 (COMMIT)")
		data, err := os.ReadFile(filepath.Join(r.work, "dev/sample-go/deployment.yaml"))
		require.NoError(t, err)
		img, err := render.DeploymentImage(data)
		require.NoError(t, err)
		assert.Equal(t, ref, img)
		r.wait(func() error {
			a := &unstructured.Unstructured{}
			a.SetAPIVersion("argoproj.io/v1alpha1")
			a.SetKind("Application")
			if err := c.Get(context.Background(), types.NamespacedName{Namespace: "argocd", Name: "sample-go-dev"}, a); err != nil {
				return err
			}
			if a.GetAnnotations()[RefreshAnnotation] != "normal" {
				return fmt.Errorf("annotations %v", a.GetAnnotations())
			}
			return nil
		})
		assert.Contains(t, r.events("Pinned"), "pinned dev/sample-go to sha256:")
		// An older build succeeding late is never pinned over it.
		head := testenv.Git(t, r.work, "rev-parse", "HEAD")
		old := r.build(0, r.pushImage("dev-0", true), true)
		time.Sleep(2 * time.Second)
		assert.Empty(t, r.getBuild(old).Annotations[insight.AnnotationPinned])
		testenv.Git(t, r.work, "fetch", "--quiet", r.gitops, "main")
		assert.Equal(t, head, testenv.Git(t, r.work, "rev-parse", "FETCH_HEAD"), "nothing pushed for the older build")
	})

	t.Run("an unsigned build is refused and not pinned", func(t *testing.T) {
		testenv.Git(t, r.work, "pull", "--quiet", "--ff-only", r.gitops, "main")
		head := testenv.Git(t, r.work, "rev-parse", "HEAD")
		ref := r.pushImage("dev-2", false)
		b := r.build(2, ref, true)
		r.wait(func() error {
			if r.getBuild(b).Annotations[insight.AnnotationRefused] == "" {
				return fmt.Errorf("not refused yet")
			}
			return nil
		})
		got := r.getBuild(b).Annotations
		assert.Equal(t, "false", got[insight.AnnotationVerified])
		assert.Contains(t, got[insight.AnnotationRefused], supplychain.FailureUnsigned)
		assert.Empty(t, got[insight.AnnotationPinned])
		assert.Contains(t, r.events("PromotionRefused"), "the digest is not signed")
		testenv.Git(t, r.work, "fetch", "--quiet", r.gitops, "main")
		assert.Equal(t, head, testenv.Git(t, r.work, "rev-parse", "FETCH_HEAD"), "nothing pushed")
		assert.Contains(t, r.scrape(), `goldenpath_promotion_refusals_total{reason="unsigned"} 1`)
	})

	t.Run("a failed build is explained", func(t *testing.T) {
		b := r.build(3, "", false)
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: b + "-build-pod", Namespace: r.app.ns}}
		for _, n := range []string{"prepare", "analyze", "detect", "restore", "build", "export"} {
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{Name: n, Image: "x"})
		}
		pod.Spec.Containers = []corev1.Container{{Name: "completion", Image: "x"}}
		require.NoError(t, c.Create(context.Background(), pod))
		pod.Status.Phase = corev1.PodFailed
		for _, n := range []string{"prepare", "analyze", "detect", "restore"} {
			pod.Status.InitContainerStatuses = append(pod.Status.InitContainerStatuses, corev1.ContainerStatus{Name: n, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}})
		}
		pod.Status.InitContainerStatuses = append(pod.Status.InitContainerStatuses, corev1.ContainerStatus{Name: "build", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}})
		require.NoError(t, c.Status().Update(context.Background(), pod))
		r.failBuild(b)
		r.wait(func() error {
			if r.getBuild(b).Annotations[insight.AnnotationStep] == "" {
				return fmt.Errorf("not explained yet")
			}
			return nil
		})
		got := r.getBuild(b).Annotations
		assert.Equal(t, "build", got[insight.AnnotationStep])
		assert.Equal(t, "1", got[insight.AnnotationExitCode])
		assert.Contains(t, r.events("BuildFailed"), "failed in step build (exit 1)")
		m := r.scrape()
		assert.Contains(t, m, `kpack_build_status{image="sample-go",namespace="apps-dev",status="failed"} 1`)
		assert.Contains(t, m, `goldenpath_build_failures_total{step="build"} 1`)
	})

	// The status page, read from the controller's cache: the builds above
	// as the page and its JSON show them, behind the bearer token, which
	// no log line carries.
	t.Run("status page", func(t *testing.T) {
		status := func(token string) (int, cluster.Fleet) {
			req, err := http.NewRequest(http.MethodGet, "http://"+statusAddr+"/api/v1/status", nil)
			require.NoError(t, err)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var f cluster.Fleet
			if resp.StatusCode == http.StatusOK {
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&f))
			}
			return resp.StatusCode, f
		}
		code, _ := status("")
		assert.Equal(t, http.StatusUnauthorized, code, "no token")
		code, _ = status("wrong")
		assert.Equal(t, http.StatusUnauthorized, code, "a wrong token")
		var app *cluster.AppStatus
		r.wait(func() error { // the cache follows the API server
			code, f := status(statusToken)
			if code != http.StatusOK {
				return fmt.Errorf("status page: %d", code)
			}
			for i := range f.Apps {
				a := &f.Apps[i]
				if a.Environment == r.app.env && a.Application == r.app.name && a.LatestBuild != nil && a.LatestBuild.Number == 3 && a.LatestBuild.FailedStep != "" {
					app = a
					return nil
				}
			}
			return fmt.Errorf("no %s/%s with failed build 3 in %+v", r.app.env, r.app.name, f.Apps)
		})
		assert.Equal(t, "failed", app.LatestBuild.Result)
		assert.Equal(t, "build", app.LatestBuild.FailedStep)
		require.NotNil(t, app.LastSuccess, "build 2 succeeded")
		assert.Equal(t, int64(2), app.LastSuccess.Number)
		assert.Equal(t, "no", app.LastSuccess.Signed, "build 2 was refused unsigned")
		assert.NotContains(t, logs.String(), statusToken)
		assert.Contains(t, logs.String(), "statusToken=true")
	})

	t.Run("webhooks", func(t *testing.T) {
		sr := &kpack.SourceResolver{ObjectMeta: metav1.ObjectMeta{Name: "sample-go-source", Namespace: r.app.ns}}
		require.NoError(t, c.Create(context.Background(), sr))
		body := `{"ref":"refs/heads/main","after":"` + strings.Repeat("a", 40) + `","repository":{"clone_url":"https://github.com/goldenpath-dev/goldenpath.git"}}`
		post := func(sig string) int {
			req, _ := http.NewRequest(http.MethodPost, "http://"+r.webhook+"/webhooks/gitea", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Gitea-Event", "push")
			req.Header.Set("X-Gitea-Signature", sig)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			return resp.StatusCode
		}
		assert.Equal(t, http.StatusUnauthorized, post(strings.Repeat("0", 64)))
		require.NoError(t, c.Get(context.Background(), client.ObjectKeyFromObject(sr), sr))
		assert.Empty(t, sr.Annotations[ResolveAnnotation])
		good := hex.EncodeToString(Sign([]byte(r.hookKey), []byte(body)))
		assert.Equal(t, http.StatusAccepted, post(good))
		require.NoError(t, c.Get(context.Background(), client.ObjectKeyFromObject(sr), sr))
		assert.True(t, strings.HasPrefix(sr.Annotations[ResolveAnnotation], strings.Repeat("a", 40)+"@"))
		assert.Equal(t, http.StatusConflict, post(good), "a replay")
		var cm corev1.ConfigMap
		require.NoError(t, c.Get(context.Background(), types.NamespacedName{Namespace: "ctl-system", Name: render.ControllerName + "-deliveries"}, &cm))
		assert.Len(t, cm.Data, 1, "the delivery is remembered in the cluster")
		assert.Contains(t, r.scrape(), `goldenpath_webhook_deliveries_total{provider="gitea",result="replay"} 1`)
	})
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(time.Minute):
		t.Error("the controller did not stop")
	}
}

// lockedBuffer holds the controller's log while it writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func newRig(t *testing.T, c client.Client) *rig {
	ctx := context.Background()
	regSrv := httptest.NewServer(registry.New())
	t.Cleanup(regSrv.Close)
	reg := strings.TrimPrefix(regSrv.URL, "http://")
	kp, err := supplychain.GenerateKeyPair([]byte("pw"))
	require.NoError(t, err)
	signer, err := supplychain.LoadSigningKey(kp.PrivateKey, []byte("pw"))
	require.NoError(t, err)

	p, err := contract.LoadPlatformFile("../../examples/platform/local.yaml")
	require.NoError(t, err)
	p.Registry = reg + "/apps"
	dev := p.Environments["dev"]
	dev.GitOps.TargetRevision = "main"
	p.Environments = map[contract.Environment]contract.EnvironmentConfig{"dev": dev}
	p.ArgoCD.Namespace = "argocd"
	p.Controller = contract.PlatformController{Namespace: "ctl-system", PublicKey: string(kp.PublicKey), StackUpdateInterval: "0s"}
	p.SetDefaults()
	require.Empty(t, p.Validate())

	gitopsURL, work, reqs, objs := renderedGitOps(t, p, "../../examples/apps/go/goldenpath.yaml")

	for _, ns := range []string{dev.Namespace, "argocd", "ctl-system"} {
		require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	hookKey := "hook-secret"
	require.NoError(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: p.Controller.WebhookSecret, Namespace: "ctl-system"},
		Data: map[string][]byte{"gitea": []byte(hookKey)}}))
	var imageUID types.UID
	for _, o := range objs {
		u := &unstructured.Unstructured{Object: o.Value}
		switch o.Kind() {
		case "Image", "Application":
			require.NoError(t, c.Create(ctx, u))
			if o.Kind() == "Image" {
				imageUID = u.GetUID()
			}
		}
	}
	return &rig{t: t, c: c, p: p, reg: reg, signer: signer, gitops: gitopsURL, work: work, hookKey: hookKey,
		app: rigApp{env: "dev", name: reqs[0].Application, ns: dev.Namespace}, imageUID: imageUID}
}

// pushImage pushes a random image to the app's repository (signed or not)
// and returns it by digest.
func (r *rig) pushImage(tag string, signed bool) string {
	img, err := random.Image(512, 1)
	require.NoError(r.t, err)
	repo := r.p.Registry + "/" + r.app.env + "/" + r.app.name
	ref, err := name.NewTag(repo + ":" + tag)
	require.NoError(r.t, err)
	require.NoError(r.t, remote.Write(ref, img))
	d, err := img.Digest()
	require.NoError(r.t, err)
	pinned := repo + "@" + d.String()
	if signed {
		_, err := supplychain.Sign(context.Background(), pinned, r.signer)
		require.NoError(r.t, err)
	}
	return pinned
}

// build makes the Image's Build number n, as kpack would, and marks it
// succeeded with image ref (when succeeded).
func (r *rig) build(n int, ref string, succeeded bool) string {
	ctx := context.Background()
	var img kpack.Image
	require.NoError(r.t, r.c.Get(ctx, types.NamespacedName{Namespace: r.app.ns, Name: r.app.name}, &img))
	labels := map[string]string{}
	for k, v := range img.Labels {
		labels[k] = v
	}
	labels[kpack.ImageLabel] = img.Name
	labels[kpack.BuildNumberLabel] = fmt.Sprint(n)
	b := &kpack.Build{ObjectMeta: metav1.ObjectMeta{
		Name: fmt.Sprintf("%s-build-%d", img.Name, n), Namespace: img.Namespace, Labels: labels,
		Annotations:     map[string]string{kpack.BuildReasonAnnotation: "COMMIT"},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "kpack.io/v1alpha2", Kind: "Image", Name: img.Name, UID: img.UID}},
	}, Spec: kpack.BuildSpec{Tags: []string{img.Spec.Tag}}}
	require.NoError(r.t, r.c.Create(ctx, b))
	if succeeded {
		b.Status.LatestImage = ref
		b.Status.Conditions = corev1alpha1.Conditions{{Type: corev1alpha1.ConditionSucceeded, Status: corev1.ConditionTrue,
			LastTransitionTime: corev1alpha1.VolatileTime{Inner: metav1.Now()}}}
		require.NoError(r.t, r.c.Status().Update(ctx, b))
		img.Status.LatestBuildRef, img.Status.LatestImage = b.Name, ref
		require.NoError(r.t, r.c.Status().Update(ctx, &img))
	}
	return b.Name
}

func (r *rig) failBuild(name string) {
	ctx := context.Background()
	var b kpack.Build
	require.NoError(r.t, r.c.Get(ctx, types.NamespacedName{Namespace: r.app.ns, Name: name}, &b))
	b.Status.PodName = name + "-build-pod"
	b.Status.Conditions = corev1alpha1.Conditions{{Type: corev1alpha1.ConditionSucceeded, Status: corev1.ConditionFalse,
		LastTransitionTime: corev1alpha1.VolatileTime{Inner: metav1.Now()}, Reason: "PodFailed"}}
	require.NoError(r.t, r.c.Status().Update(ctx, &b))
	var img kpack.Image
	require.NoError(r.t, r.c.Get(ctx, types.NamespacedName{Namespace: r.app.ns, Name: r.app.name}, &img))
	img.Status.LatestBuildRef = name
	require.NoError(r.t, r.c.Status().Update(ctx, &img))
}

func (r *rig) getBuild(name string) *kpack.Build {
	var b kpack.Build
	require.NoError(r.t, r.c.Get(context.Background(), types.NamespacedName{Namespace: r.app.ns, Name: name}, &b))
	return &b
}

func (r *rig) wait(f func() error) {
	r.t.Helper()
	deadline := time.Now().Add(time.Minute)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.t.Fatalf("not within a minute: %v", err)
}

func (r *rig) events(reason string) string {
	var list corev1.EventList
	var b strings.Builder
	r.wait(func() error {
		b.Reset()
		require.NoError(r.t, r.c.List(context.Background(), &list, client.InNamespace(r.app.ns)))
		for _, e := range list.Items {
			if e.Reason == reason {
				b.WriteString(e.Message + "\n")
			}
		}
		if b.Len() == 0 {
			return fmt.Errorf("no %s event", reason)
		}
		return nil
	})
	return b.String()
}

func (r *rig) scrape() string {
	resp, err := http.Get("http://" + r.metrics + "/metrics")
	require.NoError(r.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	return string(body)
}
