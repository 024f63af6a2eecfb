package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	corev1alpha1 "github.com/pivotal/kpack/pkg/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// core is what the reconcilers share: the platform, the cluster clients,
// the event recorder, the log and the metrics.
type core struct {
	platform  *contract.Platform
	namespace string
	// client reads from the informer cache (Images, Builds, ClusterBuilders,
	// ClusterStacks) and writes to the API server.
	client client.Client
	// reader reads the API server directly (Secrets, ConfigMaps, pods,
	// Argo CD Applications: nothing of them is cached).
	reader    client.Reader
	clientset kubernetes.Interface
	recorder  record.EventRecorder
	log       *slog.Logger
	metrics   *metrics
	started   time.Time
}

// app is an application of the platform as its kpack Image names it.
type app struct {
	Env  contract.Environment
	Name string
	Cfg  contract.EnvironmentConfig
}

func (a app) String() string { return string(a.Env) + "/" + a.Name }

// Folder is the application's folder in its GitOps repository.
func (a app) Folder() string { return a.Cfg.GitOpsPath(a.Env, a.Name) }

// Repository is where the platform pushes the application's image.
func (c *core) repository(a app) string {
	return c.platform.ImageRepository(&contract.AppDeploymentRequest{Environment: a.Env, Application: a.Name})
}

// appOf says which application a kpack Image builds: an Image goldenpath
// rendered (managed-by goldenpath, named after the application, labelled
// with its environment) in that environment's namespace. Other Images are
// left alone.
func (c *core) appOf(img *kpack.Image) (app, bool) {
	l := img.Labels
	if l["app.kubernetes.io/managed-by"] != render.ManagedBy {
		return app{}, false
	}
	env := contract.Environment(l["goldenpath.io/environment"])
	cfg, ok := c.platform.Environments[env]
	if !ok || img.Namespace != cfg.Namespace || l["app.kubernetes.io/name"] != img.Name {
		return app{}, false
	}
	return app{Env: env, Name: img.Name, Cfg: cfg}, true
}

// buildNumber is a Build's number (its image.kpack.io/buildNumber label).
func buildNumber(b *kpack.Build) int64 {
	n, _ := strconv.ParseInt(b.Labels[kpack.BuildNumberLabel], 10, 64)
	return n
}

// buildsOf lists an Image's Builds (from the cache), newest first.
func (c *core) buildsOf(ctx context.Context, img *kpack.Image) ([]kpack.Build, error) {
	var list kpack.BuildList
	if err := c.client.List(ctx, &list, client.InNamespace(img.Namespace), client.MatchingLabels{kpack.ImageLabel: img.Name}); err != nil {
		return nil, err
	}
	var out []kpack.Build
	for _, b := range list.Items {
		if ownedBy(&b, img.UID) {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return buildNumber(&out[i]) > buildNumber(&out[j]) })
	return out, nil
}

func ownedBy(b *kpack.Build, uid types.UID) bool {
	for _, o := range b.OwnerReferences {
		if o.UID == uid {
			return true
		}
	}
	return false
}

// finishedAt is when a Build succeeded or failed (zero while running).
func finishedAt(b *kpack.Build) time.Time {
	if c := b.Status.GetCondition(corev1alpha1.ConditionSucceeded); c != nil && c.Status != corev1.ConditionUnknown {
		return c.LastTransitionTime.Inner.Time
	}
	return time.Time{}
}

// reasons are a Build's reasons (COMMIT, CONFIG, STACK, ...).
func reasons(b *kpack.Build) []string {
	var out []string
	for _, r := range strings.Split(b.Annotations[kpack.BuildReasonAnnotation], ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// annotate merges annotations into an object (a merge patch: nothing else
// is touched, and kpack keeps annotations it does not own).
func (c *core) annotate(ctx context.Context, obj client.Object, ann map[string]string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": ann}})
	if err != nil {
		return err
	}
	return c.client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch))
}

// sameRepository says whether ref (repo@digest) is in repository repo.
func sameRepository(ref, repo string) bool {
	d, err := name.NewDigest(ref)
	if err != nil {
		return false
	}
	r, err := name.NewRepository(repo)
	if err != nil {
		return false
	}
	return d.Context().Name() == r.Name()
}

// imageOfBuild finds a Build's Image in the cache (nil when gone).
func (c *core) imageOfBuild(ctx context.Context, b *kpack.Build) *kpack.Image {
	var img kpack.Image
	if err := c.client.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: b.Labels[kpack.ImageLabel]}, &img); err != nil {
		return nil
	}
	return &img
}

// event records an Event on an object (the kpack Image, usually).
func (c *core) event(obj client.Object, warning bool, reason, format string, args ...any) {
	t := corev1.EventTypeNormal
	if warning {
		t = corev1.EventTypeWarning
	}
	msg := fmt.Sprintf(format, args...)
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	c.recorder.Event(obj, t, reason, msg)
}
