package build

import (
	"context"
	"errors"
	"io"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// Spec is one build: which request, from which source, to where.
type Spec struct {
	// Request is the application's contract (loaded and defaulted).
	Request *contract.AppDeploymentRequest
	// Platform names the builders and the registry.
	Platform *contract.Platform
	// SourceDir is the checkout of the request's repository, or the
	// repository's git URL (see IsGitSource), cloned at the request's
	// spec.source.git.revision (else its branch) with the user's git
	// credentials (see CloneSource); the request's spec.source.git.subPath
	// is applied to it, as kpack does.
	SourceDir string
	// Registry replaces the platform's registry prefix (for example a local
	// registry in CI). Empty keeps the platform's.
	Registry string
	// Publish pushes the image to the registry; otherwise it stays in the
	// local Docker engine.
	Publish bool
	// Output receives progress and the build's log lines. Nil discards them.
	Output io.Writer
	// Bindings are the Secrets the platform names for the builder's
	// builds (the mirrors' credentialsSecret), for a local build: Secret
	// name -> a folder holding its keys as files (username, password), as
	// kpack mounts the Secret. The buildpack path mounts each at
	// /platform/bindings/NAME; a Secret the platform names without its
	// folder, or a folder for a Secret it does not name, is refused before
	// the build.
	Bindings map[string]string
}

// Result is what a build produced.
type Result struct {
	// Tag is the image's tag (registry/environment/application).
	Tag string `json:"tag"`
	// Digest is the manifest digest of a published image, or the image ID
	// (config digest) of an image kept in the Docker engine.
	Digest string `json:"digest"`
	// Reference is tag@digest for a published image: what GitOps pins.
	Reference string `json:"reference,omitempty"`
	// Published says whether the image is in the registry.
	Published bool `json:"published"`
	// BuildType is buildpack or dockerfile.
	BuildType contract.BuildType `json:"buildType"`
	// Builder is the builder image (buildpack builds).
	Builder string `json:"builder,omitempty"`
	// SourceRevision is the commit built when the source was a git URL
	// (the clone's HEAD); empty for a folder (see SourceRevision).
	SourceRevision string `json:"sourceRevision,omitempty"`
}

// Builder builds one Spec into an image.
type Builder interface {
	Build(ctx context.Context, spec *Spec) (*Result, error)
}

// Tag returns the image tag a spec builds: the platform's (or the
// overriding) registry, then environment/application
// (contract.Platform.ImageRepositoryOn), plain HTTP by the registry
// client's rule.
func (s *Spec) Tag(reg *registry.Client) (name.Tag, error) {
	ref, err := reg.Parse(s.Platform.ImageRepositoryOn(s.Registry, s.Request) + ":latest")
	if err != nil {
		return name.Tag{}, err
	}
	return ref.(name.Tag), nil
}

// AppDir is the folder built: SourceDir with the request's subPath, resolved
// inside SourceDir (see [Source]).
func (s *Spec) AppDir() (string, error) {
	src, err := OpenSource(s.SourceDir)
	if err != nil {
		return "", err
	}
	return src.Dir("", s.Request.Spec.Source.Git.SubPath, "spec.source.git.subPath")
}

func (s *Spec) validate() error {
	switch {
	case s.Request == nil:
		return errors.New("pipeline: no request")
	case s.Platform == nil:
		return errors.New("pipeline: no platform")
	case s.SourceDir == "":
		return errors.New("pipeline: no source folder")
	}
	if errs := append(s.Request.Validate(), s.Platform.Admit(s.Request)...); len(errs) > 0 {
		return errs
	}
	return nil
}

func (s *Spec) out() io.Writer {
	if s.Output == nil {
		return io.Discard
	}
	return s.Output
}

// Build runs the builder the request's spec.build.type asks for: pack for
// buildpack, the Docker engine for dockerfile.
func Build(ctx context.Context, spec *Spec, pack, dockerfile Builder) (*Result, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if IsGitSource(spec.SourceDir) {
		return buildClone(ctx, spec, pack, dockerfile)
	}
	switch spec.Request.Spec.Build.Type {
	case contract.BuildTypeDockerfile:
		return dockerfile.Build(ctx, spec)
	default:
		return pack.Build(ctx, spec)
	}
}

// buildNetwork is the network a build's containers join: the builder's
// explicit setting, else the platform's build.network (empty: the Docker
// engine's default).
func buildNetwork(explicit string, spec *Spec) string {
	if explicit != "" {
		return explicit
	}
	return spec.Platform.Build.Network
}

// buildClone builds a spec whose source is a git URL: from a clone at the
// request's revision (else its branch), removed afterwards.
func buildClone(ctx context.Context, spec *Spec, pack, dockerfile Builder) (*Result, error) {
	g := spec.Request.Spec.Source.Git
	rev := g.Revision
	if rev == "" {
		rev = g.Branch
	}
	clone, err := CloneSource(ctx, spec.SourceDir, rev, spec.out())
	if err != nil {
		return nil, err
	}
	defer func() { _ = clone.Remove() }()
	local := *spec
	local.SourceDir = clone.Dir
	res, err := Build(ctx, &local, pack, dockerfile)
	if res != nil {
		res.SourceRevision = clone.Commit
	}
	return res, err
}
