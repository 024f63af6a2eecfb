// Package corpnet holds the corporate-network scenario (issue 18): the real
// goldenpath binary against Debian's registry (distribution 2.8) behind
// htpasswd basic authentication over TLS with a private CA the test makes,
// and against a git server that requires authentication to clone. Every
// command that touches the registry must succeed with credentials (a Docker
// config.json, SSL_CERT_FILE for the CA) and say "authentication required
// for REGISTRY" without them. The tests carry the integration build tag.
package corpnet
