package cluster

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	corev1alpha1 "github.com/pivotal/kpack/pkg/apis/core/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
	"github.com/goldenpath-dev/goldenpath/pipeline/kube"
	"github.com/goldenpath-dev/goldenpath/render"
)

// KubeConfig loads a client configuration: the kubeconfig file when path
// is not empty, else the in-cluster service account when running in a pod,
// else $KUBECONFIG or ~/.kube/config (what kubectl uses).
func KubeConfig(path string) (*rest.Config, error) { return kube.KubeConfig(path) }

// StatusRequest says which applications to report.
type StatusRequest struct {
	// Platform names the environments (their namespaces) and builders.
	Platform *contract.Platform
	// Apps are application names; none means every application.
	Apps []string
	// Kube reaches the cluster.
	Kube *rest.Config
}

// AppStatus is one application in one environment.
type AppStatus struct {
	Environment string `json:"environment"`
	Application string `json:"application"`
	Namespace   string `json:"namespace"`
	// Deployed is the image the application's Deployment runs ("" when
	// it has none yet).
	Deployed string `json:"deployed"`
	// Pinned is the digest the Deployment is pinned to ("" when it runs a
	// tag, before its first pin).
	Pinned string `json:"pinned"`
	// LatestBuild is kpack's latest build of the application (nil before
	// the first).
	LatestBuild *Build `json:"latestBuild,omitempty"`
	// LastSuccess is the latest successful build, when it is not the
	// latest build.
	LastSuccess *Build `json:"lastSuccess,omitempty"`
	// RunImage is the run image the latest successful build runs on.
	RunImage string `json:"runImage,omitempty"`
	// NewestRunImage is the run image the builder's ClusterStack has now.
	NewestRunImage string `json:"newestRunImage,omitempty"`
	// RunImageCurrent: RunImage is NewestRunImage.
	RunImageCurrent bool `json:"runImageCurrent"`
}

// Build is a kpack build as goldenpath reports it.
type Build struct {
	Name   string   `json:"name"`
	Number int64    `json:"number"`
	Reason []string `json:"reasons"`
	// Revision is the source commit built.
	Revision string `json:"revision,omitempty"`
	// Result is succeeded, failed or running.
	Result   string    `json:"result"`
	Image    string    `json:"image,omitempty"`
	Created  time.Time `json:"created"`
	Finished time.Time `json:"finished,omitempty"`
	// FailedStep, ExitCode, FailureReason and Excerpt explain a failed
	// build (the controller's build insight).
	FailedStep    string `json:"failedStep,omitempty"`
	ExitCode      int    `json:"exitCode,omitempty"`
	FailureReason string `json:"failureReason,omitempty"`
	Excerpt       string `json:"excerpt,omitempty"`
	// Signed is yes (verified with the platform's key), no (refused) or
	// unknown (not checked: no public key, or not promoted yet).
	Signed  string `json:"signed"`
	Refused string `json:"refused,omitempty"`
	// Pinned is the GitOps commit that pinned the build's image.
	Pinned string `json:"pinned,omitempty"`
}

// Scheme holds the Kubernetes and kpack types read here.
func scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, kpack.AddToScheme(s)
}

func newClient(cfg *rest.Config) (client.Client, error) {
	s, err := scheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

// Status reports each application goldenpath's kpack Images build in the
// platform's environments (those named in req.Apps, or all), sorted by
// environment order and name.
func Status(ctx context.Context, req StatusRequest) ([]AppStatus, error) {
	if req.Platform == nil || req.Kube == nil {
		return nil, fmt.Errorf("status: a platform and a cluster are needed")
	}
	c, err := newClient(req.Kube)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, a := range req.Apps {
		want[a] = true
	}
	found := map[string]bool{}
	stacks := map[string]string{}
	var out []AppStatus
	for _, env := range req.Platform.EnvironmentNames() {
		cfg := req.Platform.Environments[contract.Environment(env)]
		var images kpack.ImageList
		if err := c.List(ctx, &images, client.InNamespace(cfg.Namespace), client.MatchingLabels{"goldenpath.io/environment": env, "app.kubernetes.io/managed-by": render.ManagedBy}); err != nil {
			return nil, fmt.Errorf("listing kpack Images in %s: %w", cfg.Namespace, err)
		}
		sort.Slice(images.Items, func(i, j int) bool { return images.Items[i].Name < images.Items[j].Name })
		for i := range images.Items {
			img := &images.Items[i]
			if len(want) > 0 && !want[img.Name] {
				continue
			}
			found[img.Name] = true
			st, err := appStatus(ctx, c, env, img, stacks)
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
	}
	var missing []string
	for _, a := range req.Apps {
		if !found[a] {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("no kpack Image for %s in the platform's environments (%s)", strings.Join(missing, ", "), strings.Join(req.Platform.EnvironmentNames(), ", "))
	}
	return out, nil
}

func appStatus(ctx context.Context, c client.Client, env string, img *kpack.Image, stacks map[string]string) (AppStatus, error) {
	st := AppStatus{Environment: env, Application: img.Name, Namespace: img.Namespace}
	var d appsv1.Deployment
	switch err := c.Get(ctx, client.ObjectKey{Namespace: img.Namespace, Name: img.Name}, &d); {
	case apierrors.IsNotFound(err):
	case err != nil:
		return st, err
	default:
		for _, ctr := range d.Spec.Template.Spec.Containers {
			if ctr.Name == "app" {
				st.Deployed = ctr.Image
				if _, dg, ok := strings.Cut(ctr.Image, "@"); ok {
					st.Pinned = dg
				}
			}
		}
	}
	builds, err := buildsOf(ctx, c, img)
	if err != nil {
		return st, err
	}
	for i := range builds {
		b := &builds[i]
		if i == 0 {
			st.LatestBuild = describe(b)
		}
		if b.IsSuccess() {
			if i > 0 {
				st.LastSuccess = describe(b)
			}
			st.RunImage = b.Status.Stack.RunImage
			break
		}
	}
	if img.Spec.Builder.Kind == kpack.ClusterBuilderKind {
		newest, err := newestRunImage(ctx, c, img.Spec.Builder.Name, stacks)
		if err != nil {
			return st, err
		}
		st.NewestRunImage = newest
		st.RunImageCurrent = st.RunImage != "" && digestOf(st.RunImage) == digestOf(newest)
	}
	return st, nil
}

// buildsOf lists an Image's Builds, newest first.
func buildsOf(ctx context.Context, c client.Client, img *kpack.Image) ([]kpack.Build, error) {
	var list kpack.BuildList
	if err := c.List(ctx, &list, client.InNamespace(img.Namespace), client.MatchingLabels{kpack.ImageLabel: img.Name}); err != nil {
		return nil, fmt.Errorf("listing kpack Builds of %s/%s: %w", img.Namespace, img.Name, err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return number(&list.Items[i]) > number(&list.Items[j]) })
	return list.Items, nil
}

func number(b *kpack.Build) int64 {
	n, _ := strconv.ParseInt(b.Labels[kpack.BuildNumberLabel], 10, 64)
	return n
}

func describe(b *kpack.Build) *Build {
	ann := b.Annotations
	out := &Build{
		Name:          b.Name,
		Number:        number(b),
		Result:        "running",
		Image:         b.Status.LatestImage,
		Created:       b.CreationTimestamp.Time,
		FailedStep:    ann[insight.AnnotationStep],
		FailureReason: ann[insight.AnnotationReason],
		Excerpt:       ann[insight.AnnotationExcerpt],
		Signed:        "unknown",
		Refused:       ann[insight.AnnotationRefused],
		Pinned:        ann[insight.AnnotationPinned],
	}
	out.ExitCode, _ = strconv.Atoi(ann[insight.AnnotationExitCode])
	for _, r := range strings.Split(ann[kpack.BuildReasonAnnotation], ",") {
		if r = strings.TrimSpace(r); r != "" {
			out.Reason = append(out.Reason, r)
		}
	}
	if g := b.Spec.Source.Git; g != nil {
		out.Revision = g.Revision
	}
	switch ann[insight.AnnotationVerified] {
	case "true":
		out.Signed = "yes"
	case "false":
		out.Signed = "no"
	}
	if c := b.Status.GetCondition(corev1alpha1.ConditionSucceeded); c != nil {
		switch c.Status {
		case corev1.ConditionTrue:
			out.Result = "succeeded"
		case corev1.ConditionFalse:
			out.Result = "failed"
			if out.FailureReason == "" {
				out.FailureReason = strings.TrimSpace(c.Reason + " " + c.Message)
			}
		}
		if c.Status != corev1.ConditionUnknown {
			out.Finished = c.LastTransitionTime.Inner.Time
		}
	}
	return out
}

// newestRunImage is the run image a ClusterBuilder's ClusterStack resolved
// last (its status.runImage.latestImage).
func newestRunImage(ctx context.Context, c client.Client, builder string, cache map[string]string) (string, error) {
	if v, ok := cache[builder]; ok {
		return v, nil
	}
	var cb kpack.ClusterBuilder
	if err := c.Get(ctx, client.ObjectKey{Name: builder}, &cb); err != nil {
		if apierrors.IsNotFound(err) {
			cache[builder] = ""
			return "", nil
		}
		return "", err
	}
	var cs kpack.ClusterStack
	if err := c.Get(ctx, client.ObjectKey{Name: cb.Spec.Stack.Name}, &cs); err != nil {
		if apierrors.IsNotFound(err) {
			cache[builder] = ""
			return "", nil
		}
		return "", err
	}
	cache[builder] = cs.Status.RunImage.LatestImage
	return cache[builder], nil
}

func digestOf(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	return ref
}
