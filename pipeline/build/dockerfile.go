package build

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"

	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// DockerfileBuilder is the opt-out path: it builds the request's
// Dockerfile with the Docker engine's BuildKit (through the docker command,
// which carries BuildKit's client session) and publishes the result with
// go-containerregistry.
type DockerfileBuilder struct {
	docker   string
	network  string
	registry []registry.Option
	reg      *registry.Client
}

var _ Builder = (*DockerfileBuilder)(nil)

// DockerfileOption configures a DockerfileBuilder.
type DockerfileOption func(*DockerfileBuilder) error

// WithDockerCommand sets the docker client binary. Default: /usr/bin/docker
// when it exists (a distribution's client with BuildKit), else docker on
// $PATH.
func WithDockerCommand(path string) DockerfileOption {
	return func(b *DockerfileBuilder) error {
		if path == "" {
			return fmt.Errorf("WithDockerCommand: empty path")
		}
		b.docker = path
		return nil
	}
}

// WithBuildNetwork sets the network of RUN steps, over the platform's
// build.network. Default: the platform's (empty: the Docker engine's
// default).
func WithBuildNetwork(network string) DockerfileOption {
	return func(b *DockerfileBuilder) error { b.network = network; return nil }
}

// WithDockerfileRegistry sets the registry access (keychain, plain-HTTP
// hosts, transport) for publishing. Default: registry's defaults.
func WithDockerfileRegistry(opts ...registry.Option) DockerfileOption {
	return func(b *DockerfileBuilder) error { b.registry = append(b.registry, opts...); return nil }
}

// NewDockerfileBuilder returns a DockerfileBuilder with the options applied
// over the documented defaults.
func NewDockerfileBuilder(opts ...DockerfileOption) (*DockerfileBuilder, error) {
	b := &DockerfileBuilder{docker: "docker"}
	if _, err := os.Stat("/usr/bin/docker"); err == nil {
		b.docker = "/usr/bin/docker"
	}
	for _, opt := range opts {
		if err := opt(b); err != nil {
			return nil, err
		}
	}
	reg, err := registry.New(b.registry...)
	if err != nil {
		return nil, err
	}
	b.reg = reg
	return b, nil
}

// Build runs `docker build` with the contract's Dockerfile path, context
// and build arguments, then pushes the image when spec.Publish is set.
func (b *DockerfileBuilder) Build(ctx context.Context, spec *Spec) (*Result, error) {
	run, err := start(spec, b.reg)
	if err != nil {
		return nil, err
	}
	out, tail, tag, dir := run.out, run.tail, run.tag, run.dir
	fail := func(phase string, err error, hint string) (*Result, error) { return nil, run.fail(phase, err, hint) }
	df := spec.Request.Spec.Build.Dockerfile
	contextDir, err := run.src.Dir(dir, df.Context, "spec.build.dockerfile.context")
	if err != nil {
		return fail(PhaseSetup, err, "the context is relative to the app's folder and stays inside the source folder")
	}
	dockerfile, err := run.src.File(dir, df.Path, "spec.build.dockerfile.path")
	if err != nil {
		return fail(PhaseSetup, err, "spec.build.dockerfile.path is relative to the app's folder and stays inside the source folder")
	}
	args := []string{"build", "--file", dockerfile, "--tag", tag.String()}
	if n := buildNetwork(b.network, spec); n != "" {
		args = append(args, "--network", n)
	}
	keys := make([]string, 0, len(df.Args))
	for k := range df.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--build-arg", k+"="+df.Args[k])
	}
	args = append(args, proxyBuildArgs(spec.Platform, spec.Request.Spec.Build.Builder)...)
	args = append(args, contextDir)
	fmt.Fprintf(out, "goldenpath: %s %v\n", b.docker, args)
	cmd := exec.CommandContext(ctx, b.docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	cmd.Stdout, cmd.Stderr = tail, tail
	if err := cmd.Run(); err != nil {
		return fail(PhaseBuild, fmt.Errorf("docker build: %w", err), "")
	}
	res := &Result{Tag: tag.String(), BuildType: spec.Request.Spec.Build.Type}
	if !spec.Publish {
		id, err := daemonImageID(ctx, tag)
		if err != nil {
			return fail(PhaseBuild, fmt.Errorf("reading back the built image: %w", err), "")
		}
		res.Digest = id
		fmt.Fprintf(out, "goldenpath: built %s %s\n", res.Tag, res.Digest)
		return res, nil
	}
	img, err := daemon.Image(tag, daemon.WithContext(ctx))
	if err != nil {
		return fail(PhasePush, fmt.Errorf("reading the built image from the Docker engine: %w", err), "")
	}
	fmt.Fprintf(out, "goldenpath: pushing %s\n", tag)
	if err := remote.Write(tag, img, b.reg.RemoteOptions(ctx)...); err != nil {
		err = b.reg.Explain(err, tag.RegistryStr())
		return fail(PhasePush, fmt.Errorf("pushing %s: %w", tag, err), "")
	}
	d, err := img.Digest()
	if err != nil {
		return fail(PhasePush, err, "")
	}
	res.Digest, res.Published = d.String(), true
	res.Reference = tag.Context().Digest(res.Digest).String()
	fmt.Fprintf(out, "goldenpath: pushed %s\n", res.Reference)
	return res, nil
}
