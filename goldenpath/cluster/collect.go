package cluster

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// ArgoApplicationList is the GroupVersionKind Status lists Argo CD
// Applications as (unstructured: goldenpath does not link Argo CD's types).
var ArgoApplicationList = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "ApplicationList"}

// snapshot is what Status read from the cluster, indexed for the joins.
type snapshot struct {
	platform *contract.Platform
	// images per environment, sorted by name
	images map[string][]*kpack.Image
	// builds per namespace/Image name, newest first
	builds map[string][]*kpack.Build
	// deployments per namespace/name
	deployments map[string]*appsv1.Deployment
	// replicaSets per owning Deployment, oldest first
	replicaSets map[types.UID][]*appsv1.ReplicaSet
	// stacks: the ClusterStack of each ClusterBuilder, and its newest run
	// image
	builderStack map[string]string
	stackRun     map[string]string
	stacks       map[string]*kpack.ClusterStack
	// argo Applications per environment/application
	argo     map[string]*unstructured.Unstructured
	warnings []string
}

func key(a, b string) string { return a + "/" + b }

// collect lists what Status reads: per environment namespace the kpack
// Images, Builds, Deployments and ReplicaSets goldenpath renders; the
// ClusterBuilders and ClusterStacks; Argo CD's Applications. Only a
// failure to list the kpack Images is an error: the rest is reported as a
// warning and left out.
func collect(ctx context.Context, r client.Reader, p *contract.Platform) (*snapshot, error) {
	s := &snapshot{platform: p, images: map[string][]*kpack.Image{}, builds: map[string][]*kpack.Build{},
		deployments: map[string]*appsv1.Deployment{}, replicaSets: map[types.UID][]*appsv1.ReplicaSet{},
		builderStack: map[string]string{}, stackRun: map[string]string{}, stacks: map[string]*kpack.ClusterStack{},
		argo: map[string]*unstructured.Unstructured{}}
	managed := client.MatchingLabels{"app.kubernetes.io/managed-by": render.ManagedBy}
	// Nothing read is changed: a cache (the controller's) may hand out its
	// own objects instead of copies (a live client ignores this).
	noCopy := client.UnsafeDisableDeepCopy
	seen := map[string]bool{}
	for _, env := range p.EnvironmentNames() {
		ns := p.Environments[contract.Environment(env)].Namespace
		var images kpack.ImageList
		if err := r.List(ctx, &images, client.InNamespace(ns), client.MatchingLabels{"goldenpath.io/environment": env, "app.kubernetes.io/managed-by": render.ManagedBy}, noCopy); err != nil {
			return nil, fmt.Errorf("listing kpack Images in %s: %w", ns, err)
		}
		for i := range images.Items {
			s.images[env] = append(s.images[env], &images.Items[i])
		}
		sort.Slice(s.images[env], func(i, j int) bool { return s.images[env][i].Name < s.images[env][j].Name })
		if seen[ns] { // two environments in one namespace: the rest is listed once
			continue
		}
		seen[ns] = true
		var builds kpack.BuildList
		if err := r.List(ctx, &builds, client.InNamespace(ns), noCopy); err != nil {
			return nil, fmt.Errorf("listing kpack Builds in %s: %w", ns, err)
		}
		for i := range builds.Items {
			b := &builds.Items[i]
			k := key(ns, b.Labels[kpack.ImageLabel])
			s.builds[k] = append(s.builds[k], b)
		}
		var deps appsv1.DeploymentList
		if err := r.List(ctx, &deps, client.InNamespace(ns), managed, noCopy); err != nil {
			s.warn("listing Deployments in %s: %v", ns, err)
		}
		for i := range deps.Items {
			s.deployments[key(ns, deps.Items[i].Name)] = &deps.Items[i]
		}
		var rss appsv1.ReplicaSetList
		if err := r.List(ctx, &rss, client.InNamespace(ns), managed, noCopy); err != nil {
			s.warn("listing ReplicaSets in %s: %v", ns, err)
		}
		for i := range rss.Items {
			rs := &rss.Items[i]
			if owner := metav1OwnerDeployment(rs); owner != "" {
				s.replicaSets[owner] = append(s.replicaSets[owner], rs)
			}
		}
	}
	for k := range s.builds {
		sort.Slice(s.builds[k], func(i, j int) bool { return number(s.builds[k][i]) > number(s.builds[k][j]) })
	}
	for k := range s.replicaSets {
		sort.Slice(s.replicaSets[k], func(i, j int) bool {
			return s.replicaSets[k][i].CreationTimestamp.Before(&s.replicaSets[k][j].CreationTimestamp)
		})
	}
	s.collectStacks(ctx, r)
	s.collectArgo(ctx, r)
	return s, nil
}

func (s *snapshot) warn(format string, args ...any) {
	s.warnings = append(s.warnings, fmt.Sprintf(format, args...))
}

func metav1OwnerDeployment(rs *appsv1.ReplicaSet) types.UID {
	for _, o := range rs.OwnerReferences {
		if o.Kind == "Deployment" && o.Controller != nil && *o.Controller {
			return o.UID
		}
	}
	return ""
}

// collectStacks maps each ClusterBuilder to its ClusterStack and each
// ClusterStack to the run image it resolved last.
func (s *snapshot) collectStacks(ctx context.Context, r client.Reader) {
	noCopy := client.UnsafeDisableDeepCopy
	var builders kpack.ClusterBuilderList
	if err := r.List(ctx, &builders, noCopy); err != nil {
		s.warn("listing ClusterBuilders: %v", err)
	}
	for _, b := range builders.Items {
		s.builderStack[b.Name] = b.Spec.Stack.Name
	}
	var stacks kpack.ClusterStackList
	if err := r.List(ctx, &stacks, noCopy); err != nil {
		s.warn("listing ClusterStacks: %v", err)
	}
	for i := range stacks.Items {
		cs := &stacks.Items[i]
		s.stacks[cs.Name] = cs
		s.stackRun[cs.Name] = cs.Status.RunImage.LatestImage
	}
}

// collectArgo reads the Applications goldenpath renders in Argo CD's
// namespace, by environment and application (their labels), keeping only
// those deploying to the environment's namespace.
func (s *snapshot) collectArgo(ctx context.Context, r client.Reader) {
	ns := s.platform.ArgoCD.Namespace
	if ns == "" {
		return
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(ArgoApplicationList)
	if err := r.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{"app.kubernetes.io/managed-by": render.ManagedBy}, client.UnsafeDisableDeepCopy); err != nil {
		if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
			s.warn("no Argo CD Applications in this cluster (argoproj.io/v1alpha1): sync and health unknown")
			return
		}
		s.warn("listing Argo CD Applications in %s: %v", ns, err)
		return
	}
	for i := range list.Items {
		a := &list.Items[i]
		l := a.GetLabels()
		env := l["goldenpath.io/environment"]
		cfg, ok := s.platform.Environments[contract.Environment(env)]
		if !ok {
			continue
		}
		if dest, _, _ := unstructured.NestedString(a.Object, "spec", "destination", "namespace"); dest != cfg.Namespace {
			continue
		}
		s.argo[key(env, l["app.kubernetes.io/name"])] = a
	}
}

// buildsOf lists an Image's Builds, newest first.
func buildsOf(ctx context.Context, c client.Reader, img *kpack.Image) ([]kpack.Build, error) {
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
