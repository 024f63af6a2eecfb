// Package settings holds what goldenpath.Option values configure. It is
// shared by the facade (goldenpath) and its sub-packages (build,
// supplychain, fleet, cluster), so that one option type configures them
// all. It stays light: only the standard library and contract.
package settings

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// Settings is the configuration of one facade call. Zero values mean the
// documented defaults; read them through the methods.
type Settings struct {
	Platform    *contract.Platform
	Concurrency int
	Images      map[string]string
	Registry    Registry
	KeyPassword []byte
	Output      io.Writer
	Tree        Tree

	given map[string]bool
}

// Tree is how a GitOps tree is written (goldenpath's tree.go).
type Tree struct {
	// Adopt takes over a folder or files goldenpath did not write.
	Adopt bool
	// Unpin drops the pins the tree holds.
	Unpin bool
	// Hook is called before each change a tree commit makes (tests).
	Hook func(string)
}

// Registry is registry access: the facade's vocabulary for what
// pipeline/registry's options say.
type Registry struct {
	// Insecure hosts spoken to over plain HTTP (loopback always is).
	Insecure []string
	// Credentials by registry host.
	Credentials map[string]Credential
	// Transport under authentication; nil is the default.
	Transport http.RoundTripper
	// RequestTimeout bounds each request; 0 is the default.
	RequestTimeout time.Duration
	// Retries and CircuitBreaker; nil is the default.
	Retries        *int
	CircuitBreaker *int
	// LoginHint says how to give credentials in an authentication error;
	// nil is the default (docker login).
	LoginHint func(registry string) string
}

// Credential is a user name and password, or a token, for one registry.
type Credential struct {
	Username string
	Password string
	// IdentityToken (an OAuth2 refresh token) and RegistryToken (a bearer
	// token), as a Docker config's auths entry holds them.
	IdentityToken string
	RegistryToken string
}

// Option is the underlying type of goldenpath.Option.
type Option = func(*Settings) error

// Apply applies opts in order to fresh settings. An option that fails (a
// bad value, or a conflict with an option already applied) stops it.
func Apply[O ~func(*Settings) error](opts []O) (*Settings, error) {
	s := &Settings{given: map[string]bool{}}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Once records that the option name was given, and refuses it the second
// time: a single-valued option given twice is a conflict (which one was
// meant?), not a silent override.
func (s *Settings) Once(name string) error {
	if s.given == nil {
		s.given = map[string]bool{}
	}
	if s.given[name] {
		return fmt.Errorf("%s given twice: give it once", name)
	}
	s.given[name] = true
	return nil
}

// PlatformOrDefault is the platform given, else contract.DefaultPlatform.
func (s *Settings) PlatformOrDefault() *contract.Platform {
	if s.Platform == nil {
		return contract.DefaultPlatform()
	}
	return s.Platform
}

// FileConcurrency is how many files are loaded, validated or rendered at
// once: the concurrency given, else one per CPU (GOMAXPROCS).
func (s *Settings) FileConcurrency() int {
	if s.Concurrency > 0 {
		return s.Concurrency
	}
	return runtime.GOMAXPROCS(0)
}

// Out is where progress goes: the writer given, else nowhere.
func (s *Settings) Out() io.Writer {
	if s.Output == nil {
		return io.Discard
	}
	return s.Output
}
