package goldenpath

import (
	"errors"
	"fmt"
	"io"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
)

// Option configures a call of the facade: the one option type of
// goldenpath and of its sub-packages (build, supplychain, fleet, cluster).
// Request structs carry the data of a call; options carry configuration,
// each with a documented default. A call uses the options that concern
// it and ignores the others, so one list can serve several calls. A
// single-valued option given twice is an error, as is a bad value: both
// are reported when the options are applied, before any work starts.
type Option func(*settings.Settings) error

// options is what the calls of this package read from the settings.
type options struct {
	platform    *contract.Platform
	concurrency int
	images      map[string]string
	tree        treeOptions // see tree.go
}

// makeOptions applies opts over the documented defaults: the embedded
// default platform and one worker per CPU.
func makeOptions(opts []Option) (*options, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, err
	}
	return &options{platform: s.PlatformOrDefault(), concurrency: s.FileConcurrency(), images: s.Images,
		tree: treeOptions{adopt: s.Tree.Adopt, unpin: s.Tree.Unpin, hook: s.Tree.Hook}}, nil
}

// WithPlatform sets the platform requests are checked, rendered, built and
// planned against. Default: [contract.DefaultPlatform].
func WithPlatform(p *contract.Platform) Option {
	return func(s *settings.Settings) error {
		if p == nil {
			return errors.New("WithPlatform: nil platform")
		}
		if err := s.Once("WithPlatform"); err != nil {
			return err
		}
		s.Platform = p
		return nil
	}
}

// WithConcurrency sets how much work runs at once: files loaded,
// validated or rendered (default: one per CPU, GOMAXPROCS), and images
// planned, rebased or resolved in registries (default: 16, enough to keep
// a registry busy while each image waits on its few small requests).
func WithConcurrency(n int) Option {
	return func(s *settings.Settings) error {
		if n < 1 {
			return fmt.Errorf("WithConcurrency: %d is not a positive number", n)
		}
		if err := s.Once("WithConcurrency"); err != nil {
			return err
		}
		s.Concurrency = n
		return nil
	}
}

// WithImages pins Deployments to built images by digest. Keys are an
// application name, or environment/application when one application is
// rendered for several environments; the key "" applies to a lone request.
// [ImagePins] makes the map from [APP=]REF arguments. Default: no pins
// (the kpack tag, or the pipeline's tag for dockerfile builds).
func WithImages(images map[string]string) Option {
	return func(s *settings.Settings) error {
		for k, v := range images {
			if v == "" {
				return fmt.Errorf("WithImages: empty image for %q", k)
			}
		}
		if err := s.Once("WithImages"); err != nil {
			return err
		}
		s.Images = images
		return nil
	}
}

// WithKeyPassword sets the password of the signing key: the one
// supplychain.GenerateKeys encrypts a new key with, and the one Sign and
// build.Ship decrypt it with. Default: the empty password (which cosign
// allows). The CLI reads it from $COSIGN_PASSWORD, as cosign does; the
// library never reads the environment.
func WithKeyPassword(password []byte) Option {
	return func(s *settings.Settings) error {
		if err := s.Once("WithKeyPassword"); err != nil {
			return err
		}
		s.KeyPassword = password
		return nil
	}
}

// WithOutput sets where long calls (build.Ship: build logs and each
// supply-chain step) write their progress. Default: nowhere.
func WithOutput(w io.Writer) Option {
	return func(s *settings.Settings) error {
		if w == nil {
			return errors.New("WithOutput: nil writer")
		}
		if err := s.Once("WithOutput"); err != nil {
			return err
		}
		s.Output = w
		return nil
	}
}

// CheckOptions applies opts as a call would and returns the first problem
// (a bad value, a conflict), so that a front end can report it before it
// starts any work.
func CheckOptions(opts ...Option) error {
	_, err := settings.Apply(opts)
	return err
}
