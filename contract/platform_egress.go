package contract

import (
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Egress is how builds reach their dependencies: the platform's mirrors,
// the CA bundles builds (and, when asked, apps) trust and the HTTP proxy.
// It reaches a build the same way on every path (pack, Dagger, kpack): as
// platform environment variables and CNB bindings (/platform/bindings), read
// by the builder's buildpacks. See BuildEnvironment.
type Egress struct {
	// Mirrors the buildpacks fetch dependencies from.
	Mirrors *Mirrors `json:"mirrors,omitempty"`
	// CACertificates are CA bundles trusted by every build (TLS mirrors or proxies with a private CA) and, with launch, by the apps.
	CACertificates *CACertificates `json:"caCertificates,omitempty"`
	// Proxy is the HTTP proxy builds go through.
	Proxy *Proxy `json:"proxy,omitempty"`
}

// Mirrors are the dependency sources of each language, as an enterprise's
// Artifactory or Nexus serves them.
type Mirrors struct {
	// GoProxy is the Go module proxy (GOPROXY) for modules and Go toolchains; checksum verification stays on (the sum database is reached through the proxy).
	GoProxy *Mirror `json:"goProxy,omitempty"`
	// NpmRegistry is the npm registry (npm_config_registry).
	NpmRegistry *Mirror `json:"npmRegistry,omitempty"`
	// MavenRepository is the Maven repository every repository of a Maven or Gradle build is mirrored to.
	MavenRepository *Mirror `json:"mavenRepository,omitempty"`
	// GemSource is the gem source every Gemfile source is mirrored to.
	GemSource *Mirror `json:"gemSource,omitempty"`
	// PythonIndex is the Python package index (PEP 503 simple API) pip installs from.
	PythonIndex *Mirror `json:"pythonIndex,omitempty"`
}

// Mirror is one dependency source.
type Mirror struct {
	// URL of the mirror (http or https), without credentials.
	URL string `json:"url"`
	// CredentialsSecret names a Secret with username and password keys, mounted into builds as a binding; credentials never appear in the platform file or the GitOps tree.
	CredentialsSecret string `json:"credentialsSecret,omitempty"`
}

// CACertificates are the CA bundles builds trust.
type CACertificates struct {
	// Bundles of PEM certificates.
	Bundles []CABundle `json:"bundles"`
	// Launch also trusts the bundles at run time: the goldenpath/ca-certificates buildpack adds them to the app image (SSL_CERT_FILE and friends, a Java trust store). Default false: only builds trust them.
	Launch bool `json:"launch,omitempty"`
}

// CABundle is one CA bundle, named for each build path: a file for local
// builds (goldenpath build, Dagger) and a Secret for kpack.
type CABundle struct {
	// File is an absolute path to a PEM file on the machine that runs goldenpath build or the Dagger module.
	File string `json:"file,omitempty"`
	// Secret in the build namespace holding the PEM certificates and a key "type" with the value ca-certificates (the Kubernetes service binding layout); kpack mounts it into builds. kpack mounts only Secrets as build bindings, so a ConfigMap cannot be used.
	Secret string `json:"secret,omitempty"`
}

// Proxy is the HTTP proxy of builds.
type Proxy struct {
	// HTTPProxy for http:// URLs (HTTP_PROXY).
	HTTPProxy string `json:"httpProxy,omitempty"`
	// HTTPSProxy for https:// URLs (HTTPS_PROXY).
	HTTPSProxy string `json:"httpsProxy,omitempty"`
	// NoProxy lists hosts, domains and CIDRs reached directly (NO_PROXY), comma separated.
	NoProxy string `json:"noProxy,omitempty"`
	// Launch also sets the proxy variables in the app image. Default false: a build proxy is never baked into apps unless asked.
	Launch bool `json:"launch,omitempty"`
}

// The platform environment variables the goldenpath buildpacks read (see
// examples/builder/README.md). They are build-time only.
const (
	EnvMirrorGo     = "GOLDENPATH_MIRROR_GO"
	EnvMirrorNpm    = "GOLDENPATH_MIRROR_NPM"
	EnvMirrorMaven  = "GOLDENPATH_MIRROR_MAVEN"
	EnvMirrorGem    = "GOLDENPATH_MIRROR_GEM"
	EnvMirrorPython = "GOLDENPATH_MIRROR_PYTHON"
	// EnvCredentialsSuffix makes GOLDENPATH_MIRROR_<X>_CREDENTIALS: the name of the binding with the mirror's username and password.
	EnvCredentialsSuffix = "_CREDENTIALS"
	// EnvCALaunch is "true" when the CA bundles are also trusted at launch.
	EnvCALaunch = "GOLDENPATH_CA_LAUNCH"
	// EnvProxyLaunch is "true" when the proxy variables go into the app image.
	EnvProxyLaunch = "GOLDENPATH_PROXY_LAUNCH"
	// BindingTypeCA is the binding type of a CA bundle (as Paketo's ca-certificates buildpack reads it).
	BindingTypeCA = "ca-certificates"
)

// BuildEnvironment is a builder's Egress resolved into what a build
// gets: platform environment variables and bindings.
type BuildEnvironment struct {
	// Env are platform environment variables (pack's env, kpack's spec.build.env, /platform/env for the creator).
	Env map[string]string
	// CAFiles are the CA bundle files of local builds, each mounted as a binding of type ca-certificates.
	CAFiles []string
	// Secrets are the Secrets kpack mounts as build bindings (spec.build.services): CA bundles and mirror credentials, sorted.
	Secrets []string
	// MirrorCredentials are the mirrors' credentials Secrets (the bindings the buildpacks read username and password
	// from), each with the variable that names it (GOLDENPATH_MIRROR_<X>_CREDENTIALS; the first, sorted, when
	// several mirrors share one Secret).
	MirrorCredentials map[string]string
}

// EffectiveEgress is the platform's egress with the builder's
// overrides applied (each of mirrors, caCertificates and proxy the builder
// sets replaces the platform's; mirrors are replaced one by one).
func (p *Platform) EffectiveEgress(builder string) Egress {
	n := p.Egress
	b, ok := p.Builders[builder]
	if !ok || b.Egress == nil {
		return n
	}
	o := b.Egress
	if o.Mirrors != nil {
		m := Mirrors{}
		if n.Mirrors != nil {
			m = *n.Mirrors
		}
		for _, pair := range []struct{ dst, src **Mirror }{
			{&m.GoProxy, &o.Mirrors.GoProxy}, {&m.NpmRegistry, &o.Mirrors.NpmRegistry},
			{&m.MavenRepository, &o.Mirrors.MavenRepository}, {&m.GemSource, &o.Mirrors.GemSource},
			{&m.PythonIndex, &o.Mirrors.PythonIndex},
		} {
			if *pair.src != nil {
				*pair.dst = *pair.src
			}
		}
		n.Mirrors = &m
	}
	if o.CACertificates != nil {
		n.CACertificates = o.CACertificates
	}
	if o.Proxy != nil {
		n.Proxy = o.Proxy
	}
	return n
}

// BuildEnvironment resolves a builder's build network into platform
// environment variables, CA files (local builds) and Secrets (kpack).
func (p *Platform) BuildEnvironment(builder string) BuildEnvironment {
	n := p.EffectiveEgress(builder)
	out := BuildEnvironment{Env: map[string]string{}}
	secrets := map[string]bool{}
	if m := n.Mirrors; m != nil {
		for _, e := range m.list() {
			if e.m == nil {
				continue
			}
			out.Env[e.env] = e.m.URL
			if e.m.CredentialsSecret != "" {
				v := e.env + EnvCredentialsSuffix
				out.Env[v] = e.m.CredentialsSecret
				secrets[e.m.CredentialsSecret] = true
				if had, ok := out.MirrorCredentials[e.m.CredentialsSecret]; !ok || v < had {
					if out.MirrorCredentials == nil {
						out.MirrorCredentials = map[string]string{}
					}
					out.MirrorCredentials[e.m.CredentialsSecret] = v
				}
			}
		}
	}
	if c := n.CACertificates; c != nil && len(c.Bundles) > 0 {
		for _, b := range c.Bundles {
			if b.File != "" {
				out.CAFiles = append(out.CAFiles, b.File)
			}
			if b.Secret != "" {
				secrets[b.Secret] = true
			}
		}
		if c.Launch {
			out.Env[EnvCALaunch] = "true"
		}
	}
	if x := n.Proxy; x != nil {
		for k, v := range map[string]string{"HTTP_PROXY": x.HTTPProxy, "HTTPS_PROXY": x.HTTPSProxy, "NO_PROXY": x.NoProxy} {
			if v != "" {
				// Both spellings: curl reads only the lower-case http_proxy, Go and most tools either.
				out.Env[k] = v
				out.Env[strings.ToLower(k)] = v
			}
		}
		if x.Launch {
			out.Env[EnvProxyLaunch] = "true"
		}
	}
	for s := range secrets {
		out.Secrets = append(out.Secrets, s)
	}
	slices.Sort(out.Secrets)
	return out
}

type mirrorEntry struct {
	field, env string
	m          *Mirror
}

func (m *Mirrors) list() []mirrorEntry {
	return []mirrorEntry{
		{"goProxy", EnvMirrorGo, m.GoProxy}, {"npmRegistry", EnvMirrorNpm, m.NpmRegistry},
		{"mavenRepository", EnvMirrorMaven, m.MavenRepository}, {"gemSource", EnvMirrorGem, m.GemSource},
		{"pythonIndex", EnvMirrorPython, m.PythonIndex},
	}
}

// validateEgress checks the platform's build network and every
// builder's override. The rules:
//
//   - a mirror URL is an absolute http or https URL with a host, without
//     user info (credentials go in credentialsSecret), query or fragment;
//     credentialsSecret is a Kubernetes name;
//   - caCertificates has at least one bundle; each bundle names a file (an
//     absolute path) or a Secret (a Kubernetes name) or both;
//   - proxy URLs are http or https URLs with a host and without user info;
//     noProxy is a comma separated list without spaces;
//   - no value holds a control character (they become files and variables).
func (p *Platform) validateEgress(v *validator) {
	p.Egress.validate(v, fieldPath("egress"))
	for _, n := range slices.Sorted(maps.Keys(p.Builders)) {
		if b := p.Builders[n].Egress; b != nil {
			b.validate(v, fieldPath("builders").Key(n).Child("egress"))
		}
	}
}

func (n *Egress) validate(v *validator, p fieldPath) {
	if m := n.Mirrors; m != nil {
		for _, e := range m.list() {
			if e.m == nil {
				continue
			}
			mp := p.Child("mirrors").Child(e.field)
			v.networkURL(mp.Child("url"), e.m.URL, true, "the mirror's address, such as https://nexus.example.com/repository/maven-public/")
			v.subdomain(mp.Child("credentialsSecret"), e.m.CredentialsSecret)
		}
	}
	if c := n.CACertificates; c != nil {
		cp := p.Child("caCertificates")
		if len(c.Bundles) == 0 {
			v.required(cp.Child("bundles"), "at least one bundle with a file (local builds) or a secret (kpack)")
		}
		for i, b := range c.Bundles {
			bp := cp.Child("bundles").Index(i)
			if b.File == "" && b.Secret == "" {
				v.add(bp, "a CA bundle needs a file (local builds) or a secret (kpack), or both", "")
			}
			if b.File != "" {
				switch {
				case hasControl(b.File):
					v.add(bp.Child("file"), "the path holds a control character", "")
				case !filepath.IsAbs(b.File) || filepath.Clean(b.File) != b.File:
					v.add(bp.Child("file"), fmt.Sprintf("%q is not a clean absolute path", b.File), "for example /etc/ssl/certs/corporate-ca.pem")
				}
			}
			v.subdomain(bp.Child("secret"), b.Secret)
		}
	}
	if x := n.Proxy; x != nil {
		pp := p.Child("proxy")
		v.networkURL(pp.Child("httpProxy"), x.HTTPProxy, false, "")
		v.networkURL(pp.Child("httpsProxy"), x.HTTPSProxy, false, "")
		if hasControl(x.NoProxy) || strings.ContainsAny(x.NoProxy, " \t") {
			v.add(pp.Child("noProxy"), fmt.Sprintf("%q must be a comma separated list without spaces", x.NoProxy), "for example localhost,127.0.0.1,.svc,.cluster.local")
		}
		if x.HTTPProxy == "" && x.HTTPSProxy == "" {
			v.add(pp, "a proxy needs httpProxy or httpsProxy", "")
		}
	}
}

// networkURL checks a mirror or proxy URL.
func (v *validator) networkURL(p fieldPath, s string, required bool, hint string) {
	if s == "" {
		if required {
			v.required(p, hint)
		}
		return
	}
	if hasControl(s) {
		v.add(p, fmt.Sprintf("%s holds a control character", strconv.Quote(s)), "")
		return
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		v.add(p, fmt.Sprintf("%q is not a URL: %v", s, err), hint)
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(p, fmt.Sprintf("%q must be an http or https URL", s), hint)
	case u.Host == "":
		v.add(p, fmt.Sprintf("%q has no host", s), hint)
	case u.User != nil:
		v.add(p, fmt.Sprintf("%q holds credentials", redactURL(u)), "credentials would end up in the GitOps tree and in build logs: name a Secret in credentialsSecret instead")
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, " ,|"):
		v.add(p, fmt.Sprintf("%q must be a single URL without query, fragment, spaces, commas or |", s), hint)
	}
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = url.User("REDACTED")
	return c.String()
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}
