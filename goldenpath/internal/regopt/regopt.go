// Package regopt turns the facade's registry settings into
// pipeline/registry options, for the sub-packages that talk to registries
// (build, supplychain, fleet). The light facade does not import it.
package regopt

import (
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// Options are the registry options the settings ask for; unset ones keep
// pipeline/registry's defaults.
func Options(s *settings.Settings) []registry.Option {
	r := s.Registry
	var opts []registry.Option
	if len(r.Insecure) > 0 {
		opts = append(opts, registry.WithInsecureRegistries(r.Insecure...))
	}
	if len(r.Credentials) > 0 {
		opts = append(opts, registry.WithKeychain(authn.NewMultiKeychain(credentials(r.Credentials), registry.DefaultKeychain())))
	}
	if r.Transport != nil {
		opts = append(opts, registry.WithTransport(r.Transport))
	}
	if r.RequestTimeout > 0 {
		opts = append(opts, registry.WithRequestTimeout(r.RequestTimeout))
	}
	if r.Retries != nil {
		opts = append(opts, registry.WithRetries(*r.Retries))
	}
	if r.CircuitBreaker != nil {
		opts = append(opts, registry.WithCircuitBreaker(*r.CircuitBreaker))
	}
	if r.LoginHint != nil {
		opts = append(opts, registry.WithLoginHint(r.LoginHint))
	}
	if s.Concurrency > 0 {
		opts = append(opts, registry.WithConcurrency(s.Concurrency))
	}
	return opts
}

// credentials answers for the hosts it holds and is anonymous for the
// others, so that a multi-keychain goes on to the default keychain.
type credentials map[string]settings.Credential

func (c credentials) Resolve(r authn.Resource) (authn.Authenticator, error) {
	cred, ok := c[r.RegistryStr()]
	if !ok {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: cred.Username, Password: cred.Password,
		IdentityToken: cred.IdentityToken, RegistryToken: cred.RegistryToken}), nil
}
