package registry

import (
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// PlainHTTP is the one rule for which registries goldenpath speaks plain
// HTTP to: a loopback registry (localhost, 127.0.0.0/8, ::1), as the Docker
// engine treats them, and a registry named in insecure (host or host:port
// as in image references). Every other registry is HTTPS only: there is no
// switch that turns plain HTTP on for all of them.
func PlainHTTP(registry string, insecure ...string) bool {
	if IsLoopback(registry) {
		return true
	}
	for _, h := range insecure {
		if h == registry {
			return true
		}
	}
	return false
}

// IsLoopback reports whether a registry (host[:port]) or an image
// reference's registry is on this machine: localhost or a loopback IP
// address. A name that merely starts with "127." is not.
func IsLoopback(ref string) bool {
	host, _, _ := strings.Cut(ref, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (o *options) plainHTTP(registry string) bool {
	return IsLoopback(registry) || o.insecure[registry]
}

// insecureHosts lists the hosts named with WithInsecureRegistries.
func (o *options) insecureHosts() []string {
	out := make([]string, 0, len(o.insecure))
	for h := range o.insecure {
		out = append(out, h)
	}
	return out
}

// ParseReference parses an image reference, marking it plain HTTP by the
// [PlainHTTP] rule.
func ParseReference(ref string, insecure ...string) (name.Reference, error) {
	var opts []name.Option
	if PlainHTTP(registryOf(ref), insecure...) {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	return r, nil
}

// registryOf is the registry part of a reference as written (the default
// registry when the first part is not a host).
func registryOf(ref string) string {
	host, _, found := strings.Cut(ref, "/")
	if !found || (!strings.ContainsAny(host, ".:") && host != "localhost") {
		return name.DefaultRegistry
	}
	return host
}
