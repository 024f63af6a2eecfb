package goldenpath

import "github.com/goldenpath-dev/goldenpath/pipeline/registry"

// WithRegistry configures registry access for every call that touches a
// registry (Build, Plan, Rebase, the stack updater, and through
// WithRegistryOptions the supply-chain calls): keychain, transport,
// plain-HTTP hosts (loopback registries always; others only when named
// with registry.WithInsecureRegistries), request timeout, retries,
// concurrency and circuit breaker. Options add up; later ones win.
// Default: registry's defaults (the Docker config's credentials and
// cloud helpers, HTTPS everywhere but loopback).
func WithRegistry(opts ...registry.Option) Option {
	return func(o *options) error {
		o.registry = append(o.registry, opts...)
		return nil
	}
}
