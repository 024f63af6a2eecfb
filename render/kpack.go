package render

import (
	"path"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	kpackcore "github.com/pivotal/kpack/pkg/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// kpackAPIVersion is the kpack API the renderers write.
var kpackAPIVersion = kpack.SchemeGroupVersion.String()

// kpackImage renders the kpack Image that builds the app from git on the
// platform's ClusterBuilder, rebuilds on new commits and buildpacks, and
// rebases when the ClusterStack's run image changes.
func (a *app) kpackImage() *kpack.Image {
	s := a.r.Spec
	b := a.p.Build
	revision := s.Source.Git.Revision
	if revision == "" {
		revision = s.Source.Git.Branch
	}
	env, services := kpackBuildEnv(a.p, s.Build.Builder, s.Build.Env)
	img := &kpack.Image{
		TypeMeta:   metav1.TypeMeta{APIVersion: kpackAPIVersion, Kind: kpack.ImageKind},
		ObjectMeta: a.objectMeta(a.r.Application, "build"),
		Spec: kpack.ImageSpec{
			Tag:                a.p.ImageRepository(a.r),
			Builder:            corev1.ObjectReference{Kind: kpack.ClusterBuilderKind, Name: s.Build.Builder},
			ServiceAccountName: b.ServiceAccount,
			Source: kpackcore.SourceConfig{
				Git:     &kpackcore.Git{URL: s.Source.Git.URL, Revision: revision},
				SubPath: s.Source.Git.SubPath,
			},
			Cache:                    a.cache(),
			SuccessBuildHistoryLimit: ptr(b.SuccessHistoryLimit),
			FailedBuildHistoryLimit:  ptr(b.FailedHistoryLimit),
		},
	}
	if len(env) > 0 || len(services) > 0 || len(b.NodeSelector) > 0 || len(b.Tolerations) > 0 || b.Affinity != nil {
		img.Spec.Build = &kpack.ImageBuild{Env: env, Services: services, NodeSelector: b.NodeSelector, Tolerations: b.Tolerations, Affinity: b.Affinity}
	}
	return img
}

func (a *app) cache() *kpack.ImageCacheConfig {
	c := a.p.Build.Cache
	switch c.Kind {
	case contract.CacheVolume:
		q := resource.MustParse(string(c.Size))
		return &kpack.ImageCacheConfig{Volume: &kpack.ImagePersistentVolumeCache{Size: &q, StorageClassName: c.StorageClassName}}
	case contract.CacheRegistry:
		return &kpack.ImageCacheConfig{Registry: &kpack.RegistryCache{Tag: a.p.ImageRepository(a.r) + "-cache"}}
	}
	return nil
}

// platformKpack renders a builder's ClusterStore, ClusterStack,
// ClusterLifecycle (when the builder names a lifecycle image) and
// ClusterBuilder. They are cluster objects, all named after the builder.
func platformKpack(p *contract.Platform, name string, b contract.Builder) []any {
	dir := path.Join("platform", "kpack")
	sa := &corev1.ObjectReference{Name: p.Build.ServiceAccount, Namespace: p.Build.Namespace}
	var sources []kpackcore.ImageSource
	for _, img := range b.Buildpacks {
		sources = append(sources, kpackcore.ImageSource{Image: img})
	}
	var order []kpack.BuilderOrderEntry
	for _, g := range b.Order {
		var group []kpack.BuilderBuildpackRef
		for _, bp := range g.Buildpacks {
			group = append(group, kpack.BuilderBuildpackRef{BuildpackRef: kpackcore.BuildpackRef{
				BuildpackInfo: kpackcore.BuildpackInfo{Id: bp.ID, Version: bp.Version}, Optional: bp.Optional,
			}})
		}
		order = append(order, kpack.BuilderOrderEntry{Group: group})
	}
	labels := map[string]string{"app.kubernetes.io/managed-by": ManagedBy, "app.kubernetes.io/part-of": p.Name, "goldenpath.io/builder": name}
	objMeta := metav1.ObjectMeta{Name: name, Labels: labels}
	builder := &kpack.ClusterBuilder{
		TypeMeta:   metav1.TypeMeta{APIVersion: kpackAPIVersion, Kind: kpack.ClusterBuilderKind},
		ObjectMeta: objMeta,
		Spec: kpack.ClusterBuilderSpec{
			BuilderSpec: kpack.BuilderSpec{
				Tag:   b.Tag,
				Stack: corev1.ObjectReference{Kind: kpack.ClusterStackKind, Name: name},
				Store: corev1.ObjectReference{Kind: kpack.ClusterStoreKind, Name: name},
				Order: order,
			},
			ServiceAccountRef: *sa,
		},
	}
	out := []any{
		pathed{path.Join(dir, "clusterstore-"+name+".yaml"), &kpack.ClusterStore{
			TypeMeta:   metav1.TypeMeta{APIVersion: kpackAPIVersion, Kind: kpack.ClusterStoreKind},
			ObjectMeta: objMeta,
			Spec:       kpack.ClusterStoreSpec{Sources: sources, ServiceAccountRef: sa},
		}},
		pathed{path.Join(dir, "clusterstack-"+name+".yaml"), &kpack.ClusterStack{
			TypeMeta:   metav1.TypeMeta{APIVersion: kpackAPIVersion, Kind: kpack.ClusterStackKind},
			ObjectMeta: objMeta,
			Spec: kpack.ClusterStackSpec{
				Id:                b.Stack.ID,
				BuildImage:        kpack.ClusterStackSpecImage{Image: b.Stack.BuildImage},
				RunImage:          kpack.ClusterStackSpecImage{Image: b.Stack.RunImage},
				ServiceAccountRef: sa,
			},
		}},
	}
	if b.Lifecycle != "" {
		builder.Spec.Lifecycle = corev1.ObjectReference{Kind: kpack.ClusterLifecycleKind, Name: name}
		out = append(out, pathed{path.Join(dir, "clusterlifecycle-"+name+".yaml"), &kpack.ClusterLifecycle{
			TypeMeta:   metav1.TypeMeta{APIVersion: kpackAPIVersion, Kind: kpack.ClusterLifecycleKind},
			ObjectMeta: objMeta,
			Spec:       kpack.ClusterLifecycleSpec{ImageSource: kpackcore.ImageSource{Image: b.Lifecycle}, ServiceAccountRef: sa},
		}})
	}
	return append(out, pathed{path.Join(dir, "clusterbuilder-"+name+".yaml"), builder})
}

// pathed pairs a typed object with its file in the tree.
type pathed struct {
	path  string
	typed any
}
