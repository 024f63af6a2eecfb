package registry

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ErrRegistryDown is returned, wrapped, for requests not even tried
// because their registry failed the breaker's number of requests in a row
// (see [WithCircuitBreaker]).
var ErrRegistryDown = errors.New("registry is not answering")

// AuthError is a registry refusing a request for want of (valid)
// credentials. Its message says what to do.
type AuthError struct {
	// Registry is the registry's host[:port].
	Registry string
	// Anonymous says no credentials were found for it.
	Anonymous bool
	// Err is the registry's answer.
	Err error
	// Hint says how to give credentials (see [WithLoginHint]); empty: run
	// docker login.
	Hint string
}

func (e *AuthError) Error() string {
	switch {
	case e.Anonymous && e.Hint != "":
		return fmt.Sprintf("authentication required for %s: %s", e.Registry, e.Hint)
	case e.Anonymous:
		return fmt.Sprintf("authentication required for %s: run `docker login %s` (or configure a credential helper)", e.Registry, e.Registry)
	case e.Hint != "":
		return fmt.Sprintf("authentication failed for %s with the credentials found for it (%v): %s", e.Registry, e.Err, e.Hint)
	}
	return fmt.Sprintf("authentication failed for %s with the credentials found for it (%v): run `docker login %s` again (or check the credential helper)", e.Registry, e.Err, e.Registry)
}

func (e *AuthError) Unwrap() error { return e.Err }

// IsNotFound reports whether err is a registry's "not found" for an image
// (404, MANIFEST_UNKNOWN or NAME_UNKNOWN).
func IsNotFound(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	if terr.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range terr.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return true
		}
	}
	return false
}

// isUnauthorized reports whether err is a 401 (from the registry or its
// token service).
func isUnauthorized(err error) bool {
	var terr *transport.Error
	if errors.As(err, &terr) {
		if terr.StatusCode == http.StatusUnauthorized {
			return true
		}
		for _, d := range terr.Errors {
			if d.Code == transport.UnauthorizedErrorCode {
				return true
			}
		}
	}
	return false
}
