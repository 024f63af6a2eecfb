package registry

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Option configures registry access. The same options are accepted by
// every goldenpath operation that touches a registry.
type Option func(*options) error

type options struct {
	concurrency int
	transport   http.RoundTripper
	keychain    authn.Keychain
	timeout     time.Duration
	retries     int
	breaker     int
	insecure    map[string]bool
	loginHint   func(registry string) string
}

// Defaults.
const (
	// DefaultConcurrency is how many images are processed at once by
	// default: enough to keep a registry busy while each image waits on
	// its few small requests.
	DefaultConcurrency = 16
	// DefaultRequestTimeout bounds each request attempt (and each pause
	// in a body being read or written).
	DefaultRequestTimeout = 60 * time.Second
	// DefaultRetries is how often a failed request is retried.
	DefaultRetries = 2
	// DefaultCircuitBreaker is how many requests in a row must fail
	// before a registry's breaker opens.
	DefaultCircuitBreaker = 16
)

func makeOptions(opts []Option) (options, error) {
	o := options{
		concurrency: DefaultConcurrency,
		timeout:     DefaultRequestTimeout,
		retries:     DefaultRetries,
		breaker:     DefaultCircuitBreaker,
		insecure:    map[string]bool{},
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	if o.keychain == nil {
		o.keychain = DefaultKeychain()
	}
	if o.transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 4 * o.concurrency
		t.MaxIdleConnsPerHost = 2 * o.concurrency
		t.ForceAttemptHTTP2 = true
		o.transport = t
	}
	return o, nil
}

// WithConcurrency sets how many images are processed at once. Default:
// [DefaultConcurrency].
func WithConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("WithConcurrency: %d is not a positive number", n)
		}
		o.concurrency = n
		return nil
	}
}

// WithTransport sets the HTTP transport under authentication (for a
// private CA, a proxy, or a test's fault injector). Default: a clone of
// http.DefaultTransport keeping enough idle connections per registry for
// the concurrency.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) error {
		if t == nil {
			return errors.New("WithTransport: nil transport")
		}
		o.transport = t
		return nil
	}
}

// WithKeychain sets where registry credentials come from. Default:
// [DefaultKeychain].
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) error {
		if k == nil {
			return errors.New("WithKeychain: nil keychain")
		}
		o.keychain = k
		return nil
	}
}

// WithRequestTimeout bounds each registry request attempt, and each pause
// while a body is read or written. Default: [DefaultRequestTimeout]. A
// registry that stops answering then fails the images it holds up instead
// of hanging the fleet.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithRequestTimeout: %v is not a positive duration", d)
		}
		o.timeout = d
		return nil
	}
}

// WithRetries sets how many times a request that failed on the network or
// with 429/5xx is retried (after 0.1s, 0.4s, 1.6s...). Default:
// [DefaultRetries].
func WithRetries(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("WithRetries: %d is negative", n)
		}
		o.retries = n
		return nil
	}
}

// WithCircuitBreaker fails the requests to a registry at once, without
// trying them, after n requests to it in a row failed on the network,
// timed out or got 429/5xx: a fleet rebase against a registry that went
// away reports its remaining images failed in seconds instead of waiting
// out every timeout, and a rerun finishes them. One request a second still
// goes through, so work resumes when the registry is back. Default:
// [DefaultCircuitBreaker]; 0 turns it off.
func WithCircuitBreaker(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("WithCircuitBreaker: %d is negative", n)
		}
		o.breaker = n
		return nil
	}
}

// registryHost is host[:port] as image references name registries.
var registryHost = regexp.MustCompile(`^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?)(:[0-9]{1,5})?$`)

// WithLoginHint sets what an [AuthError] tells the user to do to give
// credentials for a registry, for programs whose credentials do not come
// from the Docker config (a Dagger module's secrets, a CI's own variables).
// hint gets the registry's host[:port]. Default: run `docker login
// REGISTRY` (or configure a credential helper).
func WithLoginHint(hint func(registry string) string) Option {
	return func(o *options) error {
		if hint == nil {
			return errors.New("WithLoginHint: nil hint")
		}
		o.loginHint = hint
		return nil
	}
}

// WithInsecureRegistries lets the named registries (host or host:port,
// exactly as in image references) speak plain HTTP. Loopback registries
// always may (see [PlainHTTP]). Default: none.
func WithInsecureRegistries(hosts ...string) Option {
	return func(o *options) error {
		for _, h := range hosts {
			if !registryHost.MatchString(h) {
				return fmt.Errorf("WithInsecureRegistries: %q is not a registry host[:port]", h)
			}
			o.insecure[h] = true
		}
		return nil
	}
}
