package registry

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Client is go-containerregistry configured by the [Option] set: one
// keychain, one transport (under the circuit breaker, the request timeout
// and the statistics), the plain-HTTP rule, retries. It is safe for
// concurrent use and keeps one authentication handshake per registry (per
// repository scope for token-based registries) for its lifetime.
type Client struct {
	o       options
	stats   *requestStats
	guard   *guard
	retried http.RoundTripper

	mu     sync.Mutex
	pings  map[string]*transport.Challenge // by registry
	authed map[string]http.RoundTripper    // by registry, or scopes for bearer registries
	seq    map[string]*sync.Mutex          // serialises handshakes per key
}

// New returns a Client with the options applied over the documented
// defaults.
func New(opts ...Option) (*Client, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{o: o, stats: newRequestStats(), pings: map[string]*transport.Challenge{},
		authed: map[string]http.RoundTripper{}, seq: map[string]*sync.Mutex{}}
	c.guard = newGuard(&c.o, c.stats)
	c.retried = transport.NewRetry(c.guard, transport.WithRetryBackoff(o.backoff()),
		transport.WithRetryPredicate(retryable), transport.WithRetryStatusCodes(retryCodes...))
	return c, nil
}

// Concurrency is how many images to process at once.
func (c *Client) Concurrency() int { return c.o.concurrency }

// Keychain is where credentials come from.
func (c *Client) Keychain() authn.Keychain { return c.o.keychain }

// Stats is a snapshot of the requests made so far.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

// PlainHTTP applies the [PlainHTTP] rule with this client's named hosts.
func (c *Client) PlainHTTP(registry string) bool { return c.o.plainHTTP(registry) }

// Parse parses an image reference, plain HTTP by the [PlainHTTP] rule.
func (c *Client) Parse(ref string) (name.Reference, error) {
	return ParseReference(ref, c.o.insecureHosts()...)
}

// RemoteOptions are the go-containerregistry remote options for one call:
// the context, the keychain, the guarded transport and the retry policy.
func (c *Client) RemoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(c.o.keychain),
		remote.WithTransport(c.guard),
		remote.WithRetryBackoff(c.o.backoff()),
		remote.WithRetryPredicate(retryable),
		remote.WithRetryStatusCodes(retryCodes...),
		remote.WithJobs(c.o.concurrency),
	}
}

// repoOptions are remote options with an authenticated transport for
// repo (push or pull) that also may pull from the other repositories,
// made once and reused: no ping or token request per call.
func (c *Client) repoOptions(ctx context.Context, repo name.Repository, push bool, pull ...name.Repository) ([]remote.Option, error) {
	rt, err := c.transportFor(ctx, repo, push, pull...)
	if err != nil {
		return nil, err
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(rt),
		remote.WithRetryBackoff(c.o.backoff()),
		remote.WithRetryPredicate(retryable),
		remote.WithRetryStatusCodes(retryCodes...),
	}, nil
}

func (c *Client) lock(key string) *sync.Mutex {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.seq[key]
	if m == nil {
		m = &sync.Mutex{}
		c.seq[key] = m
	}
	return m
}

// challenge pings a registry once (again after a failure).
func (c *Client) challenge(ctx context.Context, reg name.Registry) (*transport.Challenge, error) {
	key := "ping " + reg.RegistryStr()
	m := c.lock(key)
	m.Lock()
	defer m.Unlock()
	c.mu.Lock()
	ch := c.pings[reg.RegistryStr()]
	c.mu.Unlock()
	if ch != nil {
		return ch, nil
	}
	ch, err := transport.Ping(ctx, reg, c.retried)
	if err != nil {
		return nil, fmt.Errorf("reaching registry %s: %w", reg.RegistryStr(), err)
	}
	c.mu.Lock()
	c.pings[reg.RegistryStr()] = ch
	c.mu.Unlock()
	return ch, nil
}

// transportFor returns ggcr's authenticated transport for repo: one per
// registry for anonymous and basic authentication, one per set of scopes
// for token authentication.
func (c *Client) transportFor(ctx context.Context, repo name.Repository, push bool, pull ...name.Repository) (http.RoundTripper, error) {
	ch, err := c.challenge(ctx, repo.Registry)
	if err != nil {
		return nil, err
	}
	action := transport.PullScope
	if push {
		action = transport.PushScope
	}
	scopes := []string{repo.Scope(action)}
	for _, p := range pull {
		if p.RegistryStr() == repo.RegistryStr() && p.RepositoryStr() != repo.RepositoryStr() {
			scopes = append(scopes, p.Scope(transport.PullScope))
		}
	}
	key := repo.RegistryStr()
	if strings.EqualFold(ch.Scheme, "bearer") {
		key += " " + strings.Join(scopes, " ")
	}
	m := c.lock(key)
	m.Lock()
	defer m.Unlock()
	c.mu.Lock()
	rt := c.authed[key]
	c.mu.Unlock()
	if rt != nil {
		return rt, nil
	}
	auth, err := authn.Resolve(ctx, c.o.keychain, repo)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", repo.RegistryStr(), err)
	}
	rt, err = transport.NewWithContext(ctx, repo.Registry, auth, c.retried, scopes)
	if err != nil {
		return nil, c.Explain(fmt.Errorf("authenticating to %s: %w", repo, err), repo.RegistryStr())
	}
	c.mu.Lock()
	c.authed[key] = rt
	c.mu.Unlock()
	return rt, nil
}

// Explain turns a registry's 401 into an [AuthError] that says what to do;
// other errors are returned as they are.
func (c *Client) Explain(err error, registry string) error {
	ae := explain(err, registry, c.o.keychain)
	if a, ok := ae.(*AuthError); ok && c.o.loginHint != nil {
		a.Hint = c.o.loginHint(registry)
	}
	return ae
}

func explain(err error, registry string, kc authn.Keychain) error {
	if err == nil || !isUnauthorized(err) {
		return err
	}
	anonymous := true
	if reg, perr := name.NewRegistry(registry, name.WeakValidation); perr == nil {
		if a, rerr := kc.Resolve(reg); rerr == nil && a != authn.Anonymous {
			if cfg, cerr := a.Authorization(); cerr == nil && *cfg != (authn.AuthConfig{}) {
				anonymous = false
			}
		}
	}
	return &AuthError{Registry: registry, Anonymous: anonymous, Err: err}
}
