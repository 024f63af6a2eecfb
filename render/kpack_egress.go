package render

import (
	"maps"
	"slices"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	corev1 "k8s.io/api/core/v1"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// kpackBuildEnv is what a kpack Image's spec.build gets from the request's
// build env and the platform's build network (contract.Egress) for
// the request's builder: the environment (the platform's mirrors and proxy
// win over the application's env, as on the pack path) and, as build
// services, the Secrets kpack mounts at /platform/bindings/<name>: CA bundles
// and mirror credentials. The goldenpath buildpacks read both the same way on
// every build path.
func kpackBuildEnv(p *contract.Platform, builder string, appEnv map[string]string) ([]corev1.EnvVar, kpack.Services) {
	be := p.BuildEnvironment(builder)
	all := maps.Clone(appEnv)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, be.Env)
	var env []corev1.EnvVar
	for _, k := range slices.Sorted(maps.Keys(all)) {
		env = append(env, corev1.EnvVar{Name: k, Value: all[k]})
	}
	var services kpack.Services
	for _, s := range be.Secrets {
		services = append(services, corev1.ObjectReference{Kind: "Secret", Name: s, APIVersion: "v1"})
	}
	return env, services
}
