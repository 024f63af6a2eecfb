package render

import (
	"maps"
	"path"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// Platform renders the platform-wide objects: per builder the kpack
// ClusterStore, ClusterStack, ClusterLifecycle and ClusterBuilder; the
// namespaces and service accounts builds run as (their registry Secret is
// referenced, never rendered: credentials do not belong in git); an Argo CD
// AppProject per environment; and a PrometheusRule with the build alerts.
func Platform(p *contract.Platform) ([]Object, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs
	}
	var typed []pathed
	for _, name := range slices.Sorted(maps.Keys(p.Builders)) {
		for _, o := range platformKpack(p, name, p.Builders[name]) {
			typed = append(typed, o.(pathed))
		}
	}
	namespaces := []string{p.Build.Namespace}
	if p.Controller.Image != "" {
		namespaces = append(namespaces, p.Controller.Namespace)
	}
	for _, env := range p.EnvironmentNames() {
		namespaces = append(namespaces, p.Environments[contract.Environment(env)].Namespace)
	}
	seen := map[string]bool{}
	for _, ns := range namespaces {
		if seen[ns] {
			continue
		}
		seen[ns] = true
		labels := map[string]string{"app.kubernetes.io/managed-by": ManagedBy, "app.kubernetes.io/part-of": p.Name}
		typed = append(typed,
			pathed{path.Join("platform", "namespaces", ns+".yaml"), &corev1.Namespace{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
				ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels},
			}},
			pathed{path.Join("platform", "namespaces", ns+".yaml"), &corev1.ServiceAccount{
				TypeMeta:         metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
				ObjectMeta:       metav1.ObjectMeta{Name: p.Build.ServiceAccount, Namespace: ns, Labels: labels},
				Secrets:          buildSecrets(p),
				ImagePullSecrets: []corev1.LocalObjectReference{{Name: p.Build.RegistrySecret}},
			}},
		)
	}
	objs, err := toObjects(typed)
	if err != nil {
		return nil, err
	}
	for _, env := range p.EnvironmentNames() {
		e := contract.Environment(env)
		objs = append(objs, appProject(p, e, p.Environments[e]))
	}
	objs = append(objs, rootProject(p))
	objs = append(objs, prometheusRule(p))
	ctl, err := ControllerObjects(p)
	if err != nil {
		return nil, err
	}
	objs = append(objs, ctl...)
	Sort(objs)
	return objs, nil
}

// buildSecrets are the Secrets a build service account lists: the
// registry's, the git credentials kpack clones private repositories with
// (build.gitCredentials, found by their kpack.io/git annotation), and the
// cosign key kpack signs every build with when the platform names one
// (kpack signs with each listed Secret holding a cosign.key).
func buildSecrets(p *contract.Platform) []corev1.ObjectReference {
	out := []corev1.ObjectReference{{Name: p.Build.RegistrySecret}}
	for _, c := range p.Build.GitCredentials {
		out = append(out, corev1.ObjectReference{Name: c.Secret})
	}
	if p.Controller.CosignSecret != "" {
		out = append(out, corev1.ObjectReference{Name: p.Controller.CosignSecret})
	}
	return out
}
