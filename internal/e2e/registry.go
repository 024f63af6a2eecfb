package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// PatchFile is the file PatchImage adds; PatchLabel the label it sets.
const (
	PatchFile  = "/etc/goldenpath-patch"
	PatchLabel = "io.goldenpath.patch"
)

// PatchImage writes to dst the image src with one more layer, holding
// PatchFile (patchID and a newline), and the label PatchLabel=patchID: a
// "patched" run image for rebase tests, as a security fix to the base would
// be. Each patchID gives another digest, which it returns. Tests give dst a
// repository of their own: the shared run image's tag is never moved.
// Loopback registries are reached over plain HTTP.
func PatchImage(ctx context.Context, src, dst, patchID string) (string, error) {
	srcRef, err := name.ParseReference(src)
	if err != nil {
		return "", err
	}
	dstRef, err := name.ParseReference(dst)
	if err != nil {
		return "", err
	}
	base, err := remote.Image(srcRef, remote.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", src, err)
	}
	layer, err := fileLayer(PatchFile[1:], []byte(patchID+"\n"))
	if err != nil {
		return "", err
	}
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return "", err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cfg := cf.Config
	labels := map[string]string{}
	for k, v := range cfg.Labels {
		labels[k] = v
	}
	labels[PatchLabel] = patchID
	cfg.Labels = labels
	if img, err = mutate.Config(img, cfg); err != nil {
		return "", err
	}
	if err := remote.Write(dstRef, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing %s: %w", dst, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// fileLayer is a layer holding one file, owned by root and readable by all
// (0644), as a Dockerfile's COPY makes it: the apps run as a non-root user.
func fileLayer(path string, data []byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: path, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
}
