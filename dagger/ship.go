package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
)

// Ship is the golden path of one application in a single call, the same steps as `goldenpath build` (the
// library's build.Ship): validate its contract against the platform's policy, build source with buildpacks and
// publish it, sign the image and attach a signed SLSA provenance attestation, verify both, check that it carries
// an SBOM, and render the GitOps tree with the Deployment pinned to the image digest. It returns that tree.
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
	p, err := loadPlatform(ctx, platform)
	if err != nil {
		return nil, err
	}
	privatePEM, err := key.Plaintext(ctx)
	if err != nil {
		return nil, err
	}
	publicPEM, err := publicKey.Contents(ctx)
	if err != nil {
		return nil, err
	}
	// Plain HTTP only for the registries named (never for every registry as soon as one is).
	opts := []goldenpath.Option{goldenpath.WithPlatform(p), goldenpath.WithInsecureRegistries(insecureRegistry...), goldenpath.WithOutput(os.Stderr)}
	if keyPassword != nil {
		pw, err := keyPassword.Plaintext(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, goldenpath.WithKeyPassword([]byte(pw)))
	}
	dir, err := exportDir(ctx, contracts)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "gitops-")
	if err != nil {
		return nil, err
	}
	gitops := filepath.Join(tmp, "gitops")
	b := &daggerBuilder{m: m, source: source, image: image, builder: builder, runImage: runImage, insecureRegistry: insecureRegistry, platform: platform}
	res, err := inDir(dir, func() (*build.Result, error) {
		return build.Ship(ctx, build.Request{
			Paths: []string{"."}, Publish: p.Registry, GitOpsDir: gitops,
			SignKey: []byte(privatePEM), VerifyKey: []byte(publicPEM), Builder: b,
		}, opts...)
	})
	if err != nil {
		return nil, err
	}
	out := dag.Directory()
	for _, f := range res.Written {
		data, err := os.ReadFile(filepath.Join(gitops, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		out = out.WithNewFile(f, string(data))
	}
	return out, nil
}

// daggerBuilder is Ship's build step in Dagger: BuildpackBuild (the builder's lifecycle in a Dagger container,
// no Docker daemon), publishing to the image the caller named.
type daggerBuilder struct {
	m                        *Goldenpath
	source                   *dagger.Directory
	image, builder, runImage string
	insecureRegistry         []string
	platform                 *dagger.File
}

func (b *daggerBuilder) Build(ctx context.Context, _ *build.Spec) (*build.Image, error) {
	ref, err := b.m.BuildpackBuild(ctx, b.source, b.image, b.builder, b.runImage, b.insecureRegistry, "", nil, -1, -1, b.platform, "default", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("buildpack build: %w", err)
	}
	_, digest, _ := strings.Cut(ref, "@")
	return &build.Image{Tag: b.image, Digest: digest, Reference: ref, Published: true, BuildType: contract.BuildTypeBuildpack, Builder: b.builder}, nil
}
