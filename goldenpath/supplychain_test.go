package goldenpath

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/build"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

func TestGenerateKeys(t *testing.T) {
	dir := t.TempDir()
	files, err := GenerateKeys(dir, WithKeyPassword([]byte("pw")))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "cosign.key"), files.PrivateKey)
	assert.Equal(t, filepath.Join(dir, "cosign.pub"), files.PublicKey)
	_, err = GenerateKeys(dir)
	assert.ErrorContains(t, err, "cosign.key exists")
	again, err := GenerateKeys(dir, WithOverwriteKeys(true))
	require.NoError(t, err)
	assert.NotEqual(t, files.KeyID, again.KeyID)

	_, err = loadSigningKey(again.PrivateKey, []byte("pw"))
	assert.ErrorContains(t, err, "wrong password?", "the overwritten key has the empty password")
	_, err = loadSigningKey(again.PrivateKey, nil)
	assert.NoError(t, err)
}

func TestLoadBuildKeys(t *testing.T) {
	dir := t.TempDir()
	files, err := GenerateKeys(dir, WithKeyPassword([]byte("pw")))
	require.NoError(t, err)

	k, err := loadBuildKeys(BuildRequest{})
	require.NoError(t, err)
	assert.Nil(t, k.sign)
	_, err = loadBuildKeys(BuildRequest{VerifyKey: files.PublicKey})
	assert.ErrorContains(t, err, "need a published image")
	_, err = loadBuildKeys(BuildRequest{Publish: "r", SignKey: files.PrivateKey, KeyPassword: []byte("no")})
	assert.ErrorContains(t, err, "wrong password?")
	_, err = loadBuildKeys(BuildRequest{Publish: "r", VerifyKey: filepath.Join(dir, "nope.pub")})
	assert.ErrorContains(t, err, "verification key: open")
	k, err = loadBuildKeys(BuildRequest{Publish: "r", SignKey: files.PrivateKey, KeyPassword: []byte("pw"), VerifyKey: files.PublicKey})
	require.NoError(t, err)
	assert.Equal(t, k.sign.KeyID(), k.verify.KeyID())
}

// secureBuild is what Build runs between publishing and pinning: sign,
// attest, verify. A failure there makes Build return before the GitOps tree
// is written.
func TestSecureBuild(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t).Host
	img, err := random.Image(256, 1)
	require.NoError(t, err)
	tag, err := name.ParseReference(reg + "/apps/dev/sample-go:latest")
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, img))
	digest, _ := img.Digest()
	ref := reg + "/apps/dev/sample-go:latest@" + digest.String()

	reqs, err := contract.LoadFile("../examples/apps/go/goldenpath.yaml")
	require.NoError(t, err)
	platform, err := contract.LoadPlatformFile("../examples/platform/local.yaml")
	require.NoError(t, err)
	keys, other := t.TempDir(), t.TempDir()
	kf, err := GenerateKeys(keys)
	require.NoError(t, err)
	of, err := GenerateKeys(other)
	require.NoError(t, err)

	newResult := func() *BuildResult {
		return &BuildResult{Result: &build.Result{Tag: tag.String(), Digest: digest.String(), Reference: ref, Published: true, BuildType: contract.BuildTypeBuildpack, Builder: "goldenpath/builder:bookworm"}}
	}

	// Verifying with a key that did not sign: refused.
	req := BuildRequest{Publish: reg, Source: "..", VerifyKey: of.PublicKey}
	k, err := loadBuildKeys(req)
	require.NoError(t, err)
	err = secureBuild(ctx, req, k, reqs[0], platform, nil, time.Now(), newResult())
	require.Error(t, err)
	assert.Equal(t, "not pinning the GitOps tree: image "+ref+" has no valid signature: the digest is not signed", err.Error())
	var ve *supplychain.VerificationError
	assert.True(t, errors.As(err, &ve))

	// Sign, attest, verify.
	var out bytes.Buffer
	req = BuildRequest{Publish: reg, Source: "..", SignKey: kf.PrivateKey, VerifyKey: kf.PublicKey, Output: &out}
	k, err = loadBuildKeys(req)
	require.NoError(t, err)
	res := newResult()
	require.NoError(t, secureBuild(ctx, req, k, reqs[0], platform, nil, time.Now(), res))
	require.NotNil(t, res.Signature)
	require.NotNil(t, res.Provenance)
	require.NotNil(t, res.Verified)
	assert.Equal(t, digest.String(), res.Verified.Digest)
	assert.Contains(t, out.String(), "goldenpath: signed "+reg+"/apps/dev/sample-go@"+digest.String()+" with key "+kf.KeyID)
	assert.Contains(t, out.String(), "goldenpath: attested SLSA provenance of ")
	assert.Contains(t, out.String(), "goldenpath: verified signature and SLSA provenance of ")

	prov, err := Provenance(ctx, ref, kf.PublicKey)
	require.NoError(t, err)
	assert.Equal(t, "sample-go", prov.Statement.Predicate.BuildDefinition.ExternalParameters.Request.Application)

	// Signed with the build's key, verified with another: refused.
	req = BuildRequest{Publish: reg, Source: "..", SignKey: kf.PrivateKey, VerifyKey: of.PublicKey}
	k, err = loadBuildKeys(req)
	require.NoError(t, err)
	err = secureBuild(ctx, req, k, reqs[0], platform, nil, time.Now(), newResult())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no signature of the digest verifies with key "+of.KeyID)
}
