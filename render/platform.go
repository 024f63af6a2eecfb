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
				Secrets:          []corev1.ObjectReference{{Name: p.Build.RegistrySecret}},
				ImagePullSecrets: []corev1.LocalObjectReference{{Name: p.Build.RegistrySecret}},
			}},
		)
	}
	var objs []Object
	for _, t := range typed {
		o, err := toObject(t.path, t.typed)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	for _, env := range p.EnvironmentNames() {
		e := contract.Environment(env)
		objs = append(objs, appProject(p, e, p.Environments[e]))
	}
	objs = append(objs, rootProject(p))
	objs = append(objs, prometheusRule(p))
	Sort(objs)
	return objs, nil
}

// prometheusRule renders the build alerts. The expressions read kpack's
// Ready conditions as kube-state-metrics exports them with its
// custom-resource-state configuration for kpack (see the README).
func prometheusRule(p *contract.Platform) Object {
	alert := func(name, expr, forDur, summary string) map[string]any {
		return map[string]any{
			"alert":  name,
			"expr":   expr,
			"for":    forDur,
			"labels": map[string]any{"severity": "warning", "team": "platform"},
			"annotations": map[string]any{
				"summary":     summary,
				"description": summary + " Run `kubectl describe` on it; `goldenpath` build logs name the failing phase.",
			},
		}
	}
	return Object{
		Path: path.Join("platform", "monitoring", "prometheusrule.yaml"),
		Value: map[string]any{
			"apiVersion": "monitoring.coreos.com/v1",
			"kind":       "PrometheusRule",
			"metadata": map[string]any{
				"name":      "goldenpath-builds",
				"namespace": p.Build.Namespace,
				"labels":    stringMap(map[string]string{"app.kubernetes.io/managed-by": ManagedBy, "app.kubernetes.io/part-of": p.Name}),
			},
			"spec": map[string]any{
				"groups": []any{map[string]any{
					"name": "goldenpath.builds",
					"rules": []any{
						alert("GoldenpathBuildFailed",
							`max by (customresource_group, namespace, name) (kube_customresource_kpack_image_ready{status="False"}) == 1`,
							"5m", "kpack Image {{ $labels.namespace }}/{{ $labels.name }} has failed to build for 5 minutes."),
						alert("GoldenpathBuilderNotReady",
							`max by (name) (kube_customresource_kpack_clusterbuilder_ready{status!="True"}) == 1`,
							"10m", "kpack ClusterBuilder {{ $labels.name }} has not been ready for 10 minutes."),
					},
				}},
			},
		},
	}
}
