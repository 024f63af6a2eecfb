package main

import (
	"context"
	"fmt"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
)

// Ship is the golden path of one application in a single call: validate its contract, build source the way the
// contract asks (spec.build.type: buildpacks with its build env, or its Dockerfile, context and build args; of the
// folder spec.source.git.subPath names) and publish it, sign the image, verify the signature, check a buildpack
// image carries an SBOM, and render the GitOps tree with the Deployment pinned to the image digest. It returns
// that tree.
func (m *Goldenpath) Ship(
	ctx context.Context,
	// Folder holding the application's one contract.
	contracts *dagger.Directory,
	// The application's repository checkout (the contract's subPath is built).
	source *dagger.Directory,
	// Where to publish the app image.
	image string,
	// Builder image (needed for build type buildpack).
	// +optional
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
	// Docker config.json (what docker login writes) as a secret, e.g. file://$HOME/.docker/config.json: credentials per registry host, for the build, the push and the supply-chain steps.
	// +optional
	dockerConfig *dagger.Secret,
) (*dagger.Directory, error) {
	creds, err := readRegistryCredentials(ctx, dockerConfig, "", "", nil)
	if err != nil {
		return nil, err
	}
	if _, err := m.Validate(ctx, contracts, platform, "text"); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	r, err := m.request(ctx, contracts, platform, "")
	if err != nil {
		return nil, err
	}
	var ref string
	switch r.Spec.Build.Type {
	case contract.BuildTypeDockerfile:
		if ref, err = dockerfileBuild(ctx, source, r, image, creds); err != nil {
			return nil, fmt.Errorf("dockerfile build: %w", err)
		}
	default:
		if builder == "" {
			return nil, fmt.Errorf("application %s is built with buildpacks: give the builder image", r.Application)
		}
		b := cnbBuild{image: image, builder: builder, runImage: runImage, insecure: insecureRegistry, creds: creds, uid: -1, gid: -1,
			platform: platform, builderName: "default"}.forRequest(r)
		if ref, err = b.run(ctx, appDir(source, r)); err != nil {
			return nil, fmt.Errorf("buildpack build: %w", err)
		}
	}
	// Plain HTTP only for the registries named (never for every registry as soon as one is).
	opts, err := supplyChainOptions(ctx, ref, "", nil, dockerConfig, insecureRegistry)
	if err != nil {
		return nil, err
	}
	// Buildpacks write an SBOM into the image; a Dockerfile build has none (as with `goldenpath build`).
	sbom := r.Spec.Build.Type != contract.BuildTypeDockerfile
	if err := shipSupplyChain(ctx, ref, key, keyPassword, publicKey, opts, sbom); err != nil {
		return nil, err
	}
	return m.Render(ctx, contracts, platform, []string{ref})
}

// shipSupplyChain signs, verifies and (with sbom) reads the SBOM of ref with the same registry options.
func shipSupplyChain(ctx context.Context, ref string, key, keyPassword *dagger.Secret, publicKey *dagger.File, opts []goldenpath.SupplyChainOption, sbom bool) error {
	keyFile, err := secretFile(ctx, key, "cosign.key")
	if err != nil {
		return err
	}
	signOpts := opts
	if keyPassword != nil {
		pw, err := keyPassword.Plaintext(ctx)
		if err != nil {
			return err
		}
		signOpts = append(append([]goldenpath.SupplyChainOption(nil), opts...), goldenpath.WithKeyPassword([]byte(pw)))
	}
	if _, err := goldenpath.Sign(ctx, ref, keyFile, signOpts...); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	pubFile, err := exportFile(ctx, publicKey, "cosign.pub")
	if err != nil {
		return err
	}
	if _, err := goldenpath.Verify(ctx, ref, pubFile, opts...); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !sbom {
		return nil
	}
	if _, err := goldenpath.SBOM(ctx, ref, opts...); err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	return nil
}
