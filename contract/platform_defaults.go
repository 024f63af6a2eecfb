package contract

import (
	_ "embed"
	"strings"
)

// Platform defaults applied by (*Platform).SetDefaults.
const (
	DefaultServiceAccount  = "goldenpath-build"
	DefaultRegistrySecret  = "goldenpath-registry"
	DefaultCluster         = "https://kubernetes.default.svc"
	DefaultGitOpsPath      = "{environment}/{application}"
	DefaultTargetRevision  = "HEAD"
	DefaultCacheKind       = CacheRegistry
	DefaultCacheSize       = Quantity("2Gi")
	DefaultHistoryLimit    = int64(10)
	DefaultArgoProjectBase = "goldenpath-"
	DefaultBuildNamespace  = "goldenpath-system"
	DefaultArgoNamespace   = "argocd"
	DefaultProjection      = ProjectServiceBinding
)

// SetDefaults fills in the platform's optional fields:
//
//   - argocd.namespace: argocd; bindingProjection: servicebinding
//   - build.namespace: goldenpath-system
//   - build.serviceAccount: goldenpath-build; build.registrySecret: goldenpath-registry
//   - build.cache.kind: registry; build.cache.size: 2Gi (volume caches)
//   - build.successHistoryLimit and failedHistoryLimit: 10
//   - builders.*.image: the builder's tag
//   - environments.*.cluster: https://kubernetes.default.svc
//   - environments.*.argoProject: goldenpath-<environment>
//   - environments.*.gitops.targetRevision: HEAD; .path: {environment}/{application}
func (p *Platform) SetDefaults() {
	if p.ArgoCD.Namespace == "" {
		p.ArgoCD.Namespace = DefaultArgoNamespace
	}
	if p.BindingProjection == "" {
		p.BindingProjection = DefaultProjection
	}
	b := &p.Build
	if b.Namespace == "" {
		b.Namespace = DefaultBuildNamespace
	}
	if b.ServiceAccount == "" {
		b.ServiceAccount = DefaultServiceAccount
	}
	if b.RegistrySecret == "" {
		b.RegistrySecret = DefaultRegistrySecret
	}
	if b.Cache.Kind == "" {
		b.Cache.Kind = DefaultCacheKind
	}
	if b.Cache.Kind == CacheVolume && b.Cache.Size == "" {
		b.Cache.Size = DefaultCacheSize
	}
	if b.SuccessHistoryLimit == 0 {
		b.SuccessHistoryLimit = DefaultHistoryLimit
	}
	if b.FailedHistoryLimit == 0 {
		b.FailedHistoryLimit = DefaultHistoryLimit
	}
	p.Controller.setDefaults(p)
	for name, b := range p.Builders {
		if b.Image == "" {
			b.Image = b.Tag
			p.Builders[name] = b
		}
	}
	for name, env := range p.Environments {
		if env.Cluster == "" {
			env.Cluster = DefaultCluster
		}
		if env.ArgoProject == "" {
			env.ArgoProject = DefaultArgoProjectBase + string(name)
		}
		if env.GitOps.TargetRevision == "" {
			env.GitOps.TargetRevision = DefaultTargetRevision
		}
		if env.GitOps.Path == "" {
			env.GitOps.Path = DefaultGitOpsPath
		}
		p.Environments[name] = env
	}
}

//go:embed platform-default.yaml
var defaultPlatformYAML []byte

// DefaultPlatformYAML is the embedded default platform as written, a starting
// point for a platform team's own.
func DefaultPlatformYAML() []byte { return append([]byte(nil), defaultPlatformYAML...) }

// DefaultPlatform returns the embedded default platform (environments dev,
// test, staging and prod under goldenpath.io), so that every command works
// without a platform file. Each call returns a fresh copy.
func DefaultPlatform() *Platform {
	p, err := LoadPlatform("platform-default.yaml", defaultPlatformYAML)
	if err != nil {
		panic("contract: the embedded default platform is invalid: " + err.Error())
	}
	return p
}

// GitOpsPath returns an application's folder in the environment's GitOps repository.
func (e EnvironmentConfig) GitOpsPath(env Environment, application string) string {
	return strings.NewReplacer("{environment}", string(env), "{application}", application).Replace(e.GitOps.Path)
}
