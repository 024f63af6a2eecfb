package contract

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// The platform's rules on where things go: the registry, each environment's
// cluster, namespace, GitOps repository and layout, and what environments
// may share. They are part of (*Platform).Validate; its doc comment lists
// them.

// TreeFolders are the top folders of the GitOps tree that goldenpath writes
// besides the applications' folders: argocd/ (the Argo CD Applications) and
// platform/ (the platform's objects). No application folder may be in them.
var TreeFolders = []string{"argocd", "platform"}

// Namespaces no environment may deploy applications to: Kubernetes' own.
// The platform's build and Argo CD namespaces are refused too.
var systemNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// registry checks the platform's registry prefix: an explicit registry host
// (a DNS name with a dot, localhost or an IP address, and a port from 1 to
// 65535), then path components, without scheme, tag or digest; and the
// longest image reference rendered from it must be valid.
func (v *validator) registry(p fieldPath, reg string) {
	if reg == "" {
		v.required(p, "for example registry.example.com/apps")
		return
	}
	if msg := registryProblem(reg); msg != "" {
		v.add(p, fmt.Sprintf("%q is not an image repository: %s", reg, msg), "write host[:port]/path, such as registry.example.com/apps or 127.0.0.1:5000/apps")
		return
	}
	// The longest repository a request can render: the longest environment
	// and application, plus the build cache's -cache.
	longest := strings.TrimSuffix(reg, "/") + "/" + string(longestEnvironment()) + "/" + strings.Repeat("a", MaxApplicationLength) + "-cache"
	if len(longest) > maxRepositoryLength {
		v.add(p, fmt.Sprintf("%q is too long: image repositories under it can reach %d characters, more than registries accept (%d)", reg, len(longest), maxRepositoryLength), "use a shorter registry prefix")
		return
	}
	if _, err := name.NewTag(longest+":latest", name.StrictValidation); err != nil {
		v.add(p, fmt.Sprintf("%q makes invalid image references such as %s: %v", reg, longest, err), "")
	}
}

// maxRepositoryLength is the longest repository name (host and path) the
// distribution specification lets registries accept.
const maxRepositoryLength = 255

// registryProblem says what is wrong with a repository prefix, or "".
func registryProblem(reg string) string {
	switch {
	case strings.Contains(reg, "://"):
		return "it must not have a scheme (plain HTTP is set per registry host, not in the name)"
	case strings.Contains(reg, "//"), strings.HasPrefix(reg, "/"):
		return "it has an empty path component"
	case strings.ContainsAny(reg, "@"):
		return "it must not have a digest"
	}
	host, _, _ := strings.Cut(reg, "/")
	if msg := registryHostProblem(host); msg != "" {
		return msg
	}
	repo, err := name.NewRepository(strings.TrimSuffix(reg, "/"), name.StrictValidation)
	if err != nil {
		return err.Error()
	}
	if repo.RegistryStr() != host && host != name.DefaultRegistry {
		return fmt.Sprintf("%q is not a registry host: name one explicitly, such as registry.example.com", host)
	}
	return ""
}

// registryHostProblem checks a registry host[:port].
func registryHostProblem(hostport string) string {
	if hostport == "" {
		return "it has no registry host"
	}
	u, err := url.Parse("//" + hostport)
	if err != nil || u.Host != hostport || u.User != nil {
		return fmt.Sprintf("%q is not a registry host[:port]", hostport)
	}
	if port := u.Port(); port != "" || strings.HasSuffix(hostport, ":") {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("port %q of %s is not from 1 to 65535", port, hostport)
		}
	}
	if strings.HasPrefix(u.Hostname(), "-") {
		return fmt.Sprintf("registry host %q starts with -", u.Hostname())
	}
	return checkHost(u.Hostname())
}

// validateTargets checks where environment env deploys: the cluster, the
// namespace, the GitOps repository and the layout of its folders.
func (e EnvironmentConfig) validateTargets(v *validator, p fieldPath, env Environment, pl *Platform) {
	if e.Cluster != "" {
		if msg := clusterProblem(e.Cluster); msg != "" {
			v.add(p.Child("cluster"), fmt.Sprintf("%q is not a Kubernetes API server URL: %s", e.Cluster, msg), "use https://host[:port], such as "+DefaultCluster)
		}
	}
	if ns := e.Namespace; ns != "" && (slices.Contains(systemNamespaces, ns) || ns == pl.Build.Namespace || ns == pl.ArgoCD.Namespace) {
		v.add(p.Child("namespace"), fmt.Sprintf("namespace %q belongs to the platform or to Kubernetes, not to applications", ns), "give the environment a namespace of its own")
	}
	if e.GitOps.RepoURL != "" {
		if msg, hint := checkRepoURL(e.GitOps.RepoURL); msg != "" {
			v.add(p.Child("gitops").Child("repoURL"), msg, hint)
		}
	}
	if e.GitOps.Path != "" {
		if _, msg := parseGitOpsPath(e.GitOps.Path); msg != "" {
			v.add(p.Child("gitops").Child("path"), fmt.Sprintf("%q %s", e.GitOps.Path, msg), "use a relative path of plain folder names with {environment} and {application} as whole folders, such as "+DefaultGitOpsPath)
		}
	}
}

// clusterProblem says what is wrong with an Argo CD destination server, or "".
func clusterProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return err.Error()
	case u.Scheme != "https":
		return "the scheme must be https"
	case u.User != nil:
		return "it must not carry credentials (Argo CD holds them in its cluster Secret)"
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.Opaque != "":
		return "it must not have a query or fragment"
	}
	return registryHostProblem(u.Host)
}

// parseGitOpsPath splits a GitOps path template into its folders. Each is
// {environment}, {application} or a plain name ([A-Za-z0-9_-], dots inside);
// {application} appears once and {environment} at most once. The path is
// relative and clean, and does not start in one of TreeFolders. Whether two
// environments' paths can collide is mayCollide's question: every
// environment writes into one GitOps tree.
func parseGitOpsPath(tmpl string) (folders []string, msg string) {
	if strings.HasPrefix(tmpl, "/") || strings.HasSuffix(tmpl, "/") || strings.Contains(tmpl, "\\") {
		return nil, "must be a relative path without leading or trailing / or \\"
	}
	counts := map[string]int{}
	for _, f := range strings.Split(tmpl, "/") {
		switch {
		case f == "{environment}" || f == "{application}":
			counts[f]++
		case f == "":
			return nil, "has an empty folder name (//)"
		case strings.HasPrefix(f, "."):
			return nil, fmt.Sprintf("has the folder %q: folder names must not start with a dot (., .., .git, hidden folders)", f)
		case strings.ContainsAny(f, "{}"):
			return nil, fmt.Sprintf("has the folder %q: {environment} and {application} must each be a whole folder name", f)
		case strings.TrimLeft(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != "":
			return nil, fmt.Sprintf("has the folder %q: use letters, digits, _, - and .", f)
		}
		folders = append(folders, f)
	}
	switch {
	case counts["{application}"] != 1:
		return nil, "must contain {application} exactly once, as a whole folder: every application needs a folder of its own"
	case counts["{environment}"] > 1:
		return nil, "must contain {environment} at most once"
	case slices.Contains(TreeFolders, folders[0]):
		return nil, fmt.Sprintf("must not start in %s/, which goldenpath writes itself", folders[0])
	}
	return folders, ""
}

// mayCollide reports whether the folder of some application in environment
// ea (template a) can be the folder of some application in eb (template b),
// or contain it.
func mayCollide(a []string, ea Environment, b []string, eb Environment) bool {
	if len(a) > len(b) {
		a, ea, b, eb = b, eb, a, ea
	}
	for i := range a {
		if !folderMayMatch(a[i], ea, b[i], eb) {
			return false
		}
	}
	return true
}

// folderMayMatch reports whether folder x of a path in environment ex can
// equal folder y of a path in ey.
func folderMayMatch(x string, ex Environment, y string, ey Environment) bool {
	resolve := func(f string, e Environment) (string, bool) { // the folder's value when it is fixed
		switch f {
		case "{environment}":
			return string(e), true
		case "{application}":
			return "", false
		}
		return f, true
	}
	vx, fixedX := resolve(x, ex)
	vy, fixedY := resolve(y, ey)
	switch {
	case fixedX && fixedY:
		return vx == vy
	case fixedX:
		return validApplication(vx)
	case fixedY:
		return validApplication(vy)
	}
	return true
}

// validApplication reports whether s is a valid application name.
func validApplication(s string) bool {
	v := &validator{}
	return v.application("application", s)
}

// validateShared checks what environments may not share: a namespace on a
// cluster (two Argo CD Applications would own the same objects), an ingress
// domain, an Argo CD project, and GitOps folders.
func (p *Platform) validateShared(v *validator) {
	envs := p.EnvironmentNames()
	for i, a := range envs {
		ca := p.Environments[Environment(a)]
		for _, b := range envs[:i] {
			cb := p.Environments[Environment(b)]
			at := fieldPath("environments").Key(a)
			switch {
			case ca.Namespace != "" && ca.Namespace == cb.Namespace && ca.Cluster == cb.Cluster:
				v.add(at.Child("namespace"), fmt.Sprintf("namespace %q of cluster %s is also %s's", ca.Namespace, ca.Cluster, b), "each environment needs a namespace of its own: two Argo CD Applications would own the same objects")
			case ca.IngressDomain != "" && ca.IngressDomain == cb.IngressDomain:
				v.add(at.Child("ingressDomain"), fmt.Sprintf("ingress domain %q is also %s's", ca.IngressDomain, b), "each environment needs a domain of its own")
			case ca.ArgoProject != "" && ca.ArgoProject == cb.ArgoProject:
				v.add(at.Child("argoProject"), fmt.Sprintf("Argo CD project %q is also %s's", ca.ArgoProject, b), "each environment needs a project of its own: the project lists the environment's destination")
			}
			fa, errA := parseGitOpsPath(ca.GitOps.Path)
			fb, errB := parseGitOpsPath(cb.GitOps.Path)
			if errA == "" && errB == "" && mayCollide(fa, Environment(a), fb, Environment(b)) {
				v.add(at.Child("gitops").Child("path"), fmt.Sprintf("%q can give an application of %s the folder of an application of %s (%q), or a folder around it", ca.GitOps.Path, a, b, cb.GitOps.Path), "give each environment's path a folder of its own, such as {environment}")
			}
		}
	}
}

// validateCatalogue checks the binding catalogue and the policies that
// open it.
func (p *Platform) validateCatalogue(v *validator) {
	reserved := p.ReservedSecrets()
	for _, n := range slices.Sorted(maps.Keys(p.Bindings)) {
		bp := fieldPath("bindings").Key(n)
		t := p.Bindings[n]
		if slices.Contains(reserved, t.Secret) {
			v.add(bp.Child("secret"), fmt.Sprintf("Secret %q is one of the platform's own", t.Secret), "a binding must never hand the platform's credentials to an application")
		}
		if slices.Contains(reserved, n) {
			v.add(bp, fmt.Sprintf("binding name %q is one of the platform's own Secrets", n), "")
		}
		if len(n) > MaxBindingNameLength {
			v.add(bp, fmt.Sprintf("binding name %q is longer than %d characters, which no request can name", n, MaxBindingNameLength), "")
		}
		for i, e := range t.Environments {
			if _, ok := p.Environments[e]; !ok {
				v.add(bp.Child("environments").Index(i), fmt.Sprintf("platform has no environment %q", e), "use one of "+strings.Join(p.EnvironmentNames(), ", "))
			}
		}
	}
	for _, env := range p.EnvironmentNames() {
		pol := p.Environments[Environment(env)].Policy
		if pol.RequireCatalogBindings && pol.AllowUncataloguedBindings {
			v.add(fieldPath("environments").Key(env).Child("policy").Child("allowUncataloguedBindings"), "contradicts requireCatalogBindings", "remove requireCatalogBindings: it is deprecated, the catalogue is required unless allowUncataloguedBindings is set")
		}
	}
}
