package build

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/buildpacks/pack/pkg/client"
	"github.com/buildpacks/pack/pkg/image"
	"github.com/buildpacks/pack/pkg/logging"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/daemon"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// PackBuilder builds with Cloud Native Buildpacks through the pack library
// and a Docker engine. It never pulls: the builder and run images must be
// in the engine (or, for Publish, the run image in the registry), which is
// how an air-gapped platform works.
type PackBuilder struct {
	opts packOptions
	reg  *registry.Client
}

var _ Builder = (*PackBuilder)(nil)

type packOptions struct {
	dockerHost string
	network    string
	trust      bool
	registry   []registry.Option
}

// PackOption configures a PackBuilder.
type PackOption func(*packOptions) error

// WithDockerHost sets the Docker engine address. Default: $DOCKER_HOST, or
// the engine's default socket.
func WithDockerHost(host string) PackOption {
	return func(o *packOptions) error { o.dockerHost = host; return nil }
}

// WithNetwork sets the network the build containers join, over the
// platform's build.network. Default: the platform's (empty: the Docker
// engine's default bridge; builds get the host network only when the
// platform asks for it).
func WithNetwork(network string) PackOption {
	return func(o *packOptions) error {
		if network == "" {
			return fmt.Errorf("WithNetwork: empty network")
		}
		o.network = network
		return nil
	}
}

// WithTrustBuilder runs the whole lifecycle in the builder image (one
// creator container; no separate lifecycle image to pull). Default: true,
// since the platform's own builder is the one that is used; set false to
// run each phase separately with pack's lifecycle image.
func WithTrustBuilder(trust bool) PackOption {
	return func(o *packOptions) error { o.trust = trust; return nil }
}

// WithPackRegistry sets the registry access (keychain, plain-HTTP hosts,
// transport) for publishing and reading the image back. Default:
// registry's defaults.
func WithPackRegistry(opts ...registry.Option) PackOption {
	return func(o *packOptions) error { o.registry = append(o.registry, opts...); return nil }
}

// NewPackBuilder returns a PackBuilder with the options applied over the
// documented defaults.
func NewPackBuilder(opts ...PackOption) (*PackBuilder, error) {
	o := packOptions{dockerHost: os.Getenv("DOCKER_HOST"), trust: true}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	reg, err := registry.New(o.registry...)
	if err != nil {
		return nil, err
	}
	return &PackBuilder{opts: o, reg: reg}, nil
}

// Build runs pack's build for the spec. The build env of the contract goes
// to the buildpacks; the cache is kept in Docker volumes named after the
// image, so a rebuild of the same app is warm.
func (b *PackBuilder) Build(ctx context.Context, spec *Spec) (*Result, error) {
	run, err := start(spec, b.reg)
	if err != nil {
		return nil, err
	}
	out, tail, tag, dir := run.out, run.tail, run.tag, run.dir
	fail := func(phase string, err error, hint string) (*Result, error) { return nil, run.fail(phase, err, hint) }
	bld, ok := spec.Platform.Builders[spec.Request.Spec.Build.Builder]
	if !ok {
		return fail(PhaseSetup, fmt.Errorf("platform has no builder %q", spec.Request.Spec.Build.Builder), "")
	}
	logger := logging.NewLogWithWriters(tail, tail)
	c, err := client.NewClient(client.WithLogger(logger), client.WithKeychain(b.reg.Keychain()))
	if err != nil {
		return fail(PhaseSetup, fmt.Errorf("connecting to the Docker engine: %w", err), "is the Docker engine running? (bash hack/setup.sh docker starts one)")
	}
	var insecure []string
	if b.reg.PlainHTTP(tag.RegistryStr()) {
		insecure = append(insecure, tag.RegistryStr())
	}
	settings, err := newEgress(spec.Platform, spec.Request.Spec.Build.Builder, spec.Request.Spec.Build.Env, spec.Bindings)
	if err != nil {
		return fail(PhaseSetup, err, "")
	}
	defer settings.Close()
	fmt.Fprintf(out, "goldenpath: building %s from %s with builder %s\n", tag, dir, bld.Image)
	err = c.Build(ctx, client.BuildOptions{
		Image:              tag.String(),
		Builder:            bld.Image,
		AppPath:            dir, // resolved inside the source folder (Source)
		Env:                settings.Env,
		Publish:            spec.Publish,
		PullPolicy:         image.PullNever,
		TrustBuilder:       func(string) bool { return b.opts.trust },
		DockerHost:         b.opts.dockerHost,
		ContainerConfig:    client.ContainerConfig{Network: buildNetwork(b.opts.network, spec), Volumes: settings.Volumes},
		InsecureRegistries: insecure,
		// -1: build and run as the builder's user (CNB_USER_ID), as the
		// pack CLI does unless --uid/--gid are given; 0 would make pack
		// pass -uid 0 -gid 0 and the layers would be owned by root.
		UserID:  -1,
		GroupID: -1,
	})
	if err != nil {
		hint := ""
		if tail.contains("No buildpack groups passed detection") || tail.contains("no buildpacks participating") {
			hint = "No buildpack recognised the app. " + detectHint(bld.Order)
			return fail(PhaseDetect, err, hint)
		}
		if spec.Publish && (tail.contains("UNAUTHORIZED") || tail.contains("authentication required") || tail.contains("401 Unauthorized")) {
			hint = fmt.Sprintf("authentication required for %s: run `docker login %s` (or configure a credential helper)", tag.RegistryStr(), tag.RegistryStr())
		}
		if tail.contains("x509: certificate signed by unknown authority") {
			hint = "the build does not trust a registry's certificate: name the CA that signed it in the platform's egress.caCertificates.bundles (the build container's lifecycle trusts those)"
		}
		return fail("", err, hint)
	}
	res := &Result{Tag: tag.String(), Published: spec.Publish, BuildType: spec.Request.Spec.Build.Type, Builder: bld.Image}
	if spec.Publish {
		desc, err := b.reg.Head(ctx, tag)
		if err != nil {
			return fail(PhasePush, fmt.Errorf("reading back the pushed image: %w", err), "")
		}
		res.Digest = desc.Digest.String()
		res.Reference = tag.Context().Digest(res.Digest).String()
	} else {
		id, err := daemonImageID(ctx, tag)
		if err != nil {
			return fail(PhaseExport, fmt.Errorf("reading back the built image: %w", err), "")
		}
		res.Digest = id
	}
	fmt.Fprintf(out, "goldenpath: built %s %s\n", res.Tag, res.Digest)
	return res, nil
}

// detectHint lists what each buildpack group of the builder looks for, as
// far as goldenpath knows the language.
func detectHint(order []contract.OrderGroup) string {
	var parts []string
	for _, g := range order {
		if files, ok := languageFiles[g.Language]; ok {
			parts = append(parts, fmt.Sprintf("%s looks for %s", g.Language, files))
		}
	}
	if len(parts) == 0 {
		return "Check the buildpacks' detect output above."
	}
	return strings.Join(parts, "; ") + "."
}

// languageFiles are the files the usual buildpacks of each language detect.
var languageFiles = map[string]string{
	"go":       "go.mod",
	"nodejs":   "package.json",
	"python":   "requirements.txt or pyproject.toml",
	"java":     "pom.xml, build.gradle or a JAR",
	"dotnet":   "*.csproj, *.fsproj or *.sln",
	"ruby":     "Gemfile",
	"procfile": "Procfile",
}

var _ io.Writer = (*logTail)(nil)

// daemonImageID returns the image ID (config digest) of an image in the
// Docker engine.
func daemonImageID(ctx context.Context, ref name.Reference) (string, error) {
	img, err := daemon.Image(ref, daemon.WithContext(ctx), daemon.WithUnbufferedOpener())
	if err != nil {
		return "", err
	}
	h, err := img.ConfigName()
	if err != nil {
		return "", err
	}
	return h.String(), nil
}
