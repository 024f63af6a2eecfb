package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
	"github.com/google/go-containerregistry/pkg/name"
)

// DockerBuild builds a Dockerfile with the engine's own BuildKit (Dagger's Directory.dockerBuild): no Docker
// daemon is involved. Base images come from the registries the engine is configured for (hack/setup-dagger.sh
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
) (string, error) {
	if password != nil {
		ref, err := name.ParseReference(address)
		if err != nil {
			return "", fmt.Errorf("address %q: %w", address, err)
		}
		ctr = ctr.WithRegistryAuth(ref.Context().RegistryStr(), username, password)
	}
	return ctr.Publish(ctx, address)
}

// cnbPlatformAPI is the platform API the creator runs with: the one pack v0.40 (the library's) picks for the
// goldenpath builder's lifecycle, so that both builds write the same metadata.
const cnbPlatformAPI = "0.15"

// BuildpackBuild builds source with the Cloud Native Buildpacks lifecycle of a builder image (its `creator`, run
// in a Dagger container: no Docker daemon) and publishes the app image to image. It returns image@digest.
// The builder and the run image are pulled from their registries (hack/setup-dagger.sh makes the goldenpath
// registry reachable as GOLDENPATH_DAGGER_REGISTRY; pass it as insecureRegistry when it is plain HTTP).
//
// The creator is invoked as pack invokes it for the library's build (build.PackBuilder, `goldenpath build`),
// so that the image has the same layers (hack/dagger/smoke.sh compares them): platform API 0.15 (what pack
// v0.40 negotiates with the builder's lifecycle), the source copied to /workspace owned by the builder's user
// (CNB_USER_ID/CNB_GROUP_ID) with the folder itself mode 0777 (pack's tar of the app dir), and no -uid/-gid (the
// default -1): the build runs as the builder's user and the layers are owned by CNB_USER_ID, as with the pack CLI
// and build.PackBuilder. --uid/--gid override the user (0: root), which no longer matches the library's layers.
// The image config still
// differs from the library's in the io.buildpacks.lifecycle.metadata label (runImage.reference names the run
// image's registry as the build saw it: GATEWAY:PORT here, 127.0.0.1:PORT for pack), hence the digest.
func (m *Goldenpath) BuildpackBuild(
	ctx context.Context,
	// Application source.
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
	// Platform whose egress applies (mirrors, proxy, CA launch flags): written to the creator's /platform.
	// +optional
	platform *dagger.File,
	// The platform's builder the build network is taken for (per-builder overrides).
	// +optional
	// +default="default"
	builderName string,
	// CA bundles (PEM) trusted in the build, as bindings of type ca-certificates: the platform's caCertificates files.
	// +optional
	caBundle []*dagger.File,
	// Build env of the request, NAME=VALUE (repeatable); the platform's build network wins on conflicts.
	// +optional
	env []string,
) (string, error) {
	base := dag.Container().From(builder)
	user := map[string]string{}
	for _, k := range []string{"CNB_USER_ID", "CNB_GROUP_ID"} {
		v, err := base.EnvVariable(ctx, k)
		if err != nil {
			return "", err
		}
		if v == "" {
			return "", fmt.Errorf("builder %s sets no %s: not a CNB builder image", builder, k)
		}
		user[k] = v
	}
	owner := user["CNB_USER_ID"] + ":" + user["CNB_GROUP_ID"]
	ctr := base.
		WithUser("root").
		WithExec([]string{"sh", "-c", "mkdir -p /layers /workspace /platform && chown -R " + owner + " /layers /workspace"}).
		WithDirectory("/workspace", source, dagger.ContainerWithDirectoryOpts{Owner: owner}).
		WithExec([]string{"chmod", "0777", "/workspace"}). // after the copy, which gives the folder the source's mode
		WithEnvVariable("CNB_PLATFORM_API", cnbPlatformAPI)
	ctr, err := withEgress(ctx, ctr, owner, platform, builderName, caBundle, env)
	if err != nil {
		return "", err
	}
	// The creator drops to -uid/-gid itself (it must start as root to do so); without them it runs as the builder's user.
	if uid < 0 && gid < 0 {
		ctr = ctr.WithUser(owner)
	}
	if password != nil {
		ref, err := name.ParseReference(image)
		if err != nil {
			return "", fmt.Errorf("image %q: %w", image, err)
		}
		pw, err := password.Plaintext(ctx)
		if err != nil {
			return "", err
		}
		auth, err := json.Marshal(map[string]string{
			ref.Context().RegistryStr(): "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+pw)),
		})
		if err != nil {
			return "", err
		}
		ctr = ctr.WithSecretVariable("CNB_REGISTRY_AUTH", dag.SetSecret("goldenpath-cnb-registry-auth", string(auth)))
	}
	args := []string{"/cnb/lifecycle/creator", "-app=/workspace", "-layers=/layers", "-platform=/platform",
		"-report=/layers/report.toml", "-skip-restore"}
	if runImage != "" {
		args = append(args, "-run-image="+runImage)
	}
	if gid >= 0 {
		args = append(args, "-gid="+strconv.Itoa(gid))
	}
	if uid >= 0 {
		args = append(args, "-uid="+strconv.Itoa(uid))
	}
	for _, r := range insecureRegistry {
		args = append(args, "-insecure-registry="+r)
	}
	args = append(args, image)
	report, err := ctr.WithExec(args).File("/layers/report.toml").Contents(ctx)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(report, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) == "digest" {
			ref, err := name.ParseReference(image)
			if err != nil {
				return "", err
			}
			return ref.Context().Name() + "@" + strings.Trim(strings.TrimSpace(v), `"`), nil
		}
	}
	return "", fmt.Errorf("no digest in the lifecycle's report:\n%s", report)
}
