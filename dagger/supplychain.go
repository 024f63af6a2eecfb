package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
)

// Sign signs an image (resolved to its digest first) with a cosign private key, with no transparency log, like
// `goldenpath sign`, and returns the result as JSON.
func (m *Goldenpath) Sign(
	ctx context.Context,
	// Image reference (tag or digest).
	image string,
	// The cosign private key (PEM), e.g. file://cosign.key.
	key *dagger.Secret,
	// The key's password.
	// +optional
	keyPassword *dagger.Secret,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
	// Reach the image's registry (only that one) over plain HTTP: a shorthand for --insecure-registry=<its host>.
	// +optional
	insecure bool,
	// Registries reached over plain HTTP (repeatable; host[:port], loopback ones always are).
	// +optional
	insecureRegistry []string,
	// Docker config.json (what docker login writes) as a secret, e.g. file://$HOME/.docker/config.json: credentials per registry host.
	// +optional
	dockerConfig *dagger.Secret,
) (string, error) {
	privatePEM, err := key.Plaintext(ctx)
	if err != nil {
		return "", err
	}
	opts, err := registryOptions(ctx, image, username, password, dockerConfig, append(plainHTTP(image, insecure), insecureRegistry...))
	if err != nil {
		return "", err
	}
	if keyPassword != nil {
		pw, err := keyPassword.Plaintext(ctx)
		if err != nil {
			return "", err
		}
		opts = append(opts, goldenpath.WithKeyPassword([]byte(pw)))
	}
	res, err := supplychain.Sign(ctx, image, []byte(privatePEM), opts...)
	if err != nil {
		return "", err
	}
	return toJSON(res)
}

// Verify checks that the digest an image reference resolves to is signed with the public key, like
// `goldenpath verify`, and returns the result as JSON. It fails when the image is not signed with that key.
func (m *Goldenpath) Verify(
	ctx context.Context,
	// Image reference (tag or digest).
	image string,
	// The cosign public key (PEM), e.g. cosign.pub.
	publicKey *dagger.File,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
	// Reach the image's registry (only that one) over plain HTTP: a shorthand for --insecure-registry=<its host>.
	// +optional
	insecure bool,
	// Registries reached over plain HTTP (repeatable; host[:port], loopback ones always are).
	// +optional
	insecureRegistry []string,
	// Docker config.json (what docker login writes) as a secret, e.g. file://$HOME/.docker/config.json: credentials per registry host.
	// +optional
	dockerConfig *dagger.Secret,
) (string, error) {
	publicPEM, err := publicKey.Contents(ctx)
	if err != nil {
		return "", err
	}
	opts, err := registryOptions(ctx, image, username, password, dockerConfig, append(plainHTTP(image, insecure), insecureRegistry...))
	if err != nil {
		return "", err
	}
	res, err := supplychain.Verify(ctx, image, []byte(publicPEM), opts...)
	if err != nil {
		return "", err
	}
	return toJSON(res)
}

// Sbom reads the buildpack SBOMs a CNB image carries (only the SBOM layer is downloaded), like `goldenpath sbom`,
// and returns them as JSON. An image built from a Dockerfile has none: that is an error.
func (m *Goldenpath) Sbom(
	ctx context.Context,
	// Image reference (tag or digest).
	image string,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
	// Reach the image's registry (only that one) over plain HTTP: a shorthand for --insecure-registry=<its host>.
	// +optional
	insecure bool,
	// Registries reached over plain HTTP (repeatable; host[:port], loopback ones always are).
	// +optional
	insecureRegistry []string,
	// Docker config.json (what docker login writes) as a secret, e.g. file://$HOME/.docker/config.json: credentials per registry host.
	// +optional
	dockerConfig *dagger.Secret,
) (string, error) {
	opts, err := registryOptions(ctx, image, username, password, dockerConfig, append(plainHTTP(image, insecure), insecureRegistry...))
	if err != nil {
		return "", err
	}
	res, err := supplychain.SBOM(ctx, image, opts...)
	if err != nil {
		return "", err
	}
	return toJSON(res)
}

// plainHTTP is --insecure: the image's own registry, never every registry.
func plainHTTP(image string, insecure bool) []string {
	if !insecure {
		return nil
	}
	ref, err := name.ParseReference(image)
	if err != nil {
		return nil
	}
	return []string{ref.Context().RegistryStr()}
}

// registryOptions are the facade's registry options of a function: the Docker config's credentials per registry
// host and username/password for image's registry (they win for that host); the others keep the default
// credentials (none inside the module: anonymous). Plain HTTP for the registries named only (loopback ones always).
func registryOptions(ctx context.Context, image, username string, password, dockerConfig *dagger.Secret, insecureRegistry []string) ([]goldenpath.Option, error) {
	creds, err := readRegistryCredentials(ctx, dockerConfig, image, username, password)
	if err != nil {
		return nil, err
	}
	return creds.options(insecureRegistry...), nil
}

// secretFile writes a secret into a private temporary file and returns its path.
func secretFile(ctx context.Context, s *dagger.Secret, base string) (string, error) {
	text, err := s.Plaintext(ctx)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "secret-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, base)
	return path, os.WriteFile(path, []byte(text), 0o600)
}

// exportFile copies a file argument into the module's container and returns its path.
func exportFile(ctx context.Context, f *dagger.File, base string) (string, error) {
	dir, err := os.MkdirTemp("", "file-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, base)
	if _, err := f.Export(ctx, path); err != nil {
		return "", fmt.Errorf("export %s: %w", base, err)
	}
	return path, nil
}

func toJSON(v any) (string, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	return string(data) + "\n", nil
}
