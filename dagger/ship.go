package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
)

// Ship is the golden path of one application in a single call, the same steps as `goldenpath build` (the
// library's build.Ship): validate its contract against the platform's policy, build source the way the contract
// asks (spec.build.type: buildpacks with its build env, or its Dockerfile, context and build args; of the folder
// spec.source.git.subPath names) and publish it, sign the image and attach a signed SLSA provenance attestation,
// verify both, check that a buildpack image carries an SBOM, and render the GitOps tree with the Deployment pinned
// to the image digest. It returns that tree.
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
	// CA bundles (PEM) the buildpack build trusts (repeatable): each file the platform's egress.caCertificates.bundles[].file names (the module cannot read your machine's paths; a platform that names files with no --ca-bundle is refused).
	// +optional
	caBundle []*dagger.File,
	// The Secrets the platform names for builds (egress.mirrors[].credentialsSecret) as one JSON secret, e.g. {"corp-maven": {"username": "ci", "password": "..."}} (see buildpack-build).
	// +optional
	secretBindings *dagger.Secret,
) (*dagger.Directory, error) {
	p, err := loadPlatform(ctx, platform)
	if err != nil {
		return nil, err
	}
	bindings, err := readSecretBindings(ctx, secretBindings)
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
	creds, err := readRegistryCredentials(ctx, dockerConfig, "", "", nil)
	if err != nil {
		return nil, err
	}
	// The Docker config's credentials per host (the build's and the steps'); plain HTTP only for the registries
	// named (never for every registry as soon as one is).
	opts := append(creds.options(insecureRegistry...), goldenpath.WithPlatform(p),
		goldenpath.WithOutput(os.Stderr))
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
	defer os.RemoveAll(tmp)
	gitops := filepath.Join(tmp, "gitops")
	b := &daggerBuilder{source: source, image: image, builder: builder, runImage: runImage, insecureRegistry: insecureRegistry, platform: platform,
		creds: creds, caBundle: caBundle, bindings: bindings}
	if _, err := inDir(dir, func() (*build.Result, error) {
		return build.Ship(ctx, build.Request{
			Paths: []string{"."}, Publish: p.Registry, GitOpsDir: gitops,
			SignKey: []byte(privatePEM), VerifyKey: []byte(publicPEM), Builder: b,
		}, opts...)
	}); err != nil {
		return nil, err
	}
	return treeDirectory(gitops)
}

// treeDirectory is the GitOps tree written in dir (goldenpath's index included) as a Dagger directory.
func treeDirectory(dir string) (*dagger.Directory, error) {
	out := dag.Directory()
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		out = out.WithNewFile(filepath.ToSlash(rel), string(data))
		return nil
	})
	return out, err
}

// daggerBuilder is Ship's build step in Dagger, as the request's build type says: the builder's CNB lifecycle in a
// Dagger container (no Docker daemon) with the request's build env, builder and cache volume, or the request's
// Dockerfile with the engine's BuildKit; of the folder spec.source.git.subPath names. It publishes to the image the
// caller named.
type daggerBuilder struct {
	source                   *dagger.Directory
	image, builder, runImage string
	insecureRegistry         []string
	platform                 *dagger.File
	creds                    registryCredentials
	caBundle                 []*dagger.File
	bindings                 secretBindings
}

func (b *daggerBuilder) Build(ctx context.Context, spec *build.Spec) (*build.Image, error) {
	r := spec.Request
	img := &build.Image{Tag: b.image, Published: true, BuildType: r.Spec.Build.Type}
	var err error
	switch r.Spec.Build.Type {
	case contract.BuildTypeDockerfile:
		if img.Reference, err = dockerfileBuild(ctx, b.source, r, b.image, b.creds); err != nil {
			return nil, fmt.Errorf("dockerfile build: %w", err)
		}
	default:
		if b.builder == "" {
			return nil, fmt.Errorf("application %s is built with buildpacks: give the builder image", r.Application)
		}
		c := cnbBuild{image: b.image, builder: b.builder, runImage: b.runImage, insecure: b.insecureRegistry, creds: b.creds, caBundle: b.caBundle, uid: -1, gid: -1,
			platform: b.platform, builderName: "default", bindings: b.bindings}.forRequest(r)
		if img.Reference, err = c.run(ctx, appDir(b.source, r)); err != nil {
			return nil, fmt.Errorf("buildpack build: %w", err)
		}
		img.BuildType, img.Builder = contract.BuildTypeBuildpack, b.builder
	}
	_, img.Digest, _ = strings.Cut(img.Reference, "@")
	return img, nil
}
