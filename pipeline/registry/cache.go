package registry

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Cache is what one fleet call (a rebase, a plan) remembers: the run and
// builder images it read (once per call, so a long-lived rebaser sees a
// run image patched since its last call) and the blobs it knows are in
// repositories. Make one per call with [NewCache].
type Cache struct {
	mu       sync.Mutex
	images   map[string]*cacheEntry
	resolved map[string]ResolvedImage
	present  map[string]bool
}

type cacheEntry struct {
	mu  sync.Mutex
	img *Image
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{images: map[string]*cacheEntry{}, resolved: map[string]ResolvedImage{}, present: map[string]bool{}}
}

// CachedImage reads an image once per cache (again after a failure); with
// record, it is listed in [Cache.Resolved].
func (c *Client) CachedImage(ctx context.Context, cache *Cache, s string, platform *v1.Platform, record bool) (*Image, error) {
	key := s + "|" + platform.OS + "/" + platform.Architecture + "/" + platform.Variant
	cache.mu.Lock()
	e := cache.images[key]
	if e == nil {
		e = &cacheEntry{}
		cache.images[key] = e
	}
	cache.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.img != nil {
		return e.img, nil
	}
	ref, err := c.Parse(s)
	if err != nil {
		return nil, err
	}
	img, err := c.Image(ctx, ref, platform)
	if err != nil {
		return nil, err
	}
	e.img = img
	if record {
		cache.mu.Lock()
		cache.resolved[s] = ResolvedImage{Name: s, Digest: img.Digest.String(), TopLayer: img.Top().String(), Layers: len(img.Manifest.Layers)}
		cache.mu.Unlock()
	}
	return img, nil
}

// RunImage reads a run image once per cache and records it; it must have
// as many diff IDs as layers.
func (c *Client) RunImage(ctx context.Context, cache *Cache, s string, platform *v1.Platform) (*Image, error) {
	img, err := c.CachedImage(ctx, cache, s, platform, true)
	if err != nil {
		return nil, err
	}
	if len(img.Manifest.Layers) == 0 || len(img.Config.RootFS.DiffIDs) != len(img.Manifest.Layers) {
		return nil, fmt.Errorf("run image %s: %d layers, %d diff IDs", s, len(img.Manifest.Layers), len(img.Config.RootFS.DiffIDs))
	}
	return img, nil
}

// Resolved lists the images read with record, by name.
func (cache *Cache) Resolved() []ResolvedImage {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	out := make([]ResolvedImage, 0, len(cache.resolved))
	for _, r := range cache.resolved {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (cache *Cache) known(repo name.Repository, d v1.Hash) bool {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	return cache.present[repo.String()+"@"+d.String()]
}

func (cache *Cache) remember(repo name.Repository, d v1.Hash) {
	cache.mu.Lock()
	cache.present[repo.String()+"@"+d.String()] = true
	cache.mu.Unlock()
}
