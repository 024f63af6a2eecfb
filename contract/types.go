package contract

// Group is the API group of every goldenpath document.
const Group = "goldenpath.io"

// APIVersion is the version of the contract this package reads and writes.
const APIVersion = Group + "/v1"

// KindAppDeploymentRequest is the kind of an application's contract.
const KindAppDeploymentRequest = "AppDeploymentRequest"

// SupportedAPIVersions lists the apiVersions this package can load.
var SupportedAPIVersions = []string{APIVersion}

// AppDeploymentRequest is the contract an application team commits: what to
// build, from which source, and how it runs in one environment.
type AppDeploymentRequest struct {
	// APIVersion of the contract format; must be goldenpath.io/v1.
	APIVersion string `json:"apiVersion"`
	// Kind of document; must be AppDeploymentRequest.
	Kind string `json:"kind"`
	// ID is the request's identifier in the platform's catalogue: APP- and at least four digits.
	ID string `json:"id"`
	// Environment the application is deployed to: dev, test, staging or prod.
	Environment Environment `json:"environment"`
	// Owner is the team that owns the application (a DNS-1123 label, used in labels and the Argo CD project).
	Owner string `json:"owner"`
	// Application is the application's name (a DNS-1123 label): it names the image, the Deployment, the Service and the Argo CD Application.
	Application string `json:"application"`
	// Spec says how the application is built and run.
	Spec Spec `json:"spec"`

	origin Position // where the document starts
	ix     *index   // positions of its fields
}

// Environment is one of the platform's environments.
type Environment string

// The environments a request can target.
const (
	EnvDev     Environment = "dev"
	EnvTest    Environment = "test"
	EnvStaging Environment = "staging"
	EnvProd    Environment = "prod"
)

// Environments lists the valid environments in promotion order.
var Environments = []Environment{EnvDev, EnvTest, EnvStaging, EnvProd}

// Spec is what the application team asks for.
type Spec struct {
	// Source is where the application's code lives.
	Source Source `json:"source"`
	// Build says how the code becomes an image.
	Build Build `json:"build,omitempty"`
	// Runtime says how the image runs.
	Runtime Runtime `json:"runtime,omitempty"`
	// Ingress exposes the application over HTTP(S).
	Ingress Ingress `json:"ingress,omitempty"`
	// Bindings connect the application to platform services such as databases; each binding's credentials are projected into the container.
	Bindings []Binding `json:"bindings,omitempty"`
}

// Source is where the application's code lives.
type Source struct {
	// Git repository holding the code.
	Git GitSource `json:"git"`
}

// GitSource is a git repository and the revision to build.
type GitSource struct {
	// URL of the repository: https://host/org/repo, ssh://git@host/org/repo or git@host:org/repo.git. Credentials never go in the URL.
	URL string `json:"url"`
	// Branch to follow: new commits on it are built. Defaults to main when no revision is pinned.
	Branch string `json:"branch,omitempty"`
	// Revision pins the build to a commit SHA or tag; when set it is built instead of the branch head.
	Revision string `json:"revision,omitempty"`
	// SubPath is the application's folder inside the repository, for monorepos (relative, without ..).
	SubPath string `json:"subPath,omitempty"`
}

// BuildType selects how the image is built.
type BuildType string

// The build types.
const (
	// BuildTypeBuildpack builds with Cloud Native Buildpacks (kpack in the cluster, pack outside): no Dockerfile needed.
	BuildTypeBuildpack BuildType = "buildpack"
	// BuildTypeDockerfile is the opt-out: the repository's Dockerfile is built.
	BuildTypeDockerfile BuildType = "dockerfile"
)

// BuildTypes lists the valid build types.
var BuildTypes = []BuildType{BuildTypeBuildpack, BuildTypeDockerfile}

// Build says how the code becomes an image.
type Build struct {
	// Type is buildpack (the default) or dockerfile (opt-out).
	Type BuildType `json:"type,omitempty"`
	// Builder names one of the platform's buildpack builders; only for type buildpack. Defaults to "default".
	Builder string `json:"builder,omitempty"`
	// Env holds build-time environment variables passed to the buildpacks, such as BP_JAVA_VERSION. Values are strings.
	Env map[string]string `json:"env,omitempty"`
	// Dockerfile configures a type dockerfile build.
	Dockerfile *DockerfileBuild `json:"dockerfile,omitempty"`
}

// DockerfileBuild configures the Dockerfile fallback.
type DockerfileBuild struct {
	// Path of the Dockerfile, relative to the source folder. Defaults to Dockerfile.
	Path string `json:"path,omitempty"`
	// Context is the build context folder, relative to the source folder. Defaults to the source folder itself (".").
	Context string `json:"context,omitempty"`
	// Args are the Dockerfile's build arguments (ARG). Values are strings.
	Args map[string]string `json:"args,omitempty"`
}

// Runtime says how the image runs.
type Runtime struct {
	// Replicas is the number of pods. Defaults to 1; the platform's policy may demand more in some environments.
	Replicas *int32 `json:"replicas,omitempty"`
	// Port the application listens on; it is also given to the application as $PORT. Defaults to 8080.
	Port *int32 `json:"port,omitempty"`
	// Env holds the application's environment variables. Values are strings.
	Env map[string]string `json:"env,omitempty"`
	// HealthCheck is the HTTP endpoint used for readiness and liveness probes; without it a TCP check on the port is used.
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	// Resources each pod requests. Memory is also the pod's memory limit.
	Resources Resources `json:"resources,omitempty"`
}

// HealthCheck is an HTTP health endpoint.
type HealthCheck struct {
	// Path of the endpoint, starting with /; a 2xx or 3xx answer means healthy.
	Path string `json:"path"`
}

// Resources are Kubernetes resource quantities.
type Resources struct {
	// Memory per pod, as a Kubernetes quantity such as 512Mi or 1Gi.
	Memory Quantity `json:"memory,omitempty"`
	// CPU per pod, as a Kubernetes quantity such as 250m or 1.
	CPU Quantity `json:"cpu,omitempty"`
}

// Ingress exposes the application over HTTP(S).
type Ingress struct {
	// Enabled turns the Ingress on.
	Enabled bool `json:"enabled,omitempty"`
	// Host is the fully qualified host name the application answers on; required when enabled.
	Host string `json:"host,omitempty"`
	// TLS serves the host over HTTPS.
	TLS *IngressTLS `json:"tls,omitempty"`
}

// IngressTLS configures HTTPS for the Ingress.
type IngressTLS struct {
	// Enabled turns HTTPS on.
	Enabled bool `json:"enabled"`
	// SecretName is the Secret holding the certificate. Defaults to <application>-tls.
	SecretName string `json:"secretName,omitempty"`
}

// Binding connects the application to a platform service.
type Binding struct {
	// Type of service, such as database, cache or queue (a DNS-1123 label).
	Type string `json:"type"`
	// Name of the service instance in the platform's binding catalogue (a DNS-1123 label).
	Name string `json:"name"`
}

// Origin is where the document starts (file and line of its first key).
func (r *AppDeploymentRequest) Origin() Position { return r.origin }

// PositionOf returns where the field at path (for example
// "spec.runtime.replicas") is written in the source, or the nearest enclosing
// field that is. It is how callers attach positions to their own findings.
func (r *AppDeploymentRequest) PositionOf(path string) Position {
	if p := r.ix.locate(path); p.File != "" || p.Line != 0 {
		return p
	}
	return r.origin
}
