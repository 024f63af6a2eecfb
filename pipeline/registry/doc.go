// Package registry is goldenpath's one room for talking to container
// registries. Everything that reads or writes images (build, rebase, plan,
// stacks, sign, verify, SBOM, provenance) takes the same [Option] set:
// keychain, transport, plain-HTTP hosts, request timeout, retries,
// concurrency and circuit breaker. The registry work itself is
// go-containerregistry's (remote, transport, authn); this package adds what
// it lacks: a circuit breaker and request statistics as a RoundTripper
// under ggcr's authentication, one rule for plain HTTP ([PlainHTTP]), one
// default keychain ([DefaultKeychain]), authentication errors that say
// what to do ([AuthError]) and a per-call image cache.
package registry
