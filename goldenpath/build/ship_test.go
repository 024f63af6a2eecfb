package build_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/internal/treetest"
)

const sampleContract = `apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-0001
environment: dev
owner: team
application: sample
spec:
  source:
    git: {url: https://github.com/org/sample}
  runtime: {replicas: 1}
`

// pushBuilder is a Builder that publishes a ready image to the spec's tag,
// as the Dagger module's builder publishes what it built in its own
// containers: Ship's steps after the build run on it unchanged.
type pushBuilder struct {
	t     *testing.T
	reg   *testregistry.Registry
	img   v1.Image
	calls int
}

func (b *pushBuilder) Build(_ context.Context, spec *build.Spec) (*build.Image, error) {
	b.calls++
	tag := spec.Platform.ImageRepositoryOn(spec.Registry, spec.Request) + ":latest"
	digest := b.reg.Push(b.t, tag, b.img)
	return &build.Image{Tag: tag, Digest: digest, Reference: tag + "@" + digest, Published: true, BuildType: spec.Request.Spec.Build.Type, Builder: "test/builder"}, nil
}

// cnbImage is a random image with an SBOM layer on top, named by the
// lifecycle metadata label as the CNB lifecycle exports it.
func cnbImage(t *testing.T) v1.Image {
	t.Helper()
	doc, err := os.ReadFile("../../pipeline/supplychain/testdata/app.sbom.cdx.json")
	require.NoError(t, err)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "layers/sbom/launch/goldenpath_go/app/sbom.cdx.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(doc))}))
	_, err = tw.Write(doc)
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	layer := static.NewLayer(buf.Bytes(), types.DockerUncompressedLayer)
	base, err := random.Image(128, 1)
	require.NoError(t, err)
	img, err := mutate.AppendLayers(base, layer)
	require.NoError(t, err)
	diffID, err := layer.DiffID()
	require.NoError(t, err)
	lmd, err := json.Marshal(map[string]any{"sbom": map[string]string{"sha": diffID.String()}})
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	cf.Config.Labels = map[string]string{"io.buildpacks.lifecycle.metadata": string(lmd)}
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	return img
}

func contracts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sample.yaml"), []byte(sampleContract), 0o644))
	return dir
}

// Ship runs every step on the image the builder published: sign, attest,
// verify both, check the SBOM, pin the tree.
func TestShipRunsEveryStep(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	keys, err := supplychain.GenerateKeys(goldenpath.WithKeyPassword([]byte("pw")))
	require.NoError(t, err)
	b := &pushBuilder{t: t, reg: reg, img: cnbImage(t)}
	gitops := filepath.Join(t.TempDir(), "gitops")
	var log bytes.Buffer
	paths := []string{contracts(t)}
	res, err := build.Ship(ctx, build.Request{
		Paths: paths, Publish: reg.Host + "/apps", GitOpsDir: gitops,
		SignKey: keys.PrivateKey, VerifyKey: keys.PublicKey, Builder: b,
	}, goldenpath.WithKeyPassword([]byte("pw")), goldenpath.WithOutput(&log))
	require.NoError(t, err)
	assert.Equal(t, 1, b.calls)
	ref := res.Reference
	assert.True(t, strings.HasPrefix(ref, reg.Host+"/apps/dev/sample:latest@sha256:"), ref)
	require.NotNil(t, res.Signature)
	require.NotNil(t, res.Provenance)
	require.NotNil(t, res.Verified)
	assert.Equal(t, keys.KeyID, res.Verified.KeyID)
	require.NotNil(t, res.SBOM)
	assert.Equal(t, 1, res.SBOM.Documents)
	assert.Contains(t, res.Written, "dev/sample/deployment.yaml")
	deployment, err := os.ReadFile(filepath.Join(gitops, "dev/sample/deployment.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(deployment), res.Digest, "the tree is pinned to the digest")
	// The tree pinned in an empty folder is the tree `goldenpath render --image REF --out DIR` writes (the Dagger
	// module's ship returns it and its scenario test compares the two).
	platform := *contract.DefaultPlatform()
	platform.Registry = reg.Host + "/apps"
	rendered := filepath.Join(t.TempDir(), "rendered")
	_, err = goldenpath.RenderTree(ctx, paths, rendered, goldenpath.WithPlatform(&platform),
		goldenpath.WithImages(map[string]string{"sample": ref}))
	require.NoError(t, err)
	assert.Equal(t, treetest.Read(t, rendered), treetest.Read(t, gitops))
	for _, want := range []string{"goldenpath: signed ", "goldenpath: attested SLSA provenance of ", "goldenpath: verified signature and SLSA provenance of ", "goldenpath: SBOM of "} {
		assert.Contains(t, log.String(), want)
	}

	prov, err := supplychain.Provenance(ctx, ref, keys.PublicKey)
	require.NoError(t, err)
	assert.Equal(t, "sample", prov.Statement.Predicate.BuildDefinition.ExternalParameters.Request.Application)

	var out bytes.Buffer
	p, err := build.Output.Get("text")
	require.NoError(t, err)
	require.NoError(t, p.Print(&out, res))
	assert.Equal(t, ref+"\n", out.String())
}

// A step that fails stops Ship before the tree is pinned: verification
// with another key, an image without an SBOM. Bad keys fail before the
// build starts.
func TestShipGates(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	keys, err := supplychain.GenerateKeys()
	require.NoError(t, err)
	other, err := supplychain.GenerateKeys()
	require.NoError(t, err)
	plain, err := random.Image(128, 1)
	require.NoError(t, err)
	dir := contracts(t)

	for name, c := range map[string]struct {
		req  build.Request
		img  v1.Image
		opts []goldenpath.Option
		want string
		runs int
	}{
		"verified with another key": {req: build.Request{SignKey: keys.PrivateKey, VerifyKey: other.PublicKey}, img: cnbImage(t), runs: 1,
			want: "not pinning the GitOps tree: image " + reg.Host + "/apps/dev/sample:latest@"},
		"unsigned": {req: build.Request{VerifyKey: keys.PublicKey}, img: cnbImage(t), runs: 1, want: "the digest is not signed"},
		"no SBOM":  {img: plain, runs: 1, want: "not pinning the GitOps tree: "},
		"wrong password": {req: build.Request{SignKey: keys.PrivateKey}, img: plain, opts: []goldenpath.Option{goldenpath.WithKeyPassword([]byte("no"))},
			want: "wrong password?"},
		"not a public key": {req: build.Request{VerifyKey: []byte("nonsense")}, img: plain, want: "verification key: "},
	} {
		t.Run(name, func(t *testing.T) {
			b := &pushBuilder{t: t, reg: reg, img: c.img}
			gitops := filepath.Join(t.TempDir(), "gitops")
			req := c.req
			req.Paths, req.Publish, req.GitOpsDir, req.Builder = []string{dir}, reg.Host+"/apps", gitops, b
			_, err := build.Ship(ctx, req, c.opts...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Equal(t, c.runs, b.calls)
			assert.NoDirExists(t, gitops)
		})
	}
}

func TestShipRefusesBadRequests(t *testing.T) {
	ctx := context.Background()
	dir := contracts(t)
	_, err := build.Ship(ctx, build.Request{Paths: []string{dir}, GitOpsDir: "out"})
	assert.ErrorContains(t, err, "needs a published image")
	_, err = build.Ship(ctx, build.Request{Paths: []string{dir}, VerifyKey: []byte("k")})
	assert.ErrorContains(t, err, "need a published image")
	_, err = build.Ship(ctx, build.Request{Paths: []string{dir}, Application: "other", Publish: "r"})
	assert.ErrorContains(t, err, `no request for application "other"`)
	_, err = build.Ship(ctx, build.Request{Paths: []string{dir}}, goldenpath.WithConcurrency(1), goldenpath.WithConcurrency(2))
	assert.ErrorContains(t, err, "WithConcurrency given twice")
}
