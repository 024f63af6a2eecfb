package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
)

// DockerBuild builds a Dockerfile with the engine's own BuildKit (Dagger's Directory.dockerBuild): no Docker
// daemon is involved. Base images come from the registries the engine is configured for (hack/dagger/setup.sh
// sets up the goldenpath registry as GOLDENPATH_DAGGER_REGISTRY and as a docker.io mirror).
func (m *Goldenpath) DockerBuild(
	// Build context.
	source *dagger.Directory,
	// Dockerfile path, relative to the context.
	// +optional
	// +default="Dockerfile"
	dockerfile string,
	// Build arguments, NAME=VALUE (repeatable).
	// +optional
	buildArg []string,
	// Target stage.
	// +optional
	target string,
) (*dagger.Container, error) {
	args := make([]dagger.BuildArg, 0, len(buildArg))
	for _, a := range buildArg {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("build arg %q: want NAME=VALUE", a)
		}
		args = append(args, dagger.BuildArg{Name: k, Value: v})
	}
	return source.DockerBuild(dagger.DirectoryDockerBuildOpts{Dockerfile: dockerfile, BuildArgs: args, Target: target}), nil
}

// Publish pushes a container image to address and returns the pushed reference (with its digest). Credentials,
// when given, are used for address's registry only; the password is a Dagger secret (env://VAR, file://PATH, ...).
func (m *Goldenpath) Publish(
	ctx context.Context,
	// The image, e.g. from docker-build.
	ctr *dagger.Container,
	// Where to push, e.g. 172.17.0.1:5111/apps/dev/payments-api:latest.
	address string,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
	// Docker config.json (what docker login writes) as a secret: credentials per registry host; username and password win for address's registry.
	// +optional
	dockerConfig *dagger.Secret,
) (string, error) {
	creds, err := readRegistryCredentials(ctx, dockerConfig, address, username, password)
	if err != nil {
		return "", err
	}
	if err := build.CheckPush(ctx, address, creds.options()...); err != nil {
		return "", err
	}
	return creds.withRegistryAuth(ctr).Publish(ctx, address)
}

// cnbPlatformAPI is the platform API the creator runs with: the one pack v0.40 (the library's) picks for the
// goldenpath builder's lifecycle, so that both builds write the same metadata.
const cnbPlatformAPI = "0.15"

// BuildpackBuild builds source with the Cloud Native Buildpacks lifecycle of a builder image (its `creator`, run
// in a Dagger container: no Docker daemon) and publishes the app image to image. It returns image@digest.
// The builder and the run image are pulled from their registries (hack/dagger/setup.sh makes the goldenpath
// registry reachable as GOLDENPATH_DAGGER_REGISTRY; pass it as insecureRegistry when it is plain HTTP).
//
// With contracts (the folder holding the application's contract), the build is the one the contract asks for, as
// the library's (`goldenpath build`): source is the repository checkout and the contract's spec.source.git.subPath
// the folder built, and spec.build.env goes to the buildpacks (as pack passes it: files under /platform/env). A
// contract whose build type is dockerfile is refused here (ship builds both types).
//
// The creator is invoked as pack invokes it for the library's build (build.PackBuilder, `goldenpath build`),
// so that the image has the same layers (the dagger scenario test compares them): platform API 0.15 (what pack
// v0.40 negotiates with the builder's lifecycle), the source copied to /workspace owned by the builder's user
// (CNB_USER_ID/CNB_GROUP_ID) with the folder itself mode 0777 (pack's tar of the app dir), and no -uid/-gid (the
// default -1): the build runs as the builder's user and the layers are owned by CNB_USER_ID, as with the pack CLI
// and build.PackBuilder. --uid/--gid override the user (0: root), which no longer matches the library's layers.
// The image config still differs from the library's in the io.buildpacks.lifecycle.metadata label
// (runImage.reference names the run image's registry as the build saw it: GATEWAY:PORT here, 127.0.0.1:PORT for
// pack), hence the digest.
//
// The lifecycle's cache (-cache-dir: the buildpacks' cache layers, such as the Go build cache) is a Dagger cache
// volume named after the image's repository (goldenpath-cnb-cache-<repository>), as pack keeps one Docker volume
// per image: a rebuild of the same app restores it and is warm. cacheVolume names another volume.
func (m *Goldenpath) BuildpackBuild(
	ctx context.Context,
	// Application source (with contracts: the repository checkout, of which subPath is built).
	source *dagger.Directory,
	// Where to publish the app image, e.g. 172.17.0.1:5111/apps/dev/sample-go:latest.
	image string,
	// Builder image (it carries the lifecycle and the buildpacks).
	builder string,
	// Run image (default: the builder's).
	// +optional
	runImage string,
	// Registries reached over plain HTTP (repeatable).
	// +optional
	insecureRegistry []string,
	// Registry user name (for image's registry).
	// +optional
	username string,
	// Registry password or token (for image's registry).
	// +optional
	password *dagger.Secret,
	// The lifecycle's -uid: -1 (default) for the builder's user (CNB_USER_ID), as the library's pack build.
	// +optional
	// +default=-1
	uid int,
	// The lifecycle's -gid: -1 (default) for the builder's group (CNB_GROUP_ID), as the library's pack build.
	// +optional
	// +default=-1
	gid int,
	// Platform file: the contract is checked against it, and its build network (mirrors, proxy, CA launch flags) is
	// written to the creator's /platform (default: the embedded default platform, which has none).
	// +optional
	platform *dagger.File,
	// The platform's builder the build network is taken for (per-builder overrides); with contracts, the request's.
	// +optional
	// +default="default"
	builderName string,
	// CA bundles (PEM) trusted in the build, as bindings of type ca-certificates: each file the platform's egress.caCertificates.bundles[].file names (the module cannot read your machine's paths; a platform that names files with no --ca-bundle is refused).
	// +optional
	caBundle []*dagger.File,
	// Build env, NAME=VALUE (repeatable), over the contract's; the platform's build network wins on conflicts.
	// +optional
	env []string,
	// Folder holding the application's contract: its build env and subPath apply.
	// +optional
	contracts *dagger.Directory,
	// Application to build when the contracts hold several.
	// +optional
	application string,
	// Name of the Dagger cache volume of the lifecycle's cache (default: goldenpath-cnb-cache-<image repository>).
	// +optional
	cacheVolume string,
	// Docker config.json (what docker login writes) as a secret, e.g. file://$HOME/.docker/config.json: credentials per registry host (the run image's, the app image's); username and password win for image's registry.
	// +optional
	dockerConfig *dagger.Secret,
	// The Secrets the platform names for builds (egress.mirrors[].credentialsSecret) as one JSON secret, e.g. {"corp-maven": {"username": "ci", "password": "..."}}: mounted at /platform/bindings/NAME/KEY, where the buildpacks read a mirror's credentials.
	// +optional
	secretBindings *dagger.Secret,
) (string, error) {
	creds, err := readRegistryCredentials(ctx, dockerConfig, image, username, password)
	if err != nil {
		return "", err
	}
	bindings, err := readSecretBindings(ctx, secretBindings)
	if err != nil {
		return "", err
	}
	b := cnbBuild{image: image, builder: builder, runImage: runImage, insecure: insecureRegistry, creds: creds, uid: uid, gid: gid, platform: platform, builderName: builderName, caBundle: caBundle,
		cacheVolume: cacheVolume, bindings: bindings}
	if contracts != nil {
		r, err := m.request(ctx, contracts, platform, application)
		if err != nil {
			return "", err
		}
		if r.Spec.Build.Type == contract.BuildTypeDockerfile {
			return "", fmt.Errorf("application %s is built from its Dockerfile (spec.build.type: dockerfile): use docker-build, or ship", r.Application)
		}
		b = b.forRequest(r)
		source = appDir(source, r)
	}
	b.env = append(b.env, env...)
	return b.run(ctx, source)
}

// forRequest is b for the request's build: its builder's build network and its build env (sorted, before env given
// to the function).
func (b cnbBuild) forRequest(r *contract.AppDeploymentRequest) cnbBuild {
	if r.Spec.Build.Builder != "" {
		b.builderName = r.Spec.Build.Builder
	}
	for _, k := range slices.Sorted(maps.Keys(r.Spec.Build.Env)) {
		b.env = append(b.env, k+"="+r.Spec.Build.Env[k])
	}
	return b
}

// cnbBuild is one buildpack build.
type cnbBuild struct {
	image, builder, runImage string
	insecure                 []string
	creds                    registryCredentials
	uid, gid                 int
	platform                 *dagger.File
	builderName              string
	caBundle                 []*dagger.File
	env                      []string // NAME=VALUE, later ones win
	cacheVolume              string
	bindings                 secretBindings
}

// envName is what a build env variable may be called (contract.EnvNamePattern): the name is also a file name
// under /platform/env.
var envName = regexp.MustCompile(contract.EnvNamePattern)

func (b cnbBuild) run(ctx context.Context, source *dagger.Directory) (string, error) {
	ref, err := name.ParseReference(b.image)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", b.image, err)
	}
	if err := b.bindings.check(ctx, b.platform, b.builderName); err != nil {
		return "", err
	}
	if err := b.checkAccess(ctx); err != nil {
		return "", err
	}
	base := dag.Container().From(b.builder)
	user := map[string]string{}
	for _, k := range []string{"CNB_USER_ID", "CNB_GROUP_ID"} {
		v, err := base.EnvVariable(ctx, k)
		if err != nil {
			return "", err
		}
		if v == "" {
			return "", fmt.Errorf("builder %s sets no %s: not a CNB builder image", b.builder, k)
		}
		user[k] = v
	}
	owner := user["CNB_USER_ID"] + ":" + user["CNB_GROUP_ID"]
	ctr := base.
		WithUser("root").
		WithExec([]string{"sh", "-c", "mkdir -p /layers /workspace /platform/env && chown -R " + owner + " /layers /workspace"}).
		WithDirectory("/workspace", source, dagger.ContainerWithDirectoryOpts{Owner: owner}).
		WithExec([]string{"chmod", "0777", "/workspace"}). // after the copy, which gives the folder the source's mode
		WithEnvVariable("CNB_PLATFORM_API", cnbPlatformAPI)
	env := append([]string(nil), b.env...)
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); !envName.MatchString(k) {
			return "", fmt.Errorf("build env %q: not a variable name (%s)", k, contract.EnvNamePattern)
		}
	}
	ctr, err = withEgress(ctx, ctr, owner, b.platform, b.builderName, b.caBundle, env)
	if err != nil {
		return "", err
	}
	ctr = b.bindings.mount(ctr, owner)
	volume := b.cacheVolume
	if volume == "" {
		volume = "goldenpath-cnb-cache-" + ref.Context().Name()
	}
	ctr = ctr.WithMountedCache("/cache", dag.CacheVolume(volume), dagger.ContainerWithMountedCacheOpts{
		Owner: owner, Sharing: dagger.CacheSharingModeLocked,
	})
	// The creator drops to -uid/-gid itself (it must start as root to do so); without them it runs as the builder's user.
	if b.uid < 0 && b.gid < 0 {
		ctr = ctr.WithUser(owner)
	}
	if auth, err := b.creds.cnbRegistryAuth(); err != nil {
		return "", err
	} else if auth != "" {
		ctr = ctr.WithSecretVariable("CNB_REGISTRY_AUTH", dag.SetSecret("goldenpath-cnb-registry-auth", auth))
	}
	args := []string{"/cnb/lifecycle/creator", "-app=/workspace", "-layers=/layers", "-platform=/platform",
		"-report=/layers/report.toml", "-cache-dir=/cache"}
	if b.runImage != "" {
		args = append(args, "-run-image="+b.runImage)
	}
	if b.gid >= 0 {
		args = append(args, "-gid="+strconv.Itoa(b.gid))
	}
	if b.uid >= 0 {
		args = append(args, "-uid="+strconv.Itoa(b.uid))
	}
	for _, r := range b.insecure {
		args = append(args, "-insecure-registry="+r)
	}
	args = append(args, b.image)
	report, err := ctr.WithExec(args).File("/layers/report.toml").Contents(ctx)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(report, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) == "digest" {
			return ref.Context().Name() + "@" + strings.Trim(strings.TrimSpace(v), `"`), nil
		}
	}
	return "", fmt.Errorf("no digest in the lifecycle's report:\n%s", report)
}

// appDir is the folder of source a request builds: its spec.source.git.subPath (validated relative, without ..).
func appDir(source *dagger.Directory, r *contract.AppDeploymentRequest) *dagger.Directory {
	if sub := r.Spec.Source.Git.SubPath; sub != "" {
		return source.Directory(sub)
	}
	return source
}

// dockerfileBuild builds a request of build type dockerfile as the library's DockerfileBuilder does: the
// Dockerfile and context of spec.build.dockerfile (relative to the app's folder), its build args; then publishes.
func dockerfileBuild(ctx context.Context, source *dagger.Directory, r *contract.AppDeploymentRequest, image string, creds registryCredentials) (string, error) {
	app := appDir(source, r)
	df := r.Spec.Build.Dockerfile
	if df == nil {
		df = &contract.DockerfileBuild{}
	}
	dockerfile, contextDir := cmp.Or(df.Path, "Dockerfile"), cmp.Or(df.Context, ".")
	dir := app.Directory(contextDir)
	rel, err := filepath.Rel(contextDir, dockerfile)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		// The Dockerfile is outside the context: BuildKit reads it from a copy inside.
		rel = ".goldenpath.Dockerfile"
		dir = dir.WithFile(rel, app.File(dockerfile))
	}
	var args []dagger.BuildArg
	for _, k := range slices.Sorted(maps.Keys(df.Args)) {
		args = append(args, dagger.BuildArg{Name: k, Value: df.Args[k]})
	}
	published, err := creds.withRegistryAuth(dir.DockerBuild(dagger.DirectoryDockerBuildOpts{Dockerfile: rel, BuildArgs: args})).Publish(ctx, image)
	if err != nil {
		return "", err
	}
	// Publish answers TAG@DIGEST; the tree pins REPOSITORY@DIGEST, as for a buildpack build and the library's.
	ref, err := name.ParseReference(published)
	if err != nil {
		return "", err
	}
	d, ok := ref.(name.Digest)
	if !ok {
		return "", fmt.Errorf("publish returned %q: no digest", published)
	}
	return d.Context().Name() + "@" + d.DigestStr(), nil
}

// checkAccess checks, before the build, that the run image can be read and the app image pushed with the
// build's credentials, so that a missing login fails in a second with the module's hint rather than in the
// lifecycle's analyzer (a 401 that says nothing of what to pass).
func (b cnbBuild) checkAccess(ctx context.Context) error {
	opts := b.creds.options(b.insecure...)
	if b.runImage != "" {
		if err := build.CheckPull(ctx, b.runImage, opts...); err != nil {
			return fmt.Errorf("run image: %w", err)
		}
	}
	return build.CheckPush(ctx, b.image, opts...)
}
