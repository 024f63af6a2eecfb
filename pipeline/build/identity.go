package build

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// BuilderImageIdentity identifies a builder image by digest (see
// cnb.BuilderImageIdentity: the type lives in the leaf package so that
// provenance, which records it, does not link the builds).
type BuilderImageIdentity = cnb.BuilderImageIdentity

// BuilderIdentity identifies the builder image of a platform builder as a
// build outside the cluster uses it: the image ID (config digest) of
// b.Image in the Docker engine, which is what pack ran, and, when the
// platform's builder tag b.Tag in the registry holds the same image (same
// config digest), its repository and manifest digest. An engine that does
// not answer is an error; a registry that does not is not.
func BuilderIdentity(ctx context.Context, b contract.Builder, opts ...registry.Option) (BuilderImageIdentity, error) {
	var id BuilderImageIdentity
	o, err := registry.New(opts...)
	if err != nil {
		return id, err
	}
	local := b.Image
	if local == "" {
		local = b.Tag
	}
	ref, err := o.Parse(local)
	if err != nil {
		return id, fmt.Errorf("builder %s: %w", local, err)
	}
	if id.ImageID, err = daemonImageID(ctx, ref); err != nil {
		return id, fmt.Errorf("builder %s in the Docker engine: %w", local, err)
	}
	if b.Tag == "" {
		return id, nil
	}
	tag, err := o.Parse(b.Tag)
	if err != nil {
		return id, nil
	}
	img, err := remote.Image(tag, o.RemoteOptions(ctx)...)
	if err != nil {
		return id, nil
	}
	if cfg, err := img.ConfigName(); err != nil || cfg.String() != id.ImageID {
		return id, nil
	}
	if d, err := img.Digest(); err == nil {
		id.Repository, id.Digest = tag.Context().Name(), d.String()
	}
	return id, nil
}

// SourceRevision returns the commit checked out in dir (or the repository
// dir is inside): what a build of that folder was built from. It does not
// say whether the working tree had local changes.
func SourceRevision(dir string) (string, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return "", fmt.Errorf("source revision of %s: %w", dir, err)
	}
	head, err := repo.Head()
	if err != nil {
		return "", fmt.Errorf("source revision of %s: %w", dir, err)
	}
	return head.Hash().String(), nil
}
