package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
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

// registryCredentials are the credentials by registry host.
type registryCredentials map[string]goldenpath.RegistryCredential

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
		if creds, err = goldenpath.DockerConfigCredentials([]byte(text)); err != nil {
			return nil, fmt.Errorf("%w (credential helpers cannot run inside the Dagger module)", err)
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
		creds[ref.Context().RegistryStr()] = goldenpath.RegistryCredential{Username: username, Password: pw}
	}
	return creds, nil
}

// loginHint is what an authentication error tells a caller of the module to do: the Docker config on the caller's
// machine does not reach the module, its secrets do.
func loginHint(registry string) string {
	return "give the module credentials for " + registry + ": --docker-config=file://PATH/config.json (a Docker config with an auths entry for " +
		registry + ", as docker login writes it) or --username with --password=env://VAR (the image's registry)"
}

// options are the credentials as the facade's options (the supply-chain, rebase and ship steps), with the
// module's login hint and plain HTTP for the insecure registries named (never for every registry).
func (c registryCredentials) options(insecure ...string) []goldenpath.Option {
	opts := []goldenpath.Option{goldenpath.WithLoginHint(loginHint)}
	if len(insecure) > 0 {
		opts = append(opts, goldenpath.WithInsecureRegistries(insecure...))
	}
	for _, h := range c.hosts() {
		opts = append(opts, goldenpath.WithRegistryCredential(h, c[h]))
	}
	return opts
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
