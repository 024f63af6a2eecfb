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
//   - registry is an image repository (host[:port]/path), without tag or digest.
//   - build.serviceAccount and build.registrySecret are DNS-1123 subdomains;
//     build.cache.kind is volume, registry or none; a volume size is a
//     positive quantity; history limits are >= 1.
//   - builders has a builder named "default"; builder names are DNS-1123
//     labels; each has a tag and stack images that are valid image
//     references, a stack id, at least one buildpack image and a
//     non-empty order whose groups each list at least one buildpack id.
//   - environments has at least one of dev, test, staging, prod and no other;
//     each has a namespace (DNS-1123 label), an ingress domain (FQDN), a
//     GitOps repoURL and a path containing {application}; policy
//     allowedBuilders name builders of this platform; minReplicas >= 0.
//   - bindings are named by DNS-1123 labels, with a type (DNS-1123 label)
//     and a secret (DNS-1123 subdomain).
func (p *Platform) Validate() Errors {
	v := &validator{ix: p.ix, origin: p.origin}
	if p.APIVersion != APIVersion {
		v.add("apiVersion", fmt.Sprintf("unsupported apiVersion %q", p.APIVersion), "supported: "+strings.Join(SupportedAPIVersions, ", "))
	}
	if p.Kind != KindPlatform {
		v.add("kind", fmt.Sprintf("kind must be %s, not %q", KindPlatform, p.Kind), "")
	}
	v.dnsLabel("name", p.Name, true)
	if p.Registry == "" {
		v.required("registry", "for example registry.example.com/apps")
	} else if _, err := name.NewRepository(p.Registry); err != nil {
		v.add("registry", fmt.Sprintf("%q is not an image repository: %v", p.Registry, err), "")
	}
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
	switch p.Build.Cache.Kind {
	case "", CacheRegistry, CacheNone:
	case CacheVolume:
		v.quantity(b.Child("cache").Child("size"), p.Build.Cache.Size)
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
			cfg.validate(v, fieldPath("environments").Key(string(env)), p)
		}
	}
	for env := range p.Environments {
		if !slices.Contains(Environments, env) {
			v.add(fieldPath("environments").Key(string(env)), fmt.Sprintf("unknown environment %q", env), "use "+joinEnvs())
		}
	}
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

func (e EnvironmentConfig) validate(v *validator, p fieldPath, pl *Platform) {
	v.dnsLabel(p.Child("namespace"), e.Namespace, true)
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
	if e.GitOps.Path != "" && !strings.Contains(e.GitOps.Path, "{application}") {
		v.add(p.Child("gitops").Child("path"), "path must contain {application}", "every application needs its own folder")
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
	if _, err := name.ParseReference(ref); err != nil {
		v.add(p, fmt.Sprintf("%q is not an image reference: %v", ref, err), "")
	}
}

// Admit checks a valid request against the platform's guardrails for its
// environment and returns every violation, placed at the request's own file
// and line like a validation error.
func (p *Platform) Admit(r *AppDeploymentRequest) Errors {
	v := &validator{ix: r.ix, origin: r.origin}
	env, ok := p.Environments[r.Environment]
	if !ok {
		v.add("environment", fmt.Sprintf("platform %q has no environment %q", p.Name, r.Environment), "use one of "+strings.Join(p.EnvironmentNames(), ", "))
		return v.errs
	}
	pol := env.Policy
	where := fmt.Sprintf("policy of %s", r.Environment)
	s := r.Spec
	if s.Build.Type == BuildTypeBuildpack {
		if _, ok := p.Builders[s.Build.Builder]; !ok {
			v.add("spec.build.builder", fmt.Sprintf("platform has no builder %q", s.Build.Builder), "use one of "+strings.Join(slices.Sorted(maps.Keys(p.Builders)), ", "))
		} else if len(pol.AllowedBuilders) > 0 && !slices.Contains(pol.AllowedBuilders, s.Build.Builder) {
			v.add("spec.build.builder", fmt.Sprintf("builder %q is not allowed in %s", s.Build.Builder, r.Environment), where+" allows "+strings.Join(pol.AllowedBuilders, ", "))
		}
	}
	if s.Build.Type == BuildTypeDockerfile && pol.ForbidDockerfile {
		v.add("spec.build.type", fmt.Sprintf("dockerfile builds are not allowed in %s", r.Environment), "use type: buildpack")
	}
	if s.Runtime.Replicas != nil && *s.Runtime.Replicas < pol.MinReplicas {
		v.add("spec.runtime.replicas", fmt.Sprintf("must be >= %d in %s", pol.MinReplicas, r.Environment), where)
	}
	if pol.RequireResources {
		if s.Runtime.Resources.Memory == "" {
			v.add("spec.runtime.resources.memory", fmt.Sprintf("memory is required in %s", r.Environment), where)
		}
		if s.Runtime.Resources.CPU == "" {
			v.add("spec.runtime.resources.cpu", fmt.Sprintf("cpu is required in %s", r.Environment), where)
		}
	}
	if pol.RequireHealthCheck && s.Runtime.HealthCheck == nil {
		v.add("spec.runtime.healthCheck", fmt.Sprintf("a health check is required in %s", r.Environment), where)
	}
	if s.Ingress.Enabled {
		if h := s.Ingress.Host; h != "" && h != env.IngressDomain && !strings.HasSuffix(h, "."+env.IngressDomain) {
			v.add("spec.ingress.host", fmt.Sprintf("host %q is outside the %s ingress domain %s", h, r.Environment, env.IngressDomain), fmt.Sprintf("use a name ending in .%s", env.IngressDomain))
		}
		if pol.RequireTLS && (s.Ingress.TLS == nil || !s.Ingress.TLS.Enabled) {
			v.add("spec.ingress.tls", fmt.Sprintf("TLS is required in %s", r.Environment), where)
		}
	}
	for i, b := range s.Bindings {
		bp := fieldPath("spec.bindings").Index(i)
		t, ok := p.Bindings[b.Name]
		switch {
		case !ok && pol.RequireCatalogBindings:
			v.add(bp.Child("name"), fmt.Sprintf("binding %q is not in the platform's catalogue", b.Name), where)
		case ok && t.Type != b.Type:
			v.add(bp.Child("type"), fmt.Sprintf("binding %q is a %s, not a %s", b.Name, t.Type, b.Type), "")
		}
	}
	v.errs.Sort()
	return v.errs
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
