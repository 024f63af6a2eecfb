package cli_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
	"github.com/goldenpath-dev/goldenpath/internal/cli"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	psc "github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// scRegistryHost starts an in-process registry and returns host:port.
func scRegistryHost(t *testing.T) string {
	t.Helper()
	return testregistry.New(t).Host
}

func scPush(t *testing.T, ref string, img v1.Image) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	require.NoError(t, err)
	require.NoError(t, remote.Write(r, img))
	d, err := img.Digest()
	require.NoError(t, err)
	return d.String()
}

func scRandom(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	require.NoError(t, err)
	return img
}

// scBuildpackImage is a random image with an SBOM layer and the lifecycle's
// labels, as a buildpack build makes.
func scBuildpackImage(t *testing.T) v1.Image {
	t.Helper()
	data, err := os.ReadFile("../../pipeline/supplychain/testdata/app.sbom.cdx.json")
	require.NoError(t, err)
	return scSBOMImage(t, "layers/sbom/launch/goldenpath_go/app/sbom.cdx.json", data,
		`,"runImage":{"topLayer":"sha256:1","reference":"127.0.0.1:5111/goldenpath/run@sha256:`+strings.Repeat("2", 64)+`","image":"127.0.0.1:5111/goldenpath/run:bookworm"}`,
		`{"buildpacks":[{"id":"goldenpath/go","version":"0.1.0"}],"launcher":{"version":"0.21.0"}}`)
}

// scSBOMImage is a random image with one SBOM document at path in its SBOM
// layer; moreLifecycle is added to the lifecycle metadata label's JSON and
// buildMetadata, when set, is the build metadata label.
func scSBOMImage(t *testing.T, path string, data []byte, moreLifecycle, buildMetadata string) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: path, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}))
	_, err := tw.Write(data)
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	layer := static.NewLayer(buf.Bytes(), types.DockerUncompressedLayer)
	img, err := mutate.AppendLayers(scRandom(t), layer)
	require.NoError(t, err)
	diffID, err := layer.DiffID()
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	cf.Config.Labels = map[string]string{cnb.LabelLifecycleMetadata: `{"sbom":{"sha":"` + diffID.String() + `"}` + moreLifecycle + `}`}
	if buildMetadata != "" {
		cf.Config.Labels[cnb.LabelBuildMetadata] = buildMetadata
	}
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	return img
}

// scKeygen writes a key pair with the CLI and returns its folder.
func scKeygen(t *testing.T, password string) string {
	t.Helper()
	t.Setenv(supplychain.CosignPasswordEnv, password)
	dir := t.TempDir()
	code, out, errOut := run(t, "keygen", "--out", dir)
	require.Equal(t, cli.ExitOK, code, errOut)
	require.Contains(t, out, "key ID:      sha256:")
	return dir
}

func TestKeygenCommand(t *testing.T) {
	t.Setenv(supplychain.CosignPasswordEnv, "")
	dir := t.TempDir()
	code, out, errOut := run(t, "keygen", "--out", dir)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, errOut, "is empty: the private key is not protected by a password")
	assert.Contains(t, out, "private key: "+filepath.Join(dir, "cosign.key"))
	assert.Contains(t, out, "public key:  "+filepath.Join(dir, "cosign.pub"))
	info, err := os.Stat(filepath.Join(dir, "cosign.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	code, _, errOut = run(t, "keygen", "--out", dir)
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errOut, "cosign.key exists: remove it, choose another folder with --out, or replace the pair with --force")

	code, out, errOut = run(t, "keygen", "--out", dir, "--force", "-o", "json")
	require.Equal(t, cli.ExitOK, code, errOut)
	var files struct{ PrivateKey, PublicKey, KeyID string }
	require.NoError(t, json.Unmarshal([]byte(out), &files))
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, files.KeyID)
}

func TestSignVerifyCommands(t *testing.T) {
	reg := scRegistryHost(t)
	keys := scKeygen(t, "s3cret")
	other := t.TempDir()
	{
		code, _, errOut := run(t, "keygen", "--out", other)
		require.Equal(t, cli.ExitOK, code, errOut)
	}
	tag := reg + "/apps/dev/app:latest"
	digest := scPush(t, tag, scRandom(t))
	repo := reg + "/apps/dev/app"

	// Wrong password.
	t.Setenv(supplychain.CosignPasswordEnv, "nope")
	code, _, errOut := run(t, "sign", tag, "--key", filepath.Join(keys, "cosign.key"))
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "wrong password? it is read from $COSIGN_PASSWORD")
	t.Setenv(supplychain.CosignPasswordEnv, "s3cret")

	// (a) unsigned.
	code, out, errOut := run(t, "verify", tag, "--key", filepath.Join(keys, "cosign.pub"))
	assert.Equal(t, cli.ExitFailure, code, out)
	assert.Equal(t, "goldenpath: tag "+tag+" resolves to digest "+digest+", which has no valid signature: the digest is not signed\n", errOut)

	code, out, errOut = run(t, "sign", tag, "--key", filepath.Join(keys, "cosign.key"))
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.True(t, strings.HasPrefix(out, tag+" resolves to "+repo+"@"+digest+"\nsigned "+repo+"@"+digest+" with key sha256:"), out)
	assert.Contains(t, out, "signature: "+repo+":"+strings.Replace(digest, ":", "-", 1)+".sig\n")

	code, out, errOut = run(t, "verify", tag, "--key", filepath.Join(keys, "cosign.pub"))
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, out, tag+" resolves to "+repo+"@"+digest+"\nverified "+repo+"@"+digest+": 1 signature by key sha256:")

	code, out, _ = run(t, "verify", tag, "--key", filepath.Join(keys, "cosign.pub"), "-o", "json")
	require.Equal(t, cli.ExitOK, code)
	var vr supplychain.VerifyResult
	require.NoError(t, json.Unmarshal([]byte(out), &vr))
	assert.Equal(t, digest, vr.Digest)

	// (b) another key.
	code, _, errOut = run(t, "verify", tag, "--key", filepath.Join(other, "cosign.pub"))
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "goldenpath: tag "+tag+" resolves to digest "+digest+", which has no valid signature: no signature of the digest verifies with key sha256:")
	assert.Contains(t, errOut, "(signed with another key?)")

	// (c) the tag moved to an unsigned digest.
	moved := scPush(t, tag, scRandom(t))
	code, _, errOut = run(t, "verify", tag, "--key", filepath.Join(keys, "cosign.pub"))
	assert.Equal(t, cli.ExitFailure, code)
	assert.Equal(t, "goldenpath: tag "+tag+" resolves to digest "+moved+", which has no valid signature: the digest is not signed; other digests of "+repo+" are signed ("+digest+"): was the tag moved to an unsigned image?\n", errOut)

	// Usage errors.
	for _, args := range [][]string{{"verify", tag}, {"sign", tag}, {"verify"}, {"sign", tag, "--key", "k", "-o", "yaml"}, {"provenance", tag}} {
		code, _, errOut := run(t, args...)
		assert.Equal(t, cli.ExitUsage, code, "%v: %s", args, errOut)
	}
	code, _, errOut = run(t, "verify", tag, "--key", filepath.Join(keys, "missing.pub"))
	assert.Equal(t, cli.ExitUsage, code)
	assert.Equal(t, "goldenpath: --key "+filepath.Join(keys, "missing.pub")+": no such file or directory\n", errOut)
}

func TestSBOMCommand(t *testing.T) {
	reg := scRegistryHost(t)
	tag := reg + "/apps/dev/sample-go:latest"
	digest := scPush(t, tag, scBuildpackImage(t))

	code, out, errOut := run(t, "sbom", tag)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, out, tag+" ("+digest+"): 1 SBOM document in layer sha256:")
	assert.Contains(t, out, "\ngoldenpath/go@0.1.0 layer app: cdx, 3 components (launch/goldenpath_go/app/sbom.cdx.json)\n"+
		"  sample-go (devel)  pkg:golang/example.com/sample-go\n"+
		"  golang.org/x/text v0.31.0  pkg:golang/golang.org/x/text@v0.31.0\n"+
		"  go 1.19.8  pkg:generic/go@1.19.8\n")

	dir := t.TempDir()
	code, out, errOut = run(t, "sbom", tag, "--out", dir)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Equal(t, "wrote "+filepath.Join(dir, "launch/goldenpath_go/app/sbom.cdx.json")+"\n", out)
	assert.FileExists(t, filepath.Join(dir, "launch/goldenpath_go/app/sbom.cdx.json"))

	code, out, _ = run(t, "sbom", tag, "-o", "json")
	require.Equal(t, cli.ExitOK, code)
	var s supplychain.SBOMReport
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	require.Len(t, s.Files, 1)
	assert.Len(t, s.Files[0].Components, 3)

	// A Dockerfile-built image has no buildpack SBOM.
	plain := reg + "/apps/dev/dockerfile-app:latest"
	scPush(t, plain, scRandom(t))
	code, _, errOut = run(t, "sbom", plain)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "has no io.buildpacks.lifecycle.metadata label: it was not built with Cloud Native Buildpacks (a Dockerfile build?), so it carries no buildpack SBOM")
}

func TestProvenanceCommand(t *testing.T) {
	ctx := context.Background()
	reg := scRegistryHost(t)
	keys := scKeygen(t, "")
	tag := reg + "/apps/dev/sample-go:latest"
	digest := scPush(t, tag, scBuildpackImage(t))

	code, _, errOut := run(t, "provenance", tag, "--key", filepath.Join(keys, "cosign.pub"))
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "resolves to digest "+digest+", which has no valid SLSA provenance attestation: the digest has none")

	reqs, err := contract.LoadFile("../../examples/apps/go/goldenpath.yaml")
	require.NoError(t, err)
	st, err := psc.NewProvenance(ctx, tag, psc.ProvenanceInput{Request: reqs[0], BuilderImage: "goldenpath/builder:bookworm", SourceRevision: strings.Repeat("a", 40)})
	require.NoError(t, err)
	priv, err := os.ReadFile(filepath.Join(keys, "cosign.key"))
	require.NoError(t, err)
	sk, err := psc.LoadSigningKey(priv, nil)
	require.NoError(t, err)
	_, err = psc.AttestProvenance(ctx, tag, st, sk)
	require.NoError(t, err)

	code, out, errOut := run(t, "provenance", tag, "--key", filepath.Join(keys, "cosign.pub"))
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, out, "verified SLSA provenance of "+reg+"/apps/dev/sample-go@"+digest+" with key sha256:")
	assert.Contains(t, out, "  predicate:    https://slsa.dev/provenance/v1\n")
	assert.Contains(t, out, "  source:       git+https://github.com/goldenpath-dev/goldenpath@refs/heads/main commit "+strings.Repeat("a", 40)+"\n")
	assert.Contains(t, out, "  builder:      goldenpath/builder:bookworm\n")
	assert.Contains(t, out, "  run image:    127.0.0.1:5111/goldenpath/run@sha256:"+strings.Repeat("2", 64)+"\n")
	assert.Contains(t, out, "  buildpacks:   goldenpath/go@0.1.0\n")
	assert.Contains(t, out, "  request:      APP-0101 dev/sample-go platform-team\n")

	code, out, errOut = run(t, "provenance", tag, "--key", filepath.Join(keys, "cosign.pub"), "-o", "json")
	require.Equal(t, cli.ExitOK, code, errOut)
	var stmt map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &stmt))
	assert.Equal(t, "https://in-toto.io/Statement/v1", stmt["_type"])
	assert.Equal(t, "https://slsa.dev/provenance/v1", stmt["predicateType"])
}

func TestBuildSupplyChainFlags(t *testing.T) {
	code, _, errOut := run(t, "build", "-f", "../../examples/apps/go/goldenpath.yaml", "--source", "../..", "--sign-key", "cosign.key")
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errOut, "--sign-key and --verify-key need --publish REGISTRY")
}
