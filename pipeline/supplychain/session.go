package supplychain

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"

	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// session is one supply-chain call's registry access: the registry
// client made from the call's options.
type session struct {
	reg *registry.Client
}

func newSession(opts []registry.Option) (*session, error) {
	reg, err := registry.New(opts...)
	if err != nil {
		return nil, err
	}
	return &session{reg: reg}, nil
}

func (o *session) parse(ref string) (name.Reference, error) {
	return o.reg.Parse(ref)
}

func (o *session) remote(ctx context.Context) []remote.Option {
	return o.reg.RemoteOptions(ctx)
}

func (o *session) ociremote(ctx context.Context) []ociremote.Option {
	return []ociremote.Option{ociremote.WithRemoteOptions(o.remote(ctx)...)}
}

// explain turns a registry's 401 for ref into an error that says to log in.
func (o *session) explain(err error, ref name.Reference) error {
	return o.reg.Explain(err, ref.Context().RegistryStr())
}

// resolve parses an image reference and resolves it to its manifest digest:
// a tag is looked up in the registry, a digest reference is kept. Signing and
// verifying always work on the digest, so that a tag moved between the two
// steps cannot swap the image.
func (o *session) resolve(ctx context.Context, image string) (name.Reference, name.Digest, error) {
	ref, err := o.parse(image)
	if err != nil {
		return nil, name.Digest{}, err
	}
	if d, ok := ref.(name.Digest); ok {
		// Canonical repository@digest, also for a tag@digest reference.
		return ref, d.Context().Digest(d.DigestStr()), nil
	}
	desc, err := remote.Head(ref, o.remote(ctx)...)
	if err != nil {
		if registry.IsNotFound(err) {
			return nil, name.Digest{}, fmt.Errorf("image %s not found in its registry: %w", ref, err)
		}
		return nil, name.Digest{}, fmt.Errorf("resolving %s to a digest: %w", ref, o.explain(err, ref))
	}
	return ref, ref.Context().Digest(desc.Digest.String()), nil
}

// finish makes a registry's 401 for image the error that says to log in,
// keeping what the call was doing.
func (o *session) finish(image string, err error) error {
	var auth *registry.AuthError
	if err == nil || errors.As(err, &auth) {
		return err
	}
	ref, perr := o.parse(image)
	if perr != nil {
		return err
	}
	if explained := o.explain(err, ref); explained != err {
		return fmt.Errorf("%w (%v)", explained, err)
	}
	return err
}

// open starts a supply-chain call (op) on image: the registry session of
// the call's options and the digest the reference resolves to.
func open(ctx context.Context, op, image string, opts []registry.Option) (*session, name.Reference, name.Digest, error) {
	o, err := newSession(opts)
	if err != nil {
		return nil, nil, name.Digest{}, err
	}
	ref, digest, err := o.resolve(ctx, image)
	if err != nil {
		return nil, nil, name.Digest{}, fmt.Errorf("%s: %w", op, o.finish(image, err))
	}
	return o, ref, digest, nil
}

// labelled reads the image at digest and its config's labels.
func (o *session) labelled(ctx context.Context, op string, digest name.Digest) (v1.Image, map[string]string, error) {
	img, err := remote.Image(digest, o.remote(ctx)...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading %s: %w", op, digest, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s: reading the image config: %w", op, digest, err)
	}
	return img, cf.Config.Labels, nil
}
