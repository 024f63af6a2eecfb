package goldenpath

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
)

// Registry access. Every call that talks to a registry (build.Ship,
// supplychain's calls, fleet's plan, rebase and stack updates) reads these
// options; the defaults are pipeline/registry's: credentials from the
// Docker config (`docker login`, credential helpers) and, for their own
// registries, Google's, Amazon ECR's and Azure ACR's helpers; HTTPS
// everywhere but on loopback registries (localhost, 127.0.0.0/8, ::1),
// which the Docker engine too speaks plain HTTP to.

// WithInsecureRegistries lets the named registries (host or host:port,
// exactly as image references name them) be spoken to over plain HTTP.
// Options add up. Default: none but loopback registries.
func WithInsecureRegistries(hosts ...string) Option {
	return func(s *settings.Settings) error {
		for _, h := range hosts {
			if err := checkRegistryHost(h); err != nil {
				return fmt.Errorf("WithInsecureRegistries: %w", err)
			}
		}
		s.Registry.Insecure = append(s.Registry.Insecure, hosts...)
		return nil
	}
}

// WithCredentials sets the user name and password (or token) for one
// registry host; other registries keep the default credentials. Options
// for different hosts add up; two for one host are an error.
func WithCredentials(host, username, password string) Option {
	return withCredential("WithCredentials", host, RegistryCredential{Username: username, Password: password})
}

// RegistryCredential is what a registry host is reached with: a user name
// and password, or an identity token (OAuth2 refresh token) or registry
// token (bearer), as a Docker config's auths entry holds them.
type RegistryCredential = settings.Credential

// WithRegistryCredential is WithCredentials for any RegistryCredential
// (tokens included), e.g. each of DockerConfigCredentials'. Two for one
// host (of either option) are an error.
func WithRegistryCredential(host string, c RegistryCredential) Option {
	return withCredential("WithRegistryCredential", host, c)
}

func withCredential(option, host string, c RegistryCredential) Option {
	return func(s *settings.Settings) error {
		if err := checkRegistryHost(host); err != nil {
			return fmt.Errorf("%s: %w", option, err)
		}
		if _, dup := s.Registry.Credentials[host]; dup {
			return fmt.Errorf("%s: %s given twice: give it once", option, host)
		}
		if s.Registry.Credentials == nil {
			s.Registry.Credentials = map[string]settings.Credential{}
		}
		s.Registry.Credentials[host] = c
		return nil
	}
}

// DockerConfigCredentials reads the inline auths entries of a Docker
// config.json (what `docker login` writes; the .dockerconfigjson of a
// Kubernetes Secret) by registry host (Docker Hub's
// https://index.docker.io/v1/ is index.docker.io). A config that only names
// credential helpers (credsStore, credHelpers) is an error: their
// credentials are not in it. Errors never quote the config.
func DockerConfigCredentials(config []byte) (map[string]RegistryCredential, error) {
	cfg, err := contract.ParseDockerConfig(config)
	if err != nil {
		return nil, fmt.Errorf("docker config: %w", err)
	}
	if len(cfg.Auths) == 0 && cfg.Helpers {
		return nil, errors.New("docker config: it uses credential helpers (credsStore/credHelpers), whose credentials are not in it: give a config with inline auths entries")
	}
	creds := map[string]RegistryCredential{}
	for host, a := range cfg.Auths {
		if a.Problem != "" {
			return nil, fmt.Errorf("docker config: auths[%s]: %s", a.Server, a.Problem)
		}
		creds[host] = RegistryCredential{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
	}
	return creds, nil
}

// WithLoginHint sets what an authentication error tells the user to do to
// give credentials for a registry (hint gets its host[:port]), for programs
// whose credentials do not come from the Docker config, such as a Dagger
// module's secrets. Default: run `docker login REGISTRY` (or configure a
// credential helper).
func WithLoginHint(hint func(registry string) string) Option {
	return func(s *settings.Settings) error {
		if hint == nil {
			return errors.New("WithLoginHint: nil hint")
		}
		if err := s.Once("WithLoginHint"); err != nil {
			return err
		}
		s.Registry.LoginHint = hint
		return nil
	}
}

// WithTransport sets the HTTP transport under authentication (a private
// CA, a proxy, a test's fault injector). Default: a clone of
// http.DefaultTransport sized for the concurrency.
func WithTransport(t http.RoundTripper) Option {
	return func(s *settings.Settings) error {
		if t == nil {
			return errors.New("WithTransport: nil transport")
		}
		if err := s.Once("WithTransport"); err != nil {
			return err
		}
		s.Registry.Transport = t
		return nil
	}
}

// WithRequestTimeout bounds each registry request attempt, and each pause
// while a body is read or written. Default: 60s.
func WithRequestTimeout(d time.Duration) Option {
	return func(s *settings.Settings) error {
		if d <= 0 {
			return fmt.Errorf("WithRequestTimeout: %v is not a positive duration", d)
		}
		if err := s.Once("WithRequestTimeout"); err != nil {
			return err
		}
		s.Registry.RequestTimeout = d
		return nil
	}
}

// WithRetries sets how many times a registry request that failed on the
// network or with 429/5xx is retried (after 0.1s, 0.4s, 1.6s...); 0 means
// never. Default: 2.
func WithRetries(n int) Option {
	return func(s *settings.Settings) error {
		if n < 0 {
			return fmt.Errorf("WithRetries: %d is negative", n)
		}
		if err := s.Once("WithRetries"); err != nil {
			return err
		}
		s.Registry.Retries = &n
		return nil
	}
}

// WithCircuitBreaker fails the requests to a registry at once after n
// requests to it in a row failed (network, timeout, 429/5xx), letting one
// a second through until it answers again; 0 turns it off. Default: 16.
func WithCircuitBreaker(n int) Option {
	return func(s *settings.Settings) error {
		if n < 0 {
			return fmt.Errorf("WithCircuitBreaker: %d is negative", n)
		}
		if err := s.Once("WithCircuitBreaker"); err != nil {
			return err
		}
		s.Registry.CircuitBreaker = &n
		return nil
	}
}

// checkRegistryHost accepts host or host:port as image references name a
// registry (no scheme, no path).
func checkRegistryHost(h string) error {
	if h == "" || strings.ContainsAny(h, "/@ \t") {
		return fmt.Errorf("%q is not a registry host[:port]", h)
	}
	if _, err := name.NewRegistry(h, name.StrictValidation); err != nil {
		return fmt.Errorf("%q is not a registry host[:port]", h)
	}
	return nil
}
