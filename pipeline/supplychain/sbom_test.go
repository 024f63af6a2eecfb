package supplychain_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scSBOMLayer makes a layer as the lifecycle exports the launch SBOMs: a tar
// of /layers/sbom/launch/... with the testdata documents.
func scSBOMLayer(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, p := range scSortedKeys(files) {
		for d := filepath.Dir(p); d != "." && d != "/" && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
			require.NoError(t, tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(d, "/") + "/", Typeflag: tar.TypeDir, Mode: 0o755}))
		}
		data, err := os.ReadFile(filepath.Join("testdata", files[p]))
		require.NoError(t, err)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}))
		_, err = tw.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return static.NewLayer(buf.Bytes(), types.DockerUncompressedLayer)
}

func scSortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// scCNBImage is a random image with an SBOM layer on top and the labels the
// lifecycle writes.
func scCNBImage(t *testing.T, sbom v1.Layer, extraLabels map[string]string) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(scRandomImage(t), sbom)
	require.NoError(t, err)
	diffID, err := sbom.DiffID()
	require.NoError(t, err)
	lmd, _ := json.Marshal(map[string]any{
		"sbom":       map[string]string{"sha": diffID.String()},
		"runImage":   map[string]any{"topLayer": "sha256:" + strings.Repeat("1", 64), "reference": "127.0.0.1:5111/goldenpath/run@sha256:" + strings.Repeat("2", 64), "image": "127.0.0.1:5111/goldenpath/run:bookworm"},
		"buildpacks": []map[string]string{{"key": "goldenpath/go", "version": "0.1.0"}},
	})
	bmd, _ := json.Marshal(map[string]any{
		"buildpacks": []map[string]string{{"id": "goldenpath/go", "version": "0.1.0"}, {"id": "goldenpath/procfile", "version": "0.2.0"}},
		"launcher":   map[string]any{"version": "0.21.0", "source": map[string]any{"git": map[string]string{"repository": "github.com/buildpacks/lifecycle", "commit": "abc"}}},
	})
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	cf.Config.Labels = map[string]string{cnb.LabelLifecycleMetadata: string(lmd), cnb.LabelBuildMetadata: string(bmd)}
	for k, v := range extraLabels {
		cf.Config.Labels[k] = v
	}
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	return img
}

var scSampleSBOMFiles = map[string]string{
	"/layers/sbom/launch/goldenpath_go/app/sbom.cdx.json":                    "app.sbom.cdx.json",
	"/layers/sbom/launch/goldenpath_procfile/sbom.spdx.json":                 "python.sbom.spdx.json",
	"/layers/sbom/launch/goldenpath_procfile/web/sbom.syft.json":             "node.sbom.syft.json",
	"/layers/sbom/launch/buildpacksio_lifecycle/launcher/sbom.cdx.json":      "launcher.sbom.cdx.json",
	"/layers/sbom/launch/goldenpath_go/app/README.md":                        "launcher.sbom.cdx.json", // not an SBOM name: skipped
	"/layers/sbom/launch/goldenpath_unknown/layer/sbom.cdx.json":             "launcher.sbom.cdx.json",
	"/layers/sbom/launch/goldenpath_go/app/../../../../etc/sbom.cdx.json":    "launcher.sbom.cdx.json", // cleaned to /etc: skipped
	"/layers/config/metadata.toml":                                           "launcher.sbom.cdx.json", // outside layers/sbom: skipped
	"/layers/sbom/launch/goldenpath_go/sbom.legacy.json.not-really-a-format": "launcher.sbom.cdx.json",
}

func TestReadSBOM(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	sbom := scSBOMLayer(t, scSampleSBOMFiles)
	img := scCNBImage(t, sbom, nil)
	tag := reg.Host + "/apps/dev/app:latest"
	digest := reg.Push(t, tag, img)
	reg.Requests()

	s, err := supplychain.ReadSBOM(ctx, tag)
	require.NoError(t, err)
	assert.Equal(t, digest, s.Digest)
	diffID, _ := sbom.DiffID()
	assert.Equal(t, diffID.String(), s.Layer)

	// Only the SBOM layer is downloaded.
	sbomDigest, _ := sbom.Digest()
	layers, _ := img.Layers()
	var blobGets []string
	for _, r := range reg.Requests() {
		if strings.HasPrefix(r, "GET ") && strings.Contains(r, "/blobs/") {
			blobGets = append(blobGets, r)
		}
	}
	cfgName, _ := img.ConfigName()
	assert.ElementsMatch(t, []string{
		"GET /v2/apps/dev/app/blobs/" + cfgName.String(),
		"GET /v2/apps/dev/app/blobs/" + sbomDigest.String(),
	}, blobGets, "of %d layers, only the SBOM layer is fetched", len(layers))

	type summary struct {
		Path, Buildpack, Version, Layer, Format string
		Components                              []string
	}
	var got []summary
	for _, f := range s.Files {
		var comps []string
		for _, c := range f.Components {
			comps = append(comps, c.Name+"@"+c.Version)
		}
		assert.Empty(t, f.ParseError, f.Path)
		got = append(got, summary{f.Path, f.Buildpack, f.BuildpackVersion, f.Layer, f.Format, comps})
	}
	assert.Equal(t, []summary{
		{"launch/buildpacksio_lifecycle/launcher/sbom.cdx.json", "buildpacksio/lifecycle", "", "launcher", "cdx", []string{"launcher@0.21.0"}},
		{"launch/goldenpath_go/app/sbom.cdx.json", "goldenpath/go", "0.1.0", "app", "cdx", []string{"sample-go@(devel)", "golang.org/x/text@v0.31.0", "go@1.19.8"}},
		{"launch/goldenpath_procfile/sbom.spdx.json", "goldenpath/procfile", "0.2.0", "", "spdx", []string{"flask@2.2.2", "python3@3.11.2"}},
		{"launch/goldenpath_procfile/web/sbom.syft.json", "goldenpath/procfile", "0.2.0", "web", "syft", []string{"express@4.18.2"}},
		{"launch/goldenpath_unknown/layer/sbom.cdx.json", "goldenpath_unknown", "", "layer", "cdx", []string{"launcher@0.21.0"}},
	}, got)
	assert.Equal(t, "pkg:pypi/flask@2.2.2", s.Files[2].Components[0].PURL)
	assert.Equal(t, "library", s.Files[2].Components[0].Type)

	dir := t.TempDir()
	written, err := s.WriteFiles(dir)
	require.NoError(t, err)
	require.Len(t, written, 5)
	data, err := os.ReadFile(filepath.Join(dir, "launch/goldenpath_go/app/sbom.cdx.json"))
	require.NoError(t, err)
	want, _ := os.ReadFile("testdata/app.sbom.cdx.json")
	assert.Equal(t, want, data)
}

func TestReadSBOMBadDocument(t *testing.T) {
	reg := testregistry.New(t)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte("{not json")
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "layers/sbom/launch/goldenpath_go/app/sbom.cdx.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}))
	_, _ = tw.Write(body)
	require.NoError(t, tw.Close())
	img := scCNBImage(t, static.NewLayer(buf.Bytes(), types.DockerUncompressedLayer), nil)
	tag := reg.Host + "/apps/dev/app:latest"
	reg.Push(t, tag, img)
	s, err := supplychain.ReadSBOM(context.Background(), tag)
	require.NoError(t, err)
	require.Len(t, s.Files, 1)
	assert.Contains(t, s.Files[0].ParseError, "not CycloneDX JSON")
	assert.Empty(t, s.Files[0].Components)
}

func TestReadSBOMWithoutSBOM(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)

	// A Dockerfile build: no lifecycle labels at all.
	tag := reg.Host + "/apps/dev/dockerfile-app:latest"
	reg.Push(t, tag, scRandomImage(t))
	_, err := supplychain.ReadSBOM(ctx, tag)
	require.Error(t, err)
	assert.True(t, errors.Is(err, supplychain.ErrNoSBOM))
	assert.Contains(t, err.Error(), "has no io.buildpacks.lifecycle.metadata label: it was not built with Cloud Native Buildpacks (a Dockerfile build?)")

	// A buildpack build whose buildpacks wrote no SBOM.
	img := scRandomImage(t)
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Config.Labels = map[string]string{cnb.LabelLifecycleMetadata: `{"runImage":{"topLayer":"sha256:1","reference":"x"}}`}
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	tag = reg.Host + "/apps/dev/nosbom:latest"
	reg.Push(t, tag, img)
	_, err = supplychain.ReadSBOM(ctx, tag)
	require.Error(t, err)
	assert.True(t, errors.Is(err, supplychain.ErrNoSBOM))
	assert.Contains(t, err.Error(), "names no SBOM layer")

	_, err = supplychain.ReadSBOM(ctx, reg.Host+"/apps/dev/missing:latest")
	assert.ErrorContains(t, err, "not found")
}
