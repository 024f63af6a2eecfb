package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
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

// BuildpackBuild builds source with the Cloud Native Buildpacks lifecycle of a builder image (its `creator`, run
// in a Dagger container: no Docker daemon) and publishes the app image to image. It returns image@digest.
// The builder and the run image are pulled from their registries (hack/setup-dagger.sh makes the goldenpath
// registry reachable as GOLDENPATH_DAGGER_REGISTRY; pass it as insecureRegistry when it is plain HTTP).
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
) (string, error) {
	ctr := dag.Container().From(builder).
		WithUser("root").
		WithExec([]string{"sh", "-c", "mkdir -p /layers /workspace /platform && chown -R 1000:1000 /layers /workspace"}).
		WithDirectory("/workspace", source, dagger.ContainerWithDirectoryOpts{Owner: "1000:1000"}).
		WithUser("1000:1000").
		WithEnvVariable("CNB_PLATFORM_API", "0.13")
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
