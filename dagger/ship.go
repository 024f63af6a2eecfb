package main

import (
	"context"
	"fmt"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
)

// Ship is the golden path of one application in a single call: validate its contract, build source with
// buildpacks and publish it, sign the image, verify the signature, check it carries an SBOM, and render the
// GitOps tree with the Deployment pinned to the image digest. It returns that tree.
func (m *Goldenpath) Ship(
	ctx context.Context,
	// Folder holding the application's one contract.
	contracts *dagger.Directory,
	// Application source.
	source *dagger.Directory,
	// Where to publish the app image.
	image string,
	// Builder image.
	builder string,
	// The cosign private key (PEM).
	key *dagger.Secret,
	// The cosign public key (PEM).
	publicKey *dagger.File,
	// The private key's password.
	// +optional
	keyPassword *dagger.Secret,
	// Run image (default: the builder's).
	// +optional
	runImage string,
	// Registries reached over plain HTTP (repeatable).
	// +optional
	insecureRegistry []string,
	// Platform file (default: the embedded default platform).
	// +optional
	platform *dagger.File,
) (*dagger.Directory, error) {
	if _, err := m.Validate(ctx, contracts, platform, "text"); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	ref, err := m.BuildpackBuild(ctx, source, image, builder, runImage, insecureRegistry, "", nil, -1, -1, platform, "default", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("buildpack build: %w", err)
	}
	insecure := len(insecureRegistry) > 0
	if _, err := m.Sign(ctx, ref, key, keyPassword, "", nil, insecure); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if _, err := m.Verify(ctx, ref, publicKey, "", nil, insecure); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if _, err := m.Sbom(ctx, ref, "", nil, insecure); err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	return m.Render(ctx, contracts, platform, []string{ref})
}
