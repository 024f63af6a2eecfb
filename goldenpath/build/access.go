package build

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/regopt"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// CheckPush checks, in a second, that image's repository accepts pushes
// with the options' credentials (an upload is started and cancelled): what
// a build that runs elsewhere (the Dagger module's lifecycle container)
// checks before it starts, so that a missing login fails with the registry
// options' authentication error, not at the end of the build. Options: the
// registry options.
func CheckPush(ctx context.Context, image string, opts ...goldenpath.Option) error {
	c, ref, err := clientFor(image, opts)
	if err != nil {
		return err
	}
	return c.CheckPush(ctx, ref.Context())
}

// CheckPull checks that image can be read with the options' credentials
// (its manifest resolved). Options: the registry options.
func CheckPull(ctx context.Context, image string, opts ...goldenpath.Option) error {
	c, ref, err := clientFor(image, opts)
	if err != nil {
		return err
	}
	if _, err := c.Head(ctx, ref); err != nil {
		return fmt.Errorf("reading %s: %w", ref, err)
	}
	return nil
}

// clientFor is the registry client of the options and image parsed by it.
func clientFor(image string, opts []goldenpath.Option) (*registry.Client, name.Reference, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, nil, err
	}
	c, err := registry.New(regopt.Options(s)...)
	if err != nil {
		return nil, nil, err
	}
	ref, err := c.Parse(image)
	if err != nil {
		return nil, nil, fmt.Errorf("image %q: %w", image, err)
	}
	return c, ref, nil
}
