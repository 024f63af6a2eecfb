package contract

import (
	corev1 "k8s.io/api/core/v1"
)

// KindPlatform is the kind of the platform team's configuration.
const KindPlatform = "Platform"

// Platform is the platform team's configuration: where images go, which
// builders exist, where each environment deploys and which guardrails hold
// there. Application teams never edit it; every request is rendered against
// one. DefaultPlatform returns the embedded default.
type Platform struct {
	// APIVersion of the format; must be goldenpath.io/v1.
	APIVersion string `json:"apiVersion"`
	// Kind of document; must be Platform.
	Kind string `json:"kind"`
	// Name of the platform, used in labels (a DNS-1123 label).
	Name string `json:"name"`
	// Registry is the image repository prefix apps are pushed under: the image of application A in environment E is <registry>/<E>/<A>.
	Registry string `json:"registry"`
	// Build holds the settings every kpack Image gets: service account, scheduling and cache.
	Build PlatformBuild `json:"build,omitempty"`
	// Builders by name; a request's spec.build.builder picks one. There must be one named "default".
	Builders map[string]Builder `json:"builders"`
	// Environments by name (dev, test, staging, prod): where each deploys and its guardrails.
	Environments map[Environment]EnvironmentConfig `json:"environments"`
	// Bindings is the catalogue of service instances requests can bind to, by name.
	Bindings map[string]BindingTarget `json:"bindings,omitempty"`
	// BindingProjection says how a binding's Secret reaches the container: servicebinding (a servicebinding.io ServiceBinding, projected by a Service Binding controller) or volume (goldenpath mounts the Secret at $SERVICE_BINDING_ROOT/<name> itself, the same layout, for clusters without a controller). Defaults to servicebinding.
	BindingProjection BindingProjection `json:"bindingProjection,omitempty"`
	// ArgoCD says where Argo CD runs.
	ArgoCD ArgoCDConfig `json:"argocd,omitempty"`

	// --- egress (issues 17 and 18; types and rules in platform_egress.go) ---

	// Egress is how every build reaches its dependencies: the mirrors (Go proxy, npm registry, Maven repository, gem source, Python index), the CA bundles trusted in builds (and, when asked, in app images) and the HTTP proxy. A builder's own egress overrides it field by field.
	Egress Egress `json:"egress,omitempty"`

	// --- the in-cluster controller (issue 16; types, defaults and validation in platform_controller.go) ---

	// Controller configures goldenpath's in-cluster controller: its install (rendered by goldenpath platform render when controller.image is set), kpack signing, the verify gate, webhooks, promotion.
	Controller PlatformController `json:"controller,omitempty"`

	origin Position
	ix     *index
}

// BindingProjection selects how bindings reach the container.
type BindingProjection string

// The binding projections.
const (
	ProjectServiceBinding BindingProjection = "servicebinding"
	ProjectVolume         BindingProjection = "volume"
)

// ArgoCDConfig says where Argo CD runs.
type ArgoCDConfig struct {
	// Namespace Argo CD watches for Applications and AppProjects. Defaults to argocd.
	Namespace string `json:"namespace,omitempty"`
}

// PlatformBuild holds the settings applied to every kpack Image.
type PlatformBuild struct {
	// Namespace of the platform's own build objects (the ClusterBuilder's service account, alerts). Defaults to goldenpath-system.
	Namespace string `json:"namespace,omitempty"`
	// ServiceAccount the kpack Images build with, rendered in every environment namespace and in build.namespace; it lists the registry Secret (registrySecret) and the git Secrets (gitCredentials). Defaults to goldenpath-build.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// RegistrySecret is the Secret, in each environment namespace and in build.namespace, that kpack pushes app images and pulls builders with and that the app pods pull their images with (the build service account lists it in secrets and imagePullSecrets, the rendered Deployments in imagePullSecrets). Its shape: type kubernetes.io/dockerconfigjson, key .dockerconfigjson holding {"auths": {"<registry host>": {"auth": "<base64 of user:password>"}}} with an entry for the host of the platform's registry (kubectl create secret docker-registry NAME --docker-server=HOST --docker-username=U --docker-password=P makes one); goldenpath platform check-secret checks a Secret against it. Defaults to goldenpath-registry.
	RegistrySecret string `json:"registrySecret,omitempty"`
	// GitCredentials are the Secrets kpack clones private source repositories with, in kpack's format; the build service account lists them next to the registry Secret (see platform_gitcredentials.go). Empty: kpack clones anonymously, so only public repositories build in the cluster.
	GitCredentials []GitCredential `json:"gitCredentials,omitempty"`
	// NodeSelector for build pods.
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Tolerations for build pods.
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// Affinity for build pods.
	Affinity *corev1.Affinity `json:"affinity,omitempty"`
	// Cache for buildpack layers between builds.
	Cache BuildCache `json:"cache,omitempty"`
	// SuccessHistoryLimit is how many successful builds kpack keeps per Image. Defaults to 10.
	SuccessHistoryLimit int64 `json:"successHistoryLimit,omitempty"`
	// FailedHistoryLimit is how many failed builds kpack keeps per Image. Defaults to 10.
	FailedHistoryLimit int64 `json:"failedHistoryLimit,omitempty"`
	// Network is the Docker network of builds outside the cluster (goldenpath build: pack's lifecycle containers and Dockerfile RUN steps). Empty: the Docker engine's default bridge network. "host" gives builds the machine's own network, which they need to push to a registry on its loopback address; no build gets it unless the platform says so. A network name, never container:NAME.
	Network string `json:"network,omitempty"`
}

// CacheKind selects where kpack caches build layers.
type CacheKind string

// The cache kinds.
const (
	CacheVolume   CacheKind = "volume"
	CacheRegistry CacheKind = "registry"
	CacheNone     CacheKind = "none"
)

// BuildCache configures kpack's build cache.
type BuildCache struct {
	// Kind is volume (a PersistentVolumeClaim per Image), registry (an image <app image>-cache) or none. Defaults to registry, which works on every cluster.
	Kind CacheKind `json:"kind,omitempty"`
	// Size of a volume cache. Defaults to 2Gi.
	Size Quantity `json:"size,omitempty"`
	// StorageClassName of a volume cache; empty means the cluster default.
	StorageClassName string `json:"storageClassName,omitempty"`
}

// Builder is a buildpack builder: the stack (build and run images), the
// buildpacks and their order.
type Builder struct {
	// Tag is where kpack writes the builder image it assembles (ClusterBuilder spec.tag).
	Tag string `json:"tag"`
	// Image is a ready builder image for builds outside the cluster (goldenpath build, Dagger), such as one made with pack builder create from approved base images. Defaults to tag, the builder kpack assembled.
	Image string `json:"image,omitempty"`
	// Stack names the build and run images.
	Stack Stack `json:"stack"`
	// Lifecycle is the CNB lifecycle image (a kpack ClusterLifecycle); empty uses kpack's default lifecycle.
	Lifecycle string `json:"lifecycle,omitempty"`
	// Buildpacks are the images the buildpacks are read from (the kpack ClusterStore sources).
	Buildpacks []string `json:"buildpacks"`
	// Order is the detection order: one group per language; the first group that detects builds.
	Order []OrderGroup `json:"order"`
	// Egress overrides the platform's egress for this builder, field by field (see platform_egress.go).
	Egress *Egress `json:"egress,omitempty"`
}

// Stack is a CNB stack: the image apps build in and the image they run on.
type Stack struct {
	// ID of the stack, matching the io.buildpacks.stack.id label of both images.
	ID string `json:"id"`
	// BuildImage is the image the buildpacks run in.
	BuildImage string `json:"buildImage"`
	// RunImage is the base image of every app; patching it and rebasing patches every app.
	RunImage string `json:"runImage"`
}

// OrderGroup is one detection group of a builder's order.
type OrderGroup struct {
	// Language this group builds (java, nodejs, python, go, dotnet, ruby, procfile, ...), for documentation and the developer portal.
	Language string `json:"language"`
	// Buildpacks of the group, by id, in order.
	Buildpacks []BuildpackRef `json:"buildpacks"`
}

// BuildpackRef names a buildpack in an order group.
type BuildpackRef struct {
	// ID of the buildpack, such as paketo-buildpacks/java.
	ID string `json:"id"`
	// Version pins the buildpack; empty takes the newest in the store.
	Version string `json:"version,omitempty"`
	// Optional buildpacks may fail detection without failing the group.
	Optional bool `json:"optional,omitempty"`
}

// EnvironmentConfig says where an environment deploys and which guardrails
// hold there.
type EnvironmentConfig struct {
	// Cluster is the Argo CD destination server. Defaults to https://kubernetes.default.svc.
	Cluster string `json:"cluster,omitempty"`
	// Namespace apps of this environment are deployed to.
	Namespace string `json:"namespace"`
	// IngressDomain every ingress host of this environment must end with.
	IngressDomain string `json:"ingressDomain"`
	// ArgoProject is the Argo CD AppProject the environment's Applications belong to. Defaults to goldenpath-<environment>.
	ArgoProject string `json:"argoProject,omitempty"`
	// GitOps says where the rendered manifests of this environment are committed.
	GitOps GitOpsTarget `json:"gitops"`
	// Policy holds the environment's guardrails.
	Policy Policy `json:"policy,omitempty"`
}

// GitOpsTarget is the repository and layout Argo CD syncs from.
type GitOpsTarget struct {
	// RepoURL of the GitOps repository.
	RepoURL string `json:"repoURL"`
	// TargetRevision Argo CD follows. Defaults to HEAD.
	TargetRevision string `json:"targetRevision,omitempty"`
	// Path of an application's folder in the repository; {environment} and {application} are replaced. Defaults to {environment}/{application}.
	Path string `json:"path,omitempty"`
}

// Policy holds an environment's guardrails. A request that breaks one is
// refused with the request's file and line, like a validation error.
type Policy struct {
	// MinReplicas is the fewest replicas a request may ask for.
	MinReplicas int32 `json:"minReplicas,omitempty"`
	// RequireResources demands both memory and cpu.
	RequireResources bool `json:"requireResources,omitempty"`
	// RequireHealthCheck demands spec.runtime.healthCheck.
	RequireHealthCheck bool `json:"requireHealthCheck,omitempty"`
	// RequireTLS demands TLS on every enabled ingress.
	RequireTLS bool `json:"requireTLS,omitempty"`
	// AllowedBuilders lists the builders requests may use; empty allows every builder of the platform.
	AllowedBuilders []string `json:"allowedBuilders,omitempty"`
	// ForbidDockerfile refuses type dockerfile builds.
	ForbidDockerfile bool `json:"forbidDockerfile,omitempty"`
	// RequireCatalogBindings is deprecated and has no effect: bindings are always limited to the platform's catalogue unless allowUncataloguedBindings is set.
	RequireCatalogBindings bool `json:"requireCatalogBindings,omitempty"`
	// AllowUncataloguedBindings opens the binding catalogue in this environment: a binding that is not in the catalogue refers to the Secret of its name in the app's namespace. The platform's own Secrets stay out of reach. Off by default: bindings name only what the catalogue offers to the environment.
	AllowUncataloguedBindings bool `json:"allowUncataloguedBindings,omitempty"`
}

// BindingTarget is a service instance in the binding catalogue.
type BindingTarget struct {
	// Type of the service (database, cache, queue, ...); a request's binding must name the same type.
	Type string `json:"type"`
	// Secret holding the credentials in the Service Binding for Kubernetes layout (type, provider, host, port, username, password, ...).
	Secret string `json:"secret"`
	// Provider of the service, such as postgresql or aws-rds, for documentation and the binding's metadata.
	Provider string `json:"provider,omitempty"`
	// Environments the service is offered to; empty offers it to every environment.
	Environments []Environment `json:"environments,omitempty"`
}

// Origin is where the document starts.
func (p *Platform) Origin() Position { return p.origin }
