package contract

import (
	"fmt"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Patterns shared by the Go validator and the generated JSON Schema, so that
// both read the same rule the same way. They are RE2 and ECMA-262 compatible
// (no look-around), because editors evaluate the schema in JavaScript.
const (
	IDPattern       = `^APP-[0-9]{4,}$`
	DNSLabelPattern = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	FQDNPattern     = `^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	EnvNamePattern  = `^[A-Za-z_][A-Za-z0-9_]*$`
	// QuantityPattern is Kubernetes' quantity syntax without a sign: a
	// negative amount of memory or CPU means nothing.
	QuantityPattern = `^\+?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`
	// GitURLPattern accepts https://host/path, ssh://[user@]host[:port]/path
	// and user@host:path; no password, no other transport.
	GitURLPattern = `^(https://[^/@:\s]+(:[0-9]+)?/\S+|ssh://([A-Za-z0-9._-]+@)?[^/@:\s]+(:[0-9]+)?/\S+|[A-Za-z0-9._-]+@[^/@:\s]+:[^\s]+)$`
	// RefPattern and RefForbiddenPattern together are git's ref-name rules
	// (git check-ref-format --allow-onelevel) plus "must not start with -":
	// a ref must match the first and must not match the second.
	RefPattern          = `^[^-/.\s~^:?*\[\\\x00-\x1f\x7f][^\s~^:?*\[\\\x00-\x1f\x7f]*$`
	RefForbiddenPattern = `\.\.|@\{|//|/\.|\.lock/|\.lock$|\.$|/$|^@$`
	// RelPathPattern and RelPathForbiddenPattern describe a relative path
	// inside the source tree: not absolute, no backslash, no .. component.
	RelPathPattern          = `^[^/\\\s][^\\]*$`
	RelPathForbiddenPattern = `(^|/)\.\.(/|$)`
	HealthPathPattern       = `^/\S*$`
)

var (
	idRE          = regexp.MustCompile(IDPattern)
	envNameRE     = regexp.MustCompile(EnvNamePattern)
	quantityRE    = regexp.MustCompile(QuantityPattern)
	refRE         = regexp.MustCompile(RefPattern)
	refForbidRE   = regexp.MustCompile(RefForbiddenPattern)
	relPathRE     = regexp.MustCompile(RelPathPattern)
	relForbidRE   = regexp.MustCompile(RelPathForbiddenPattern)
	healthPathRE  = regexp.MustCompile(HealthPathPattern)
	scpLikeURLRE  = regexp.MustCompile(`^([A-Za-z0-9._-]+)@([^/@:\s]+):(\S+)$`)
	maxRefLength  = 255
	reservedBuild = "CNB_"
)

// Validate checks a request and returns every problem found, each with the
// field path and, for a loaded request, the file position. It does not
// change the request; call SetDefaults first, as Load does. The rules:
//
//   - apiVersion is goldenpath.io/v1 and kind is AppDeploymentRequest.
//   - id is APP- followed by at least four digits (APP-0001).
//   - environment is one of dev, test, staging, prod.
//   - owner, application, spec.build.builder and each binding's type and
//     name are DNS-1123 labels: lower case letters, digits and -, at most 63.
//   - spec.source.git.url is required and is https://host/path,
//     ssh://[user@]host[:port]/path or user@host:path (scp-like). It never
//     carries a password or token, a query or a fragment; file://, http://,
//     git://, ext:: and every other transport are refused.
//   - spec.source.git.branch and .revision are valid git ref names (git
//     check-ref-format) of at most 255 characters that do not start with -,
//     so they cannot be read as a command-line option.
//   - spec.source.git.subPath, spec.build.dockerfile.path and .context are
//     relative paths inside the source tree: not absolute, no .., no
//     backslash, already clean (no ./ or //).
//   - spec.build.type is buildpack or dockerfile; builder is only for
//     buildpack builds and dockerfile only for dockerfile builds.
//   - environment variable names (spec.build.env, spec.runtime.env,
//     spec.build.dockerfile.args) match [A-Za-z_][A-Za-z0-9_]*; build env
//     names do not start with CNB_ (reserved by the buildpack lifecycle);
//     runtime env does not set PORT (use spec.runtime.port).
//   - spec.runtime.replicas is >= 0 (the platform's policy may demand more).
//   - spec.runtime.port is between 1 and 65535.
//   - spec.runtime.healthCheck.path starts with / and has no white space.
//   - spec.runtime.resources.memory and .cpu are positive Kubernetes
//     quantities (512Mi, 1Gi, 250m, 1; "512MB" is not one).
//   - spec.ingress.host is a fully qualified, lower-case DNS name, and is
//     required when spec.ingress.enabled is true; TLS needs the ingress
//     enabled, and its secretName is a DNS-1123 subdomain.
//   - binding names are unique.
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
		v.add("id", fmt.Sprintf("%q is not a request id", r.ID), "use APP- and at least four digits, for example APP-0001")
	}
	switch {
	case r.Environment == "":
		v.required("environment", "one of "+joinEnvs())
	case !slices.Contains(Environments, r.Environment):
		v.add("environment", fmt.Sprintf("unsupported environment %q", r.Environment), "use one of "+joinEnvs())
	}
	v.dnsLabel("owner", r.Owner, true)
	v.dnsLabel("application", r.Application, true)
	switch {
	case !v.written("spec"):
		v.required("spec", "spec.source.git.url at least")
	case !v.written("spec.source"):
		v.required("spec.source", "spec.source.git.url at least")
	default:
		r.Spec.validate(v, "spec", r.Application)
	}
	return v.errs
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
		v.dnsLabel(bp.Child("name"), b.Name, true)
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

// checkGitURL returns what is wrong with a git URL, or "" when nothing is.
func checkGitURL(raw string) (msg, hint string) {
	const use = "use https://host/org/repo, ssh://git@host/org/repo or git@host:org/repo.git"
	if i := strings.Index(raw, "::"); i >= 0 && !strings.Contains(raw[:i], "/") {
		return fmt.Sprintf("git remote helper transport %q is not allowed", raw[:i+2]), use
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "git URL must not contain spaces or control characters", use
	}
	if m := scpLikeURLRE.FindStringSubmatch(raw); m != nil && !strings.Contains(raw, "://") {
		return "", ""
	}
	scheme, _, found := strings.Cut(raw, "://")
	if !found {
		return fmt.Sprintf("%q is not a git URL", raw), use
	}
	switch strings.ToLower(scheme) {
	case "https", "ssh":
	default:
		return fmt.Sprintf("transport %s:// is not allowed", scheme), use
	}
	if scheme != strings.ToLower(scheme) {
		return fmt.Sprintf("write the scheme in lower case: %s://", strings.ToLower(scheme)), ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("invalid git URL: %v", err), use
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); hasPassword || scheme == "https" {
			return "git URL must not carry credentials", "give the platform a git credential secret instead"
		}
	}
	if u.Hostname() == "" {
		return "git URL has no host", use
	}
	if strings.Trim(u.Path, "/") == "" {
		return "git URL has no repository path", use
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#") {
		return "git URL must not have a query or fragment", "pin a commit with spec.source.git.revision"
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("invalid port %q", port), use
		}
	}
	return "", ""
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
		if strings.HasPrefix(name, reservedBuild) {
			return "names starting with CNB_ are reserved by the buildpack lifecycle", "use a BP_ or application-specific name"
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
		if name == "PORT" {
			return "PORT is set from spec.runtime.port", "set spec.runtime.port instead"
		}
		return "", ""
	})
	if hc := r.HealthCheck; hc != nil {
		if hc.Path == "" {
			v.required(p.Child("healthCheck").Child("path"), "for example /healthz")
		} else if !healthPathRE.MatchString(hc.Path) {
			v.add(p.Child("healthCheck").Child("path"), fmt.Sprintf("%q is not an HTTP path", hc.Path), "start it with / and leave out spaces")
		}
	}
	v.quantity(p.Child("resources").Child("memory"), r.Resources.Memory)
	v.quantity(p.Child("resources").Child("cpu"), r.Resources.CPU)
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
	_, ok := v.ix.values[path]
	return ok
}

func (v *validator) required(p fieldPath, hint string) {
	v.add(p, "required field is missing", hint)
}

func (v *validator) dnsLabel(p fieldPath, s string, required bool) {
	switch {
	case s == "":
		if required {
			v.required(p, "a DNS-1123 label such as payments-api")
		}
	case len(validation.IsDNS1123Label(s)) > 0:
		v.add(p, fmt.Sprintf("%q is not a DNS-1123 label", s), "use at most 63 lower case letters, digits and -, starting and ending with a letter or digit")
	}
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

func (v *validator) envNames(p fieldPath, env map[string]string, extra func(string) (string, string)) {
	for _, name := range slices.Sorted(maps.Keys(env)) {
		switch {
		case !envNameRE.MatchString(name):
			v.add(p.Key(name), fmt.Sprintf("%q is not a valid variable name", name), "use letters, digits and _, not starting with a digit")
		case extra != nil:
			if msg, hint := extra(name); msg != "" {
				v.add(p.Key(name), msg, hint)
			}
		}
	}
}

func (v *validator) quantity(p fieldPath, q Quantity) {
	if q == "" {
		return
	}
	parsed, err := q.Parse()
	switch {
	case err != nil || !quantityRE.MatchString(string(q)):
		v.add(p, fmt.Sprintf("%q is not a Kubernetes quantity", string(q)), "use a number with an optional suffix such as 512Mi, 1Gi, 250m or 1")
	case parsed.Sign() <= 0:
		v.add(p, fmt.Sprintf("must be greater than zero, not %s", string(q)), "")
	}
}

func joinEnvs() string {
	s := make([]string, len(Environments))
	for i, e := range Environments {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}
