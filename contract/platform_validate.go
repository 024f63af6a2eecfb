package contract

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/util/validation"
)

// LoadPlatformFile reads, defaults and validates a Platform document.
func LoadPlatformFile(path string) (*Platform, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return LoadPlatform(path, data)
}

// LoadPlatform is LoadPlatformFile for data already read. The data must hold
// exactly one Platform document.
func LoadPlatform(name string, data []byte) (*Platform, error) {
	objs, err := LoadObjects(name, data)
	if err != nil {
		return nil, err
	}
	if len(objs) != 1 {
		return nil, Errors{{Position: Position{File: name}, Message: fmt.Sprintf("expected one Platform document, found %d", len(objs))}}
	}
	p, ok := objs[0].(*Platform)
	if !ok {
		return nil, Errors{{Position: objs[0].Origin(), Path: "kind", Message: fmt.Sprintf("expected kind %s here", KindPlatform)}}
	}
	return p, nil
}

// Validate checks the platform. The rules:
//
//   - apiVersion is goldenpath.io/v1, kind is Platform, name a DNS-1123 label.
//   - registry is an image repository prefix host[:port]/path: an explicit
//     registry host (a DNS name with a dot, localhost or an IP address; the
//     port 1 to 65535), lower-case path components, no scheme, no empty
//     component (//), no tag or digest; the longest image repository
//     rendered under it (<registry>/staging/<55 characters>-cache) is a
//     valid reference of at most 255 characters.
//   - build.serviceAccount and build.registrySecret are DNS-1123 subdomains;
//     build.cache.kind is volume, registry or none; a volume size is a whole
//     number of bytes of at least 1Mi (as memory, see quantity.go); history
//     limits are >= 1.
//   - builders has a builder named "default"; builder names are DNS-1123
//     labels; each has a tag and stack images that are valid image
//     references, a stack id, at least one buildpack image and a
//     non-empty order whose groups each list at least one buildpack id.
//   - environments has at least one of dev, test, staging, prod and no other;
//     each has a namespace (DNS-1123 label) that is not Kubernetes' own
//     (kube-*) nor the platform's build or Argo CD namespace, an ingress
//     domain (FQDN) and a GitOps repoURL; policy allowedBuilders name
//     builders of this platform; minReplicas >= 0.
//   - an environment's cluster (the Argo CD destination) is an
//     https://host[:port] URL without credentials, query or fragment.
//   - gitops.repoURL is an https://, http://, ssh:// or scp-like git URL
//     that carries no credentials (they would be committed into every Argo CD
//     Application), query or fragment, and whose user, host and path do not
//     start with - (see giturl.go; unlike a contract's URL, it may name any
//     host, loopback included: the platform team decides where Argo CD reads).
//   - gitops.path is a relative path of plain folder names ([A-Za-z0-9_-.],
//     not starting with a dot: no .., no .git) where {application} is a whole
//     folder exactly once and {environment} at most once; it does not start
//     in argocd/ or platform/ (TreeFolders), and no two environments' paths
//     can give two applications the same folder, or one inside the other
//     (per-environment repositories still share one rendered tree).
//   - no two environments share a namespace on one cluster (two Argo CD
//     Applications would own the same objects), an ingress domain or an
//     Argo CD project.
//   - bindings are named by DNS-1123 labels of at most 55 characters, with a
//     type (DNS-1123 label), a secret (DNS-1123 subdomain) that is none of
//     the platform's own Secrets (ReservedSecrets), and environments the
//     platform has. A policy does not set both requireCatalogBindings
//     (deprecated) and allowUncataloguedBindings.
func (p *Platform) Validate() Errors {
	v := &validator{ix: p.ix, origin: p.origin}
	if p.APIVersion != APIVersion {
		v.add("apiVersion", fmt.Sprintf("unsupported apiVersion %q", p.APIVersion), "supported: "+strings.Join(SupportedAPIVersions, ", "))
	}
	if p.Kind != KindPlatform {
		v.add("kind", fmt.Sprintf("kind must be %s, not %q", KindPlatform, p.Kind), "")
	}
	v.dnsLabel("name", p.Name, true)
	v.registry("registry", p.Registry)
	switch p.BindingProjection {
	case "", ProjectServiceBinding, ProjectVolume:
	default:
		v.add("bindingProjection", fmt.Sprintf("unsupported binding projection %q", p.BindingProjection), "use servicebinding or volume")
	}
	if p.ArgoCD.Namespace != "" {
		v.dnsLabel("argocd.namespace", p.ArgoCD.Namespace, false)
	}
	b := fieldPath("build")
	if p.Build.Namespace != "" {
		v.dnsLabel(b.Child("namespace"), p.Build.Namespace, false)
	}
	v.subdomain(b.Child("serviceAccount"), p.Build.ServiceAccount)
	v.subdomain(b.Child("registrySecret"), p.Build.RegistrySecret)
	p.validateGitCredentials(v)
	switch p.Build.Cache.Kind {
	case "", CacheRegistry, CacheNone:
	case CacheVolume:
		v.bytes(b.Child("cache").Child("size"), p.Build.Cache.Size, MinStorage, "1Mi")
	default:
		v.add(b.Child("cache").Child("kind"), fmt.Sprintf("unsupported cache kind %q", p.Build.Cache.Kind), "use volume, registry or none")
	}
	if n := p.Build.Network; n != "" && !dockerNetwork.MatchString(n) {
		v.add(b.Child("network"), fmt.Sprintf("%q is not a Docker network name", n), "use host, bridge, none or the name of a network (letters, digits, _ . -); never container:NAME")
	}
	if p.Build.SuccessHistoryLimit < 0 {
		v.add(b.Child("successHistoryLimit"), "must be >= 1", "")
	}
	if p.Build.FailedHistoryLimit < 0 {
		v.add(b.Child("failedHistoryLimit"), "must be >= 1", "")
	}
	if _, ok := p.Builders[DefaultBuilder]; !ok {
		v.add("builders", `there must be a builder named "default"`, "requests without spec.build.builder use it")
	}
	for _, n := range slices.Sorted(maps.Keys(p.Builders)) {
		p.Builders[n].validate(v, fieldPath("builders").Key(n), n)
	}
	if len(p.Environments) == 0 {
		v.required("environments", "at least one of "+joinEnvs())
	}
	for _, env := range Environments {
		if cfg, ok := p.Environments[env]; ok {
			cfg.validate(v, fieldPath("environments").Key(string(env)), env, p)
		}
	}
	for env := range p.Environments {
		if !slices.Contains(Environments, env) {
			v.add(fieldPath("environments").Key(string(env)), fmt.Sprintf("unknown environment %q", env), "use "+joinEnvs())
		}
	}
	p.validateShared(v)
	p.validateCatalogue(v)
	for _, n := range slices.Sorted(maps.Keys(p.Bindings)) {
		bp := fieldPath("bindings").Key(n)
		t := p.Bindings[n]
		v.dnsLabel(bp, n, true)
		v.dnsLabel(bp.Child("type"), t.Type, true)
		if t.Secret == "" {
			v.required(bp.Child("secret"), "the Secret holding the credentials")
		} else {
			v.subdomain(bp.Child("secret"), t.Secret)
		}
	}
	p.validateEgress(v)
	p.Controller.validate(v, fieldPath("controller"))
	v.errs.Sort()
	return v.errs
}

func (b Builder) validate(v *validator, p fieldPath, name string) {
	v.dnsLabel(p, name, true)
	v.image(p.Child("tag"), b.Tag, true)
	v.image(p.Child("image"), b.Image, false)
	if b.Stack.ID == "" {
		v.required(p.Child("stack").Child("id"), "the io.buildpacks.stack.id of the images")
	}
	v.image(p.Child("stack").Child("buildImage"), b.Stack.BuildImage, true)
	v.image(p.Child("stack").Child("runImage"), b.Stack.RunImage, true)
	v.image(p.Child("lifecycle"), b.Lifecycle, false)
	if len(b.Buildpacks) == 0 {
		v.required(p.Child("buildpacks"), "at least one buildpack image")
	}
	for i, img := range b.Buildpacks {
		v.image(p.Child("buildpacks").Index(i), img, true)
	}
	if len(b.Order) == 0 {
		v.required(p.Child("order"), "at least one group")
	}
	for i, g := range b.Order {
		gp := p.Child("order").Index(i)
		if len(g.Buildpacks) == 0 {
			v.required(gp.Child("buildpacks"), "at least one buildpack id")
		}
		for j, bp := range g.Buildpacks {
			if bp.ID == "" {
				v.required(gp.Child("buildpacks").Index(j).Child("id"), "")
			}
		}
	}
}

func (e EnvironmentConfig) validate(v *validator, p fieldPath, env Environment, pl *Platform) {
	v.dnsLabel(p.Child("namespace"), e.Namespace, true)
	e.validateTargets(v, p, env, pl)
	if e.IngressDomain == "" {
		v.required(p.Child("ingressDomain"), "for example dev.example.com")
	} else if len(validation.IsFullyQualifiedDomainName(nil, e.IngressDomain)) > 0 {
		v.add(p.Child("ingressDomain"), fmt.Sprintf("%q is not a fully qualified domain name", e.IngressDomain), "")
	}
	if e.ArgoProject != "" {
		v.subdomain(p.Child("argoProject"), e.ArgoProject)
	}
	if e.GitOps.RepoURL == "" {
		v.required(p.Child("gitops").Child("repoURL"), "the repository Argo CD syncs from")
	}
	if e.Policy.MinReplicas < 0 {
		v.add(p.Child("policy").Child("minReplicas"), "must be >= 0", "")
	}
	for i, b := range e.Policy.AllowedBuilders {
		if _, ok := pl.Builders[b]; !ok {
			v.add(p.Child("policy").Child("allowedBuilders").Index(i), fmt.Sprintf("no builder named %q in this platform", b), "")
		}
	}
}

func (v *validator) subdomain(p fieldPath, s string) {
	if s == "" {
		return
	}
	if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 {
		v.add(p, fmt.Sprintf("%q is not a valid Kubernetes name: %s", s, errs[0]), "")
	}
}

func (v *validator) image(p fieldPath, ref string, required bool) {
	if ref == "" {
		if required {
			v.required(p, "an image reference")
		}
		return
	}
	parsed, err := name.ParseReference(ref)
	if err == nil && strings.Contains(parsed.Context().RepositoryStr(), "//") {
		err = fmt.Errorf("it has an empty path component")
	}
	if err == nil && strings.Contains(ref, "/") {
		// A name with a registry host: the host and port must be real.
		if msg := registryHostProblem(parsed.Context().RegistryStr()); msg != "" {
			err = fmt.Errorf("%s", msg)
		}
	}
	if err != nil {
		v.add(p, fmt.Sprintf("%q is not an image reference: %v", ref, err), "")
	}
}

// EnvironmentNames lists the platform's environments in promotion order.
func (p *Platform) EnvironmentNames() []string {
	var out []string
	for _, e := range Environments {
		if _, ok := p.Environments[e]; ok {
			out = append(out, string(e))
		}
	}
	return out
}

// ImageRepository is where the application's image is pushed in an environment.
func (p *Platform) ImageRepository(r *AppDeploymentRequest) string {
	return p.ImageRepositoryOn("", r)
}

// BindingSecret is the Secret that holds a binding's credentials: the
// catalogue's, or a Secret named after the binding.
func (p *Platform) BindingSecret(b Binding) string {
	if t, ok := p.Bindings[b.Name]; ok {
		return t.Secret
	}
	return b.Name
}
