package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
)

// Registry credentials reach every function of the module as Dagger
// secrets, never as plain arguments: --docker-config (a Docker config.json,
// what `docker login` writes, with an auths entry per registry host, e.g.
// --docker-config=file://$HOME/.docker/config.json or env://DOCKER_AUTH_CONFIG)
// and/or --username with --password (a secret) for the registry of the
// image the function writes or reads. Each registry gets only its own
// credentials; every other registry is anonymous. Credential helpers
// (credsStore, credHelpers) cannot run inside the module: give inline auths
// (e.g. `docker-credential-ecr-login get` turned into an auths entry by CI).

// registryCredentials are the basic-auth credentials by registry host.
type registryCredentials map[string]authn.AuthConfig

// readRegistryCredentials reads the Docker config secret and adds
// username/password for image's registry (they win over the config's entry
// for that host).
func readRegistryCredentials(ctx context.Context, dockerConfig *dagger.Secret, image, username string, password *dagger.Secret) (registryCredentials, error) {
	creds := registryCredentials{}
	if dockerConfig != nil {
		text, err := dockerConfig.Plaintext(ctx)
		if err != nil {
			return nil, err
		}
		if err := creds.parseDockerConfig([]byte(text)); err != nil {
			return nil, err
		}
	}
	if password != nil {
		ref, err := name.ParseReference(image)
		if err != nil {
			return nil, fmt.Errorf("image %q: %w", image, err)
		}
		pw, err := password.Plaintext(ctx)
		if err != nil {
			return nil, err
		}
		creds[ref.Context().RegistryStr()] = authn.AuthConfig{Username: username, Password: pw}
	}
	return creds, nil
}

// parseDockerConfig adds the auths entries of a Docker config.json. Errors
// never quote the file: it holds credentials.
func (c registryCredentials) parseDockerConfig(data []byte) error {
	cfg, err := contract.ParseDockerConfig(data)
	if err != nil {
		return fmt.Errorf("docker config: %w", err)
	}
	if len(cfg.Auths) == 0 && cfg.Helpers {
		return fmt.Errorf("docker config: it uses credential helpers (credsStore/credHelpers), which cannot run inside the Dagger module; give a config with inline auths entries")
	}
	for host, a := range cfg.Auths {
		if a.Problem != "" {
			return fmt.Errorf("docker config: auths[%s]: %s", a.Server, a.Problem)
		}
		if host == "index.docker.io" {
			host = name.DefaultRegistry
		}
		c[host] = authn.AuthConfig{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
	}
	return nil
}

// Resolve makes the credentials a keychain: each registry its own, others
// anonymous.
func (c registryCredentials) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if ac, ok := c[r.RegistryStr()]; ok {
		return authn.FromConfig(ac), nil
	}
	return authn.Anonymous, nil
}

// hosts are the registries with credentials, sorted.
func (c registryCredentials) hosts() []string {
	var out []string
	for h := range c {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// withRegistryAuth gives a container the credentials for its Publish and
// From (each password a Dagger secret).
func (c registryCredentials) withRegistryAuth(ctr *dagger.Container) *dagger.Container {
	for _, h := range c.hosts() {
		if ac := c[h]; ac.Password != "" {
			ctr = ctr.WithRegistryAuth(h, ac.Username, dag.SetSecret("goldenpath-registry-"+h, ac.Password))
		}
	}
	return ctr
}

// cnbRegistryAuth is the lifecycle's CNB_REGISTRY_AUTH ({"HOST": "Basic
// ..."}), or "" without credentials.
func (c registryCredentials) cnbRegistryAuth() (string, error) {
	auth := map[string]string{}
	for h, ac := range c {
		switch {
		case ac.Password != "":
			auth[h] = "Basic " + base64.StdEncoding.EncodeToString([]byte(ac.Username+":"+ac.Password))
		case ac.IdentityToken != "":
			auth[h] = "Bearer " + ac.IdentityToken
		}
	}
	if len(auth) == 0 {
		return "", nil
	}
	data, err := json.Marshal(auth)
	return string(data), err
}
