package registry

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image is an image's manifest and config as read from a registry, raw
// and parsed: what the rebase and the plan work on.
type Image struct {
	Ref       name.Reference
	Digest    v1.Hash
	MediaType types.MediaType
	Raw       []byte
	Manifest  *v1.Manifest
	Config    *v1.ConfigFile
	RawConfig []byte
}

// Top is the diff ID of the image's top layer (zero without layers).
func (d *Image) Top() v1.Hash {
	ids := d.Config.RootFS.DiffIDs
	if len(ids) == 0 {
		return v1.Hash{}
	}
	return ids[len(ids)-1]
}

// Platform is the image's OS, architecture and variant.
func (d *Image) Platform() *v1.Platform {
	return &v1.Platform{OS: d.Config.OS, Architecture: d.Config.Architecture, Variant: d.Config.Variant}
}

// ResolvedImage is an image as read from the registry.
type ResolvedImage struct {
	// Name as given.
	Name string `json:"name"`
	// Digest of its manifest.
	Digest string `json:"digest"`
	// TopLayer is the diff ID of its top layer.
	TopLayer string `json:"topLayer"`
	// Layers is its number of layers.
	Layers int `json:"layers"`
}

// Image reads an image's manifest and config (two requests). For an index
// it takes the child of the platform given (an error without one).
func (c *Client) Image(ctx context.Context, ref name.Reference, platform *v1.Platform) (*Image, error) {
	opts, err := c.repoOptions(ctx, ref.Context(), false)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, c.Explain(fmt.Errorf("manifest of %s: %w", ref, err), ref.Context().RegistryStr())
	}
	if desc.MediaType.IsIndex() {
		return c.child(ctx, ref, desc, platform)
	}
	if desc.MediaType != types.OCIManifestSchema1 && desc.MediaType != types.DockerManifestSchema2 {
		return nil, fmt.Errorf("%s: unsupported manifest type %q", ref, desc.MediaType)
	}
	d := &Image{Ref: ref, Digest: desc.Digest, MediaType: desc.MediaType, Raw: desc.Manifest}
	if d.Manifest, err = v1.ParseManifest(bytes.NewReader(desc.Manifest)); err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", ref, err)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", ref, err)
	}
	if d.RawConfig, err = img.RawConfigFile(); err != nil {
		return nil, c.Explain(fmt.Errorf("config of %s: %w", ref, err), ref.Context().RegistryStr())
	}
	if d.Config, err = v1.ParseConfigFile(bytes.NewReader(d.RawConfig)); err != nil {
		return nil, fmt.Errorf("config of %s: %w", ref, err)
	}
	return d, nil
}

func (c *Client) child(ctx context.Context, ref name.Reference, desc *remote.Descriptor, platform *v1.Platform) (*Image, error) {
	if platform == nil {
		return nil, fmt.Errorf("%s is an image index: rebase each platform's image by its digest", ref)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("index of %s: %w", ref, err)
	}
	for _, m := range idx.Manifests {
		if m.Platform != nil && m.Platform.OS == platform.OS && m.Platform.Architecture == platform.Architecture &&
			(platform.Variant == "" || m.Platform.Variant == "" || m.Platform.Variant == platform.Variant) {
			d, err := c.Image(ctx, ref.Context().Digest(m.Digest.String()), nil)
			if err != nil {
				return nil, err
			}
			d.Ref = ref
			return d, nil
		}
	}
	return nil, fmt.Errorf("index %s has no image for %s/%s", ref, platform.OS, platform.Architecture)
}

// HasBlob checks that a blob is in a repository (a HEAD request).
func (c *Client) HasBlob(ctx context.Context, repo name.Repository, d v1.Hash) error {
	opts, err := c.repoOptions(ctx, repo, false)
	if err != nil {
		return err
	}
	l, err := remote.Layer(repo.Digest(d.String()), opts...)
	if err != nil {
		return err
	}
	_, err = l.Size()
	return c.Explain(err, repo.RegistryStr())
}

// PutBlob uploads a small blob unless the repository has it.
func (c *Client) PutBlob(ctx context.Context, repo name.Repository, data []byte, mt types.MediaType) error {
	opts, err := c.repoOptions(ctx, repo, true)
	if err != nil {
		return err
	}
	return c.Explain(remote.WriteLayer(repo, staticLayer(data, mt), opts...), repo.RegistryStr())
}

// PutManifest writes a raw manifest under ref (a tag or its digest); its
// blobs must be in the repository already.
func (c *Client) PutManifest(ctx context.Context, ref name.Reference, raw []byte, mt types.MediaType) error {
	opts, err := c.repoOptions(ctx, ref.Context(), true)
	if err != nil {
		return err
	}
	return c.Explain(remote.Put(ref, rawManifest{raw: raw, mt: mt}, opts...), ref.Context().RegistryStr())
}

// Head resolves a reference to its descriptor (a HEAD request, GET when
// the registry does not answer HEAD).
func (c *Client) Head(ctx context.Context, ref name.Reference) (*v1.Descriptor, error) {
	opts, err := c.repoOptions(ctx, ref.Context(), false)
	if err != nil {
		return nil, err
	}
	d, err := remote.Head(ref, opts...)
	if err != nil && !IsNotFound(err) && !isUnauthorized(err) {
		g, gerr := remote.Get(ref, opts...)
		if gerr != nil {
			return nil, c.Explain(gerr, ref.Context().RegistryStr())
		}
		return &g.Descriptor, nil
	}
	return d, c.Explain(err, ref.Context().RegistryStr())
}

// CheckPush checks that repo accepts pushes with the client's credentials:
// an upload is started and cancelled (go-containerregistry's
// remote.CheckPushPermission), so that a missing login fails in a second,
// as an [AuthError], before a build that would push at its end.
func (c *Client) CheckPush(ctx context.Context, repo name.Repository) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := remote.CheckPushPermission(repo.Tag("latest"), c.o.keychain, c.guard); err != nil {
		return fmt.Errorf("checking push access to %s: %w", repo, c.Explain(err, repo.RegistryStr()))
	}
	return nil
}
