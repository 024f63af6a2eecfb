package contract

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Parts of GitURLPattern.
const (
	gitHostPattern = `([^-/@:\s\[\]][^/@:\s\[\]]*|\[[0-9A-Fa-f:.]+\])`
	gitUserPattern = `[A-Za-z0-9._~][A-Za-z0-9._~-]*`
)

// Patterns shared by the Go validator and the generated JSON Schema, so that
// both read the same rule the same way. They are RE2 and ECMA-262 compatible
// (no look-around), because editors evaluate the schema in JavaScript.
const (
	IDPattern       = `^APP-[0-9]{4,59}$`
	DNSLabelPattern = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	FQDNPattern     = `^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	EnvNamePattern  = `^[A-Za-z_][A-Za-z0-9_]*$`
	// GitURLPattern accepts https://host/path, ssh://[user@]host[:port]/path
	// and user@host:path; no password, no other transport, no user or host
	// starting with - (an IPv6 host is written in brackets).
	GitURLPattern = `^(https://` + gitHostPattern + `(:[0-9]+)?/\S+|ssh://(` + gitUserPattern + `@)?` + gitHostPattern + `(:[0-9]+)?/\S+|` +
		gitUserPattern + `@[^-/@:\s\[\]][^/@:\s\[\]]*:[^-\s]\S*)$`
	// RefPattern and RefForbiddenPattern together are git's ref-name rules
	// (git check-ref-format --allow-onelevel) plus "must not start with -":
	// a ref must match the first and must not match the second.
	RefPattern          = `^[^-/.\s~^:?*\[\\\x00-\x1f\x7f][^\s~^:?*\[\\\x00-\x1f\x7f]*$`
	RefForbiddenPattern = `\.\.|@\{|//|/\.|\.lock/|\.lock$|\.$|/$|^@$`
	// RelPathPattern and RelPathForbiddenPattern describe a relative path
	// inside the source tree: not absolute, no backslash, no .. component,
	// no control characters.
	RelPathPattern          = `^[^/\\\s\x00-\x1f\x7f-\x9f` + "\u2028\u2029\ufeff" + `][^\\\x00-\x1f\x7f-\x9f` + "\u2028\u2029\ufeff" + `]*$`
	RelPathForbiddenPattern = `(^|/)\.\.(/|$)`
	// HealthPathPattern is an HTTP path: / then visible ASCII characters
	// (anything else must be percent-encoded).
	HealthPathPattern = `^/[!-~]*$`
)

var (
	idRE          = regexp.MustCompile(IDPattern)
	envNameRE     = regexp.MustCompile(EnvNamePattern)
	refRE         = regexp.MustCompile(RefPattern)
	refForbidRE   = regexp.MustCompile(RefForbiddenPattern)
	relPathRE     = regexp.MustCompile(RelPathPattern)
	relForbidRE   = regexp.MustCompile(RelPathForbiddenPattern)
	healthPathRE  = regexp.MustCompile(HealthPathPattern)
	maxRefLength  = 255
	reservedBuild = "CNB_"
	// reservedPlatformBuild prefixes the platform's build network variables (GOLDENPATH_MIRROR_*, their
	// _CREDENTIALS binding names, GOLDENPATH_CA_LAUNCH, ...): an app setting one could send the platform's mirror
	// credentials to a URL of its choice.
	reservedPlatformBuild = "GOLDENPATH_"
)

// Environment variables the platform sets itself: a request may not set
// them. PORT is spec.runtime.port; SERVICE_BINDING_ROOT is where bindings
// are projected (set by goldenpath or the Service Binding controller at run
// time, by kpack at build time).
const (
	envPort               = "PORT"
	envServiceBindingRoot = "SERVICE_BINDING_ROOT"
)

// Validate checks a request and returns every problem found, each with the
// field path and, for a loaded request, the file position. It does not
// change the request; call SetDefaults first, as Load does. The rules:
//
//   - apiVersion is goldenpath.io/v1 and kind is AppDeploymentRequest.
//   - id is APP- followed by 4 to 59 digits (APP-0001): it is the value of
//     the goldenpath.io/id label, at most 63 characters.
//   - environment is one of dev, test, staging, prod.
//   - owner, spec.build.builder and each binding's type are DNS-1123
//     labels: lower case letters, digits and -, at most 63.
//   - application names the Service (a DNS-1035 label: it starts with a
//     letter), the Deployment, Ingress, kpack Image and Argo CD Application,
//     and <application>-<environment> is the app.kubernetes.io/instance
//     label: at most 55 lower case letters, digits and -, starting with a
//     letter (MaxApplicationLength; the limit holds for every environment,
//     so a name survives promotion).
//   - binding names are DNS-1123 labels of at most 55 characters (the pod
//     volume binding-<name> is a DNS-1123 label; MaxBindingNameLength), and
//     unique.
//   - spec.source.git.url is required and is https://host/path,
//     ssh://[user@]host[:port]/path or user@host:path (scp-like). It never
//     carries a password or token, a query or a fragment; file://, http://,
//     git://, ext:: and every other transport are refused. No user, host or
//     path segment starts with - (git and ssh would read it as an option);
//     the host is a DNS name or an IP address, never written as a bare number
//     (2130706433), and never loopback, link-local, unspecified, multicast or
//     broadcast, whatever the platform (see giturl.go); the port is 1 to
//     65535.
//   - spec.source.git.branch and .revision are valid git ref names (git
//     check-ref-format) of at most 255 characters that do not start with -,
//     so they cannot be read as a command-line option.
//   - spec.source.git.subPath, spec.build.dockerfile.path and .context are
//     relative paths inside the source tree: not absolute, no .., no
//     backslash, no control characters, already clean (no ./ or //).
//   - spec.build.type is buildpack or dockerfile; builder is only for
//     buildpack builds and dockerfile only for dockerfile builds.
//   - environment variable names (spec.build.env, spec.runtime.env,
//     spec.build.dockerfile.args) match [A-Za-z_][A-Za-z0-9_]*; build env
//     names do not start with CNB_ (reserved by the buildpack lifecycle);
//     neither build nor runtime env sets SERVICE_BINDING_ROOT (where bindings
//     are projected); runtime env does not set PORT (use spec.runtime.port).
//     Values never hold a NUL character (a process environment cannot carry
//     one).
//   - spec.runtime.replicas is >= 0 (the platform's policy may demand more).
//   - spec.runtime.port is between 1 and 65535.
//   - spec.runtime.healthCheck.path starts with / and holds only visible
//     ASCII characters (percent-encode the rest).
//   - spec.runtime.resources.memory is a whole number of bytes of at least
//     6Mi: 512Mi, 1Gi, 1.5G or 536870912, never a milli (250m: a quarter of a
//     byte) or a bare small number (512: bytes, not MiB).
//   - spec.runtime.resources.cpu is a number of cores: whole millicores
//     (250m) or cores with at most three decimals (0.5, 1, 2); never a byte
//     suffix (512Mi) or a large decimal suffix (1k). See quantity.go.
//   - spec.ingress.host is a fully qualified, lower-case DNS name, and is
//     required when spec.ingress.enabled is true; TLS needs the ingress
//     enabled, and its secretName is a DNS-1123 subdomain.
//
// The platform's rules for the request's environment, and the rules across
// a set of requests, are (*Platform).Admit and AdmitAll.
func (r *AppDeploymentRequest) Validate() Errors {
	v := &validator{ix: r.ix, origin: r.origin}
	if r.APIVersion != APIVersion {
		v.add("apiVersion", fmt.Sprintf("unsupported apiVersion %q", r.APIVersion), "supported: "+strings.Join(SupportedAPIVersions, ", "))
	}
	if r.Kind != KindAppDeploymentRequest {
		v.add("kind", fmt.Sprintf("kind must be %s, not %q", KindAppDeploymentRequest, r.Kind), "")
	}
	switch {
	case r.ID == "":
		v.required("id", "for example APP-0001")
	case !idRE.MatchString(r.ID):
		v.add("id", fmt.Sprintf("%q is not a request id", r.ID), "use APP- and 4 to 59 digits, for example APP-0001")
	}
	switch {
	case r.Environment == "":
		v.required("environment", "one of "+joinEnvs())
	case !slices.Contains(Environments, r.Environment):
		v.add("environment", fmt.Sprintf("unsupported environment %q", r.Environment), "use one of "+joinEnvs())
	}
	v.dnsLabel("owner", r.Owner, true)
	appOK := v.application("application", r.Application)
	switch {
	case !v.written("spec"):
		v.required("spec", "spec.source.git.url at least")
	case !v.written("spec.source"):
		v.required("spec.source", "spec.source.git.url at least")
	default:
		app := r.Application
		if !appOK {
			app = "" // its problem is reported; names built from it would repeat it
		}
		r.Spec.validate(v, "spec", app)
	}
	return v.errs
}

// application checks the application name against every name rendered
// from it. It reports whether the name is good.
func (v *validator) application(p fieldPath, app string) bool {
	if app == "" {
		v.required(p, "a DNS-1035 label such as payments-api")
		return false
	}
	hint := fmt.Sprintf("use at most %d lower case letters, digits and -, starting with a letter and ending with a letter or digit", MaxApplicationLength)
	return v.renderedNames(p, app, hint, applicationNames(app))
}

func (s *Spec) validate(v *validator, p fieldPath, app string) {
	validateGit(v, p.Child("source").Child("git"), &s.Source.Git)
	s.Build.validate(v, p.Child("build"))
	s.Runtime.validate(v, p.Child("runtime"))
	s.Ingress.validate(v, p.Child("ingress"))
	seen := map[string]int{}
	for i, b := range s.Bindings {
		bp := p.Child("bindings").Index(i)
		v.dnsLabel(bp.Child("type"), b.Type, true)
		if v.dnsLabel(bp.Child("name"), b.Name, true) {
			hint := fmt.Sprintf("use at most %d lower case letters, digits and -", MaxBindingNameLength)
			checks := bindingNames(app, b.Name)
			if app == "" {
				checks = checks[:1] // the volume name only
			}
			v.renderedNames(bp.Child("name"), b.Name, hint, checks)
		}
		if first, dup := seen[b.Name]; dup && b.Name != "" {
			v.add(bp.Child("name"), fmt.Sprintf("binding name %q is already used by spec.bindings[%d]", b.Name, first), "binding names must be unique")
		} else {
			seen[b.Name] = i
		}
	}
}

func validateGit(v *validator, p fieldPath, g *GitSource) {
	if g.URL == "" {
		v.required(p.Child("url"), "for example https://github.com/org/app")
	} else if msg, hint := checkGitURL(g.URL); msg != "" {
		v.add(p.Child("url"), msg, hint)
	}
	v.ref(p.Child("branch"), g.Branch)
	v.ref(p.Child("revision"), g.Revision)
	v.relPath(p.Child("subPath"), g.SubPath)
}

func (b *Build) validate(v *validator, p fieldPath) {
	typ := b.Type
	if typ == "" {
		typ = DefaultBuildType
	}
	switch typ {
	case BuildTypeBuildpack:
		if b.Dockerfile != nil {
			v.add(p.Child("dockerfile"), "dockerfile settings need spec.build.type: dockerfile", "remove them, or set type: dockerfile")
		}
	case BuildTypeDockerfile:
		if b.Builder != "" {
			v.add(p.Child("builder"), "builder applies to buildpack builds only", "remove it, or set type: buildpack")
		}
	default:
		v.add(p.Child("type"), fmt.Sprintf("unsupported build type %q", b.Type), "use buildpack or dockerfile")
	}
	if b.Builder != "" {
		v.dnsLabel(p.Child("builder"), b.Builder, false)
	}
	v.envNames(p.Child("env"), b.Env, func(name string) (string, string) {
		switch {
		case strings.HasPrefix(name, reservedBuild):
			return "names starting with CNB_ are reserved by the buildpack lifecycle", "use a BP_ or application-specific name"
		case strings.HasPrefix(name, reservedPlatformBuild):
			return "names starting with GOLDENPATH_ are the platform's build network (mirrors, their credentials, CA trust): the platform sets them", "use a BP_ or application-specific name; ask the platform team for a mirror"
		case name == envServiceBindingRoot:
			return "SERVICE_BINDING_ROOT is set by the platform: it is where bindings are projected", "use spec.bindings"
		}
		return "", ""
	})
	if d := b.Dockerfile; d != nil {
		v.relPath(p.Child("dockerfile").Child("path"), d.Path)
		v.relPath(p.Child("dockerfile").Child("context"), d.Context)
		v.envNames(p.Child("dockerfile").Child("args"), d.Args, nil)
	}
}

func (r *Runtime) validate(v *validator, p fieldPath) {
	if r.Replicas != nil && *r.Replicas < 0 {
		v.add(p.Child("replicas"), "must be >= 0", "")
	}
	if r.Port != nil && (*r.Port < 1 || *r.Port > 65535) {
		v.add(p.Child("port"), fmt.Sprintf("port %d is out of range", *r.Port), "use 1 to 65535")
	}
	v.envNames(p.Child("env"), r.Env, func(name string) (string, string) {
		switch name {
		case envPort:
			return "PORT is set from spec.runtime.port", "set spec.runtime.port instead"
		case envServiceBindingRoot:
			return "SERVICE_BINDING_ROOT is set by the platform: it is where bindings are projected", "read it, do not set it; bindings are listed in spec.bindings"
		}
		return "", ""
	})
	if hc := r.HealthCheck; hc != nil {
		if hc.Path == "" {
			v.required(p.Child("healthCheck").Child("path"), "for example /healthz")
		} else if !healthPathRE.MatchString(hc.Path) {
			v.add(p.Child("healthCheck").Child("path"), fmt.Sprintf("%q is not an HTTP path", hc.Path), "start it with / and use visible ASCII characters only, percent-encoding the rest")
		}
	}
	v.bytes(p.Child("resources").Child("memory"), r.Resources.Memory, MinMemory, "6Mi")
	v.cpu(p.Child("resources").Child("cpu"), r.Resources.CPU)
}

func (in *Ingress) validate(v *validator, p fieldPath) {
	switch {
	case in.Host != "":
		if errs := validation.IsFullyQualifiedDomainName(nil, in.Host); len(errs) > 0 {
			v.add(p.Child("host"), fmt.Sprintf("%q is not a fully qualified domain name", in.Host), "use lower case names separated by dots, such as app.dev.example.com")
		}
	case in.Enabled:
		v.required(p.Child("host"), "an enabled ingress needs a host name")
	}
	if in.TLS != nil && in.TLS.Enabled {
		if !in.Enabled {
			v.add(p.Child("tls"), "TLS needs spec.ingress.enabled: true", "")
		}
		if n := in.TLS.SecretName; n != "" {
			if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
				v.add(p.Child("tls").Child("secretName"), fmt.Sprintf("%q is not a valid Secret name: %s", n, errs[0]), "")
			}
		}
	}
}

// validator collects problems and places them using the document's index.
type validator struct {
	ix     *index
	origin Position
	errs   Errors
}

func (v *validator) add(p fieldPath, msg, hint string) {
	pos := v.ix.locate(string(p))
	if pos == (Position{}) {
		pos = v.origin
	}
	v.errs = append(v.errs, &FieldError{Position: pos, Path: string(p), Message: msg, Hint: hint})
}

// written reports whether a loaded document has a value at path; for a
// request built in Go (no positions) it is always true.
func (v *validator) written(path string) bool {
	if v.ix == nil {
		return true
	}
	_, ok := v.ix.get(path)
	return ok
}

func (v *validator) required(p fieldPath, hint string) {
	v.add(p, "required field is missing", hint)
}

// dnsLabel checks a DNS-1123 label; it reports whether s is a good one.
func (v *validator) dnsLabel(p fieldPath, s string, required bool) bool {
	switch {
	case s == "":
		if required {
			v.required(p, "a DNS-1123 label such as payments-api")
		}
		return false
	case len(validation.IsDNS1123Label(s)) > 0:
		v.add(p, fmt.Sprintf("%q is not a DNS-1123 label", s), "use at most 63 lower case letters, digits and -, starting and ending with a letter or digit")
		return false
	}
	return true
}

func (v *validator) ref(p fieldPath, s string) {
	if s == "" {
		return
	}
	if len(s) > maxRefLength || !refRE.MatchString(s) || refForbidRE.MatchString(s) {
		v.add(p, fmt.Sprintf("%q is not a valid git ref name", s), "see git check-ref-format; it must not start with - or contain .., spaces, ~^:?*[\\ or @{")
	}
}

func (v *validator) relPath(p fieldPath, s string) {
	if s == "" {
		return
	}
	if !relPathRE.MatchString(s) || relForbidRE.MatchString(s) {
		v.add(p, fmt.Sprintf("%q must be a relative path inside the source tree", s), "no leading /, no .. and no backslashes")
		return
	}
	if clean := path.Clean(s); clean != s {
		v.add(p, fmt.Sprintf("%q is not a clean path", s), fmt.Sprintf("write %q", clean))
	}
}

// envNames checks the names and values of environment variables.
func (v *validator) envNames(p fieldPath, env map[string]string, extra func(string) (string, string)) {
	for _, name := range slices.Sorted(maps.Keys(env)) {
		switch {
		case !envNameRE.MatchString(name):
			v.add(p.Key(name), fmt.Sprintf("%q is not a valid variable name", name), "use letters, digits and _, not starting with a digit")
		case strings.ContainsRune(env[name], 0):
			v.add(p.Key(name), "value holds a NUL character, which no process environment can carry", "remove it")
		case extra != nil:
			if msg, hint := extra(name); msg != "" {
				v.add(p.Key(name), msg, hint)
			}
		}
	}
}

func joinEnvs() string {
	s := make([]string, len(Environments))
	for i, e := range Environments {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}
