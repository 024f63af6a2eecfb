package contract

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Admit checks a valid request against the platform's guardrails for its
// environment and returns every violation, placed at the request's own file
// and line like a validation error. The rules:
//
//   - the platform has the request's environment;
//   - a buildpack build names a builder of the platform, one the
//     environment's policy allows; dockerfile builds only where the policy
//     does not forbid them;
//   - replicas, resources and the health check as the policy demands;
//   - the image repository <registry>/<environment>/<application> (and its
//     build cache, <repository>-cache) is a valid image reference;
//   - the request's GitOps folder is not in argocd/ or platform/
//     (TreeFolders);
//   - an enabled ingress's host is a proper subdomain of the environment's
//     ingress domain (never the domain itself) and not inside the domain of
//     another environment nested in it (with prod on example.com and dev on
//     dev.example.com, a prod host may not be x.dev.example.com); TLS as the
//     policy demands;
//   - the TLS Secret is none of the platform's own Secrets
//     (ReservedSecrets), no binding's Secret in the catalogue and none of
//     the request's own bindings;
//   - each binding names a service the platform's catalogue offers to the
//     environment, of the same type; only an environment whose policy sets
//     allowUncataloguedBindings lets a binding name any other Secret of the
//     namespace, and even then never one of the platform's own Secrets, a
//     catalogue service not offered to the environment or such a service's
//     Secret.
//
// Rules across requests (one request per application and environment,
// hosts and Secrets that two requests would share) are AdmitAll's.
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
	if top, _, _ := strings.Cut(env.GitOpsPath(r.Environment, r.Application), "/"); slices.Contains(TreeFolders, top) {
		v.add("application", fmt.Sprintf("its GitOps folder would be in %s/, which goldenpath writes itself", top), "rename the application")
	}
	repo := p.ImageRepository(r)
	for _, ref := range []string{repo + ":latest", repo + "-cache:latest"} {
		if _, err := name.NewTag(ref, name.StrictValidation); err != nil {
			v.add("application", fmt.Sprintf("the image %s is not a valid image reference: %v", ref, err), "use a shorter application name, or a shorter platform registry")
			break
		}
	}
	if s.Ingress.Enabled {
		if h := s.Ingress.Host; h != "" {
			if msg, hint := p.hostProblem(r.Environment, h); msg != "" {
				v.add("spec.ingress.host", msg, hint)
			}
		}
		if pol.RequireTLS && (s.Ingress.TLS == nil || !s.Ingress.TLS.Enabled) {
			v.add("spec.ingress.tls", fmt.Sprintf("TLS is required in %s", r.Environment), where)
		}
	}
	if tls := s.Ingress.TLS; tls != nil && tls.Enabled && tls.SecretName != "" {
		if msg := p.tlsSecretProblem(r, tls.SecretName); msg != "" {
			v.add("spec.ingress.tls.secretName", msg, "leave secretName out to use <application>-tls, or name a Secret of this application's own")
		}
	}
	for i, b := range s.Bindings {
		bp := fieldPath("spec.bindings").Index(i)
		if path, msg, hint := p.bindingProblem(r.Environment, b); msg != "" {
			v.add(bp.Child(path), msg, hint)
		}
	}
	v.errs.Sort()
	return v.errs
}

// hostProblem says what is wrong with an ingress host in env, or "".
func (p *Platform) hostProblem(env Environment, host string) (msg, hint string) {
	domain := p.Environments[env].IngressDomain
	switch {
	case host == domain:
		return fmt.Sprintf("host %q is the %s ingress domain itself", host, env), fmt.Sprintf("use a name under it, such as <application>.%s", domain)
	case !strings.HasSuffix(host, "."+domain):
		return fmt.Sprintf("host %q is outside the %s ingress domain %s", host, env, domain), fmt.Sprintf("use a name ending in .%s", domain)
	}
	// The most specific environment domain the host is in must be env's.
	for _, other := range p.EnvironmentNames() {
		od := p.Environments[Environment(other)].IngressDomain
		if Environment(other) != env && len(od) > len(domain) && (host == od || strings.HasSuffix(host, "."+od)) {
			return fmt.Sprintf("host %q is in the %s ingress domain %s", host, other, od), fmt.Sprintf("use a name of the %s domain, outside %s", env, od)
		}
	}
	return "", ""
}

// tlsSecretProblem says why a request may not use secret as its TLS
// Secret, or "".
func (p *Platform) tlsSecretProblem(r *AppDeploymentRequest, secret string) string {
	if slices.Contains(p.ReservedSecrets(), secret) {
		return fmt.Sprintf("Secret %q is one of the platform's own", secret)
	}
	for _, n := range slices.Sorted(maps.Keys(p.Bindings)) {
		if p.Bindings[n].Secret == secret {
			return fmt.Sprintf("Secret %q holds the credentials of the catalogue's binding %q", secret, n)
		}
	}
	for _, b := range r.Spec.Bindings {
		if p.BindingSecret(b) == secret {
			return fmt.Sprintf("Secret %q is the Secret of binding %q", secret, b.Name)
		}
	}
	return ""
}

// bindingProblem says what is wrong with a binding in env: the field
// (name or type), the message and a hint; an empty message when nothing is.
func (p *Platform) bindingProblem(env Environment, b Binding) (field, msg, hint string) {
	pol := p.Environments[env].Policy
	where := fmt.Sprintf("policy of %s", env)
	if slices.Contains(p.ReservedSecrets(), b.Name) {
		return "name", fmt.Sprintf("binding %q names one of the platform's own Secrets", b.Name), "bind a service of the platform's catalogue"
	}
	t, listed := p.Bindings[b.Name]
	switch {
	case listed && !t.offeredTo(env):
		return "name", fmt.Sprintf("binding %q is not offered to %s", b.Name, env), "the catalogue offers it to " + joinEnvList(t.Environments)
	case listed && t.Type != b.Type:
		return "type", fmt.Sprintf("binding %q is a %s, not a %s", b.Name, t.Type, b.Type), ""
	case listed:
		return "", "", ""
	case !pol.AllowUncataloguedBindings:
		return "name", fmt.Sprintf("binding %q is not in the platform's catalogue", b.Name), where + " allows only " + p.offeredBindings(env)
	}
	for _, n := range slices.Sorted(maps.Keys(p.Bindings)) {
		if t := p.Bindings[n]; t.Secret == b.Name && !t.offeredTo(env) {
			return "name", fmt.Sprintf("binding %q names the Secret of the catalogue's binding %q, which is not offered to %s", b.Name, n, env), ""
		}
	}
	return "", "", ""
}

// offeredTo reports whether the catalogue offers the service to env.
func (t BindingTarget) offeredTo(env Environment) bool {
	return len(t.Environments) == 0 || slices.Contains(t.Environments, env)
}

// offeredBindings lists the catalogue's bindings offered to env.
func (p *Platform) offeredBindings(env Environment) string {
	var names []string
	for _, n := range slices.Sorted(maps.Keys(p.Bindings)) {
		if p.Bindings[n].offeredTo(env) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "none (the catalogue offers nothing to " + string(env) + ")"
	}
	return strings.Join(names, ", ")
}

// ReservedSecrets are the Secrets the platform itself uses in app
// namespaces: no binding and no TLS Secret may name one. They are the
// registry push Secret and the git Secrets the build service account holds
// (build.registrySecret, build.gitCredentials), the Secret kpack signs builds with
// (controller.cosignSecret), the controller's webhook and GitOps
// credentials (controller.webhookSecret, controller.gitSecret) and every
// Secret the egress settings of the platform or of a builder mount into
// builds (CA bundles, mirror credentials). The list is sorted and has no
// duplicates.
func (p *Platform) ReservedSecrets() []string {
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" {
			seen[s] = true
		}
	}
	add(p.Build.RegistrySecret)
	for _, c := range p.Build.GitCredentials {
		add(c.Secret)
	}
	add(p.Controller.CosignSecret)
	add(p.Controller.WebhookSecret)
	add(p.Controller.GitSecret)
	for _, s := range p.BuildEnvironment("").Secrets {
		add(s)
	}
	for name := range p.Builders {
		for _, s := range p.BuildEnvironment(name).Secrets {
			add(s)
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func joinEnvList(envs []Environment) string {
	s := make([]string, len(envs))
	for i, e := range envs {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}
