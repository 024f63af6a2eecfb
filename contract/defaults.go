package contract

// Defaults applied by SetDefaults. They are part of the contract's public
// format: changing one changes what existing contracts mean.
const (
	DefaultBuildType        = BuildTypeBuildpack
	DefaultBuilder          = "default"
	DefaultBranch           = "main"
	DefaultReplicas   int32 = 1
	DefaultPort       int32 = 8080
	DefaultDockerfile       = "Dockerfile"
	DefaultContext          = "."
)

// SetDefaults fills in every optional field that has a default. It is the
// only place defaults are applied, it is idempotent, and it never changes a
// field the author set:
//
//   - spec.build.type: buildpack
//   - spec.build.builder: "default" (type buildpack only)
//   - spec.build.dockerfile.path: Dockerfile, .context: "." (type dockerfile only)
//   - spec.source.git.branch: main, when neither branch nor revision is set
//   - spec.runtime.replicas: 1
//   - spec.runtime.port: 8080
//   - spec.ingress.tls.secretName: <application>-tls, when TLS is enabled
func (r *AppDeploymentRequest) SetDefaults() {
	s := &r.Spec
	if s.Build.Type == "" {
		s.Build.Type = DefaultBuildType
	}
	switch s.Build.Type {
	case BuildTypeBuildpack:
		if s.Build.Builder == "" {
			s.Build.Builder = DefaultBuilder
		}
	case BuildTypeDockerfile:
		if s.Build.Dockerfile == nil {
			s.Build.Dockerfile = &DockerfileBuild{}
		}
		if s.Build.Dockerfile.Path == "" {
			s.Build.Dockerfile.Path = DefaultDockerfile
		}
		if s.Build.Dockerfile.Context == "" {
			s.Build.Dockerfile.Context = DefaultContext
		}
	}
	if s.Source.Git.Branch == "" && s.Source.Git.Revision == "" {
		s.Source.Git.Branch = DefaultBranch
	}
	if s.Runtime.Replicas == nil {
		n := DefaultReplicas
		s.Runtime.Replicas = &n
	}
	if s.Runtime.Port == nil {
		n := DefaultPort
		s.Runtime.Port = &n
	}
	if tls := s.Ingress.TLS; tls != nil && tls.Enabled && tls.SecretName == "" {
		tls.SecretName = r.Application + "-tls"
	}
}
