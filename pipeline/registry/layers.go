package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func staticLayer(data []byte, mt types.MediaType) v1.Layer {
	if mt == "" {
		mt = types.OCIConfigJSON
	}
	return static.NewLayer(data, mt)
}

// rawManifest is a manifest written as it is (remote.Put's Taggable).
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }
func (m rawManifest) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(m.raw))
	return h, err
}

// described is a blob of a repository known by its descriptor, read only
// if it has to be copied.
type described struct {
	desc v1.Descriptor
	open func() (io.ReadCloser, error)
}

func (l *described) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *described) Size() (int64, error)                { return l.desc.Size, nil }
func (l *described) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *described) Compressed() (io.ReadCloser, error)  { return l.open() }

// Mount makes a blob of src present in dst: nothing when the cache knows
// it is there, a cross-repository mount on the same registry, else a
// streamed copy (ggcr's remote.WriteLayer with a MountableLayer).
func (c *Client) Mount(ctx context.Context, cache *Cache, dst, src name.Repository, desc v1.Descriptor) error {
	if dst.String() == src.String() || cache.known(dst, desc.Digest) {
		return nil
	}
	opts, err := c.repoOptions(ctx, dst, true, src)
	if err != nil {
		return err
	}
	blob := src.Digest(desc.Digest.String())
	l, err := partial.CompressedToLayer(&described{desc: desc, open: func() (io.ReadCloser, error) {
		sopts, err := c.repoOptions(ctx, src, false)
		if err != nil {
			return nil, err
		}
		rl, err := remote.Layer(blob, sopts...)
		if err != nil {
			return nil, err
		}
		return rl.Compressed()
	}})
	if err != nil {
		return err
	}
	if err := remote.WriteLayer(dst, &remote.MountableLayer{Layer: l, Reference: blob}, opts...); err != nil {
		return c.Explain(fmt.Errorf("blob %s from %s: %w", desc.Digest, src, err), dst.RegistryStr())
	}
	cache.remember(dst, desc.Digest)
	return nil
}
