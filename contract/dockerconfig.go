package contract

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// DockerConfig is a Docker config.json (what `docker login` writes, and
// the .dockerconfigjson key of a kubernetes.io/dockerconfigjson Secret):
// its credentials by registry host.
type DockerConfig struct {
	// Auths are the auths entries by registry host (a key written as a URL,
	// https://index.docker.io/v1/, is filed under its host).
	Auths map[string]DockerConfigAuth
	// Helpers says the config names credential helpers (credsStore,
	// credHelpers), whose credentials are not in the file.
	Helpers bool
}

// DockerConfigAuth is one auths entry, decoded.
type DockerConfigAuth struct {
	// Server is the entry's key as written.
	Server string
	// Username and Password (from auth, or written out).
	Username, Password string
	// IdentityToken and RegistryToken are token credentials.
	IdentityToken, RegistryToken string
	// Problem says what is wrong with the entry, "" when nothing is: the
	// field (auth, or "" for the entry) and the message.
	ProblemField, Problem string
}

// ParseDockerConfig reads a Docker config.json. Errors never quote it: it
// holds credentials.
func ParseDockerConfig(data []byte) (*DockerConfig, error) {
	var raw struct {
		Auths map[string]struct {
			Auth          string `json:"auth"`
			Username      string `json:"username"`
			Password      string `json:"password"`
			IdentityToken string `json:"identitytoken"`
			RegistryToken string `json:"registrytoken"`
		} `json:"auths"`
		CredsStore  string            `json:"credsStore"`
		CredHelpers map[string]string `json:"credHelpers"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &FieldError{Message: "not a docker config (JSON): " + strings.SplitN(err.Error(), "\n", 2)[0]}
	}
	cfg := &DockerConfig{Auths: map[string]DockerConfigAuth{}, Helpers: raw.CredsStore != "" || len(raw.CredHelpers) > 0}
	for server, a := range raw.Auths {
		e := DockerConfigAuth{Server: server, Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
		if a.Auth != "" {
			dec, err := base64.StdEncoding.DecodeString(a.Auth)
			user, pw, ok := strings.Cut(string(dec), ":")
			if err != nil || !ok {
				e.ProblemField, e.Problem = "auth", "is not the base64 of user:password"
			}
			e.Username, e.Password = user, pw
		}
		if e.Problem == "" && (e.Username == "" || e.Password == "") && e.IdentityToken == "" && e.RegistryToken == "" {
			e.Problem = "has no credentials"
		}
		cfg.Auths[dockerConfigHost(server)] = e
	}
	return cfg, nil
}

// dockerConfigHost is the registry host a docker config's auths key names:
// keys may be a host[:port] or a URL (https://index.docker.io/v1/).
func dockerConfigHost(server string) string {
	server = strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://")
	host, _, _ := strings.Cut(server, "/")
	return host
}
