package contract

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The build service account's credentials, in kpack's format (kpack
// docs/secrets.md): the registry Secret (build.registrySecret) and one git
// Secret per private git server (build.gitCredentials). goldenpath renders
// the service account that lists them in every build namespace; the
// Secrets themselves hold credentials and are the platform team's to
// create (sealed, from a vault, by hand): they never appear in the platform
// file or the GitOps tree. CheckBuildSecret checks a Secret's shape against
// the platform, for `goldenpath platform check-secret`.

// GitCredential is one git server kpack authenticates to when it clones a
// request's spec.source.git.url.
type GitCredential struct {
	// Secret in every environment namespace (and build.namespace) holding the credentials. For an https:// server: type kubernetes.io/basic-auth with keys username and password (an access token as password). For a git@ server: type kubernetes.io/ssh-auth with key ssh-privatekey and, recommended, known_hosts. Either way annotated kpack.io/git with the value of server, which is how kpack finds it.
	Secret string `json:"secret"`
	// Server is the git server the Secret is for, as kpack matches it against the host (and port) of a repository URL: https://HOST[:PORT] (or http://) for basic auth, git@HOST[:PORT] for SSH (URLs ssh://git@HOST/... and git@HOST:path).
	Server string `json:"server"`
}

// GitSecretAnnotation is the annotation kpack finds git Secrets by; its
// value is the server (GitCredential.Server).
const GitSecretAnnotation = "kpack.io/git"

// SSH reports whether the credential is an SSH key (a git@ server).
func (c GitCredential) SSH() bool { return strings.HasPrefix(c.Server, "git@") }

// SecretType is the type of Secret kpack reads the credential from.
func (c GitCredential) SecretType() corev1.SecretType {
	if c.SSH() {
		return corev1.SecretTypeSSHAuth
	}
	return corev1.SecretTypeBasicAuth
}

// gitServerHint is what every build.gitCredentials[].server problem suggests.
const gitServerHint = "use https://HOST[:PORT] for a basic-auth Secret or git@HOST[:PORT] for an ssh-auth Secret, as in its kpack.io/git annotation"

// gitServerProblem says what is wrong with a git credential's server, or "".
func gitServerProblem(s string) string {
	var hostport string
	switch {
	case strings.HasPrefix(s, "https://"):
		hostport = strings.TrimPrefix(s, "https://")
	case strings.HasPrefix(s, "http://"):
		hostport = strings.TrimPrefix(s, "http://")
	case strings.HasPrefix(s, "git@"):
		hostport = strings.TrimPrefix(s, "git@")
	default:
		return fmt.Sprintf("%q names no transport kpack matches", s)
	}
	hostport = strings.TrimSuffix(hostport, "/")
	if strings.ContainsAny(hostport, "/@?#") || strings.ContainsFunc(hostport, isSpaceOrControl) {
		return fmt.Sprintf("%q must be a server only (no path, user, query or spaces): kpack compares it with a repository URL's host", s)
	}
	host, port := hostport, ""
	if i := strings.LastIndex(hostport, ":"); i >= 0 && !strings.HasSuffix(hostport, "]") {
		host, port = hostport[:i], hostport[i+1:]
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return fmt.Sprintf("%q has no host", s)
	}
	if strings.HasPrefix(host, "-") {
		return fmt.Sprintf("host %q starts with -", host)
	}
	if msg := checkHost(host); msg != "" {
		return msg
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("invalid port %q", port)
		}
	}
	return ""
}

// validateGitCredentials checks build.gitCredentials: names, servers, and
// that no Secret or server is listed twice (kpack would pick one of two
// Secrets for a server by name, silently) and no git Secret is the
// registry's (the two have different types).
func (p *Platform) validateGitCredentials(v *validator) {
	base := fieldPath("build").Child("gitCredentials")
	secrets, servers := map[string]int{}, map[string]int{}
	for i, c := range p.Build.GitCredentials {
		at := base.Index(i)
		if c.Secret == "" {
			v.required(at.Child("secret"), "the name of a kubernetes.io/basic-auth or kubernetes.io/ssh-auth Secret")
		} else {
			v.subdomain(at.Child("secret"), c.Secret)
			if j, dup := secrets[c.Secret]; dup {
				v.add(at.Child("secret"), fmt.Sprintf("Secret %q is already listed in build.gitCredentials[%d]", c.Secret, j), "a Secret holds the credentials of one server")
			}
			if c.Secret == p.Build.RegistrySecret {
				v.add(at.Child("secret"), fmt.Sprintf("Secret %q is the registry Secret (build.registrySecret)", c.Secret), "git credentials need a Secret of their own: kubernetes.io/basic-auth or kubernetes.io/ssh-auth, not kubernetes.io/dockerconfigjson")
			}
			secrets[c.Secret] = i
		}
		switch {
		case c.Server == "":
			v.required(at.Child("server"), gitServerHint)
		case gitServerProblem(c.Server) != "":
			v.add(at.Child("server"), gitServerProblem(c.Server), gitServerHint)
		default:
			key := strings.ToLower(strings.TrimSuffix(c.Server, "/"))
			if j, dup := servers[key]; dup {
				v.add(at.Child("server"), fmt.Sprintf("server %q already has a Secret in build.gitCredentials[%d]", c.Server, j), "kpack would use one of the two Secrets, chosen by name: keep one")
			}
			servers[key] = i
		}
	}
}

// CheckBuildSecret checks a Secret the build service account lists
// against what kpack and the platform expect of it: the registry Secret
// (build.registrySecret: kubernetes.io/dockerconfigjson with an entry for
// the platform's registry host) or a git Secret (build.gitCredentials:
// type, kpack.io/git annotation, keys). It never prints a credential. A
// Secret the platform does not name is an error too.
func (p *Platform) CheckBuildSecret(s *corev1.Secret) Errors {
	v := &validator{}
	if s.Name == p.Build.RegistrySecret {
		p.checkRegistrySecret(v, s)
		return v.errs
	}
	for _, c := range p.Build.GitCredentials {
		if c.Secret == s.Name {
			checkGitSecret(v, c, s)
			return v.errs
		}
	}
	v.add("metadata.name", fmt.Sprintf("Secret %q is not one the platform's build service account lists", s.Name), fmt.Sprintf("the registry Secret is %q; git Secrets are named in build.gitCredentials", p.Build.RegistrySecret))
	return v.errs
}

// secretValue is a Secret key's value, from data or stringData.
func secretValue(s *corev1.Secret, key string) ([]byte, bool) {
	if b, ok := s.Data[key]; ok {
		return b, true
	}
	if v, ok := s.StringData[key]; ok {
		return []byte(v), true
	}
	return nil, false
}

func (p *Platform) checkRegistrySecret(v *validator, s *corev1.Secret) {
	const key = corev1.DockerConfigJsonKey
	if s.Type != corev1.SecretTypeDockerConfigJson {
		v.add("type", fmt.Sprintf("registry Secret %q has type %q", s.Name, s.Type), "use type kubernetes.io/dockerconfigjson: kubectl create secret docker-registry "+s.Name+" --docker-server=HOST --docker-username=USER --docker-password=PASSWORD")
	}
	raw, ok := secretValue(s, key)
	if !ok {
		v.add(keyPath("data", key), "missing", "the Secret's docker config: {\"auths\": {\"HOST\": {\"auth\": \"<base64 of user:password>\"}}}")
		return
	}
	cfg, err := ParseDockerConfig(raw)
	if err != nil {
		v.add(keyPath("data", key), err.(*FieldError).Message, "")
		return
	}
	host, _, _ := strings.Cut(p.Registry, "/")
	a, found := cfg.Auths[host]
	if !found {
		v.add(keyPath("data", key).Child("auths"), fmt.Sprintf("no entry for the platform's registry host %s", host), "kpack pushes to "+p.Registry+"/<env>/<app> with this Secret: add an auths entry for "+host)
		return
	}
	if a.Problem != "" {
		at := keyPath(string(keyPath("data", key).Child("auths")), a.Server)
		if a.ProblemField != "" {
			at = at.Child(a.ProblemField)
		}
		v.add(at, a.Problem, "give auth (base64 of user:password), username and password, or a token")
	}
}

func checkGitSecret(v *validator, c GitCredential, s *corev1.Secret) {
	want := c.SecretType()
	if s.Type != want {
		v.add("type", fmt.Sprintf("git Secret %q has type %q; kpack reads credentials for %s only from a Secret of type %s", s.Name, s.Type, c.Server, want), "")
	}
	if got := s.Annotations[GitSecretAnnotation]; got != c.Server {
		hint := fmt.Sprintf("kpack finds it by that annotation: kubectl annotate secret %s %s=%s", s.Name, GitSecretAnnotation, c.Server)
		if got == "" {
			v.add(keyPath("metadata.annotations", GitSecretAnnotation), "missing", hint)
		} else {
			v.add(keyPath("metadata.annotations", GitSecretAnnotation), fmt.Sprintf("is %q, but build.gitCredentials names the server %q", got, c.Server), hint)
		}
	}
	keys := []string{corev1.BasicAuthUsernameKey, corev1.BasicAuthPasswordKey}
	if c.SSH() {
		keys = []string{corev1.SSHAuthPrivateKey}
	}
	for _, k := range keys {
		if b, ok := secretValue(s, k); !ok || len(b) == 0 {
			v.add(keyPath("data", k), "missing or empty", fmt.Sprintf("a %s Secret needs %s", want, strings.Join(keys, " and ")))
		}
	}
}

// keyPath addresses a map entry whose key has dots or slashes
// (data[.dockerconfigjson], metadata.annotations[kpack.io/git]).
func keyPath(p, key string) fieldPath { return fieldPath(p + "[" + key + "]") }
