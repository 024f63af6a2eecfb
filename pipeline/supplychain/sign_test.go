package supplychain_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scRandomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	require.NoError(t, err)
	return img
}

type scKeyPair struct {
	signing *supplychain.SigningKey
	public  *supplychain.VerificationKey
	pair    *supplychain.KeyPair
}

var (
	scKeysOnce sync.Once
	scKeyA     scKeyPair
	scKeyB     scKeyPair
	scKeysErr  error
)

// scKeys returns two key pairs (generated once: scrypt is slow on purpose).
// A has the password "alpha", B none.
func scKeys(t *testing.T) (a, b scKeyPair) {
	t.Helper()
	scKeysOnce.Do(func() {
		gen := func(password string) (scKeyPair, error) {
			kp, err := supplychain.GenerateKeyPair([]byte(password))
			if err != nil {
				return scKeyPair{}, err
			}
			sk, err := supplychain.LoadSigningKey(kp.PrivateKey, []byte(password))
			if err != nil {
				return scKeyPair{}, err
			}
			pk, err := supplychain.LoadVerificationKey(kp.PublicKey)
			if err != nil {
				return scKeyPair{}, err
			}
			return scKeyPair{signing: sk, public: pk, pair: kp}, nil
		}
		if scKeyA, scKeysErr = gen("alpha"); scKeysErr == nil {
			scKeyB, scKeysErr = gen("")
		}
	})
	require.NoError(t, scKeysErr)
	return scKeyA, scKeyB
}

func TestKeyPair(t *testing.T) {
	a, b := scKeys(t)
	assert.Contains(t, string(a.pair.PrivateKey), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
	assert.Contains(t, string(a.pair.PublicKey), "-----BEGIN PUBLIC KEY-----")
	assert.Equal(t, a.signing.KeyID(), a.public.KeyID(), "a private key and its public key have one ID")
	assert.NotEqual(t, a.public.KeyID(), b.public.KeyID())
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, a.public.KeyID())

	_, err := supplychain.LoadSigningKey(a.pair.PrivateKey, []byte("wrong"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "wrong password?")
	assert.Contains(t, err.Error(), supplychain.CosignPasswordEnv)

	_, err = supplychain.LoadVerificationKey([]byte("not a key"))
	assert.ErrorContains(t, err, "loading the public key")
	_, err = supplychain.LoadSigningKey(a.pair.PublicKey, nil)
	assert.ErrorContains(t, err, "loading the private key")
}

func TestSignThenVerify(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	a, _ := scKeys(t)
	tag := reg.Host + "/apps/dev/app:latest"
	digest := reg.Push(t, tag, scRandomImage(t))

	signed, err := supplychain.Sign(ctx, tag, a.signing)
	require.NoError(t, err)
	assert.Equal(t, digest, signed.Digest, "the tag is resolved to its digest, which is signed")
	assert.Equal(t, reg.Host+"/apps/dev/app@"+digest, signed.Reference)
	assert.Equal(t, reg.Host+"/apps/dev/app:"+strings.Replace(digest, ":", "-", 1)+".sig", signed.SignatureTag)
	assert.Equal(t, a.signing.KeyID(), signed.KeyID)

	for _, ref := range []string{tag, signed.Reference} {
		v, err := supplychain.Verify(ctx, ref, a.public)
		require.NoError(t, err, ref)
		assert.Equal(t, digest, v.Digest)
		assert.Equal(t, signed.Reference, v.Reference)
		assert.Equal(t, 1, v.Signatures)
	}
	v, _ := supplychain.Verify(ctx, tag, a.public)
	assert.Equal(t, tag, v.Tag)

	// Signing the same digest again with the same key adds nothing.
	_, err = supplychain.Sign(ctx, signed.Reference, a.signing)
	require.NoError(t, err)
	v, err = supplychain.Verify(ctx, tag, a.public)
	require.NoError(t, err)
	assert.Equal(t, 1, v.Signatures)
}

// scVerifyFailure runs Verify expecting a *VerificationError.
func scVerifyFailure(t *testing.T, image string, key *supplychain.VerificationKey) *supplychain.VerificationError {
	t.Helper()
	_, err := supplychain.Verify(context.Background(), image, key)
	require.Error(t, err)
	var ve *supplychain.VerificationError
	require.True(t, errors.As(err, &ve), "%T: %v", err, err)
	return ve
}

// (a) an unsigned image.
func TestVerifyRefusesUnsigned(t *testing.T) {
	reg := testregistry.New(t)
	a, _ := scKeys(t)
	tag := reg.Host + "/apps/dev/app:latest"
	digest := reg.Push(t, tag, scRandomImage(t))

	ve := scVerifyFailure(t, tag, a.public)
	assert.Equal(t, supplychain.FailureUnsigned, ve.Kind)
	assert.Equal(t, digest, ve.Digest)
	assert.Empty(t, ve.SignedDigests)
	assert.Equal(t, "tag "+tag+" resolves to digest "+digest+", which has no valid signature: the digest is not signed", ve.Error())

	ve = scVerifyFailure(t, reg.Host+"/apps/dev/app@"+digest, a.public)
	assert.Equal(t, "image "+reg.Host+"/apps/dev/app@"+digest+" has no valid signature: the digest is not signed", ve.Error())
}

// (b) an image signed with another key.
func TestVerifyRefusesOtherKey(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	a, b := scKeys(t)
	tag := reg.Host + "/apps/dev/app:latest"
	digest := reg.Push(t, tag, scRandomImage(t))
	_, err := supplychain.Sign(ctx, tag, b.signing)
	require.NoError(t, err)

	ve := scVerifyFailure(t, tag, a.public)
	assert.Equal(t, supplychain.FailureKeyMismatch, ve.Kind)
	assert.Contains(t, ve.Error(), "tag "+tag+" resolves to digest "+digest+", which has no valid signature: no signature of the digest verifies with key "+a.public.KeyID()+" (signed with another key?)")

	_, err = supplychain.Verify(ctx, tag, b.public)
	assert.NoError(t, err, "the other key verifies")
}

// (c) a tag moved from a signed digest to an unsigned one.
func TestVerifyRefusesMovedTag(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	a, _ := scKeys(t)
	tag := reg.Host + "/apps/dev/app:latest"
	signedDigest := reg.Push(t, tag, scRandomImage(t))
	_, err := supplychain.Sign(ctx, tag, a.signing)
	require.NoError(t, err)
	_, err = supplychain.Verify(ctx, tag, a.public)
	require.NoError(t, err)

	movedDigest := reg.Push(t, tag, scRandomImage(t))
	ve := scVerifyFailure(t, tag, a.public)
	assert.Equal(t, supplychain.FailureUnsigned, ve.Kind)
	assert.Equal(t, movedDigest, ve.Digest)
	assert.Equal(t, []string{signedDigest}, ve.SignedDigests)
	assert.Equal(t, "tag "+tag+" resolves to digest "+movedDigest+", which has no valid signature: the digest is not signed; other digests of "+
		reg.Host+"/apps/dev/app are signed ("+signedDigest+"): was the tag moved to an unsigned image?", ve.Error())

	// The signed digest itself still verifies.
	_, err = supplychain.Verify(ctx, reg.Host+"/apps/dev/app@"+signedDigest, a.public)
	assert.NoError(t, err)
}

// A signature copied onto another digest names the digest it was made for:
// cosign's claim check refuses it.
func TestVerifyRefusesCopiedSignature(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	a, _ := scKeys(t)
	repo := reg.Host + "/apps/dev/app"
	first := reg.Push(t, repo+":one", scRandomImage(t))
	second := reg.Push(t, repo+":two", scRandomImage(t))
	signed, err := supplychain.Sign(ctx, repo+":one", a.signing)
	require.NoError(t, err)

	src, err := name.ParseReference(signed.SignatureTag)
	require.NoError(t, err)
	sigImg, err := remote.Image(src)
	require.NoError(t, err)
	dst, err := name.ParseReference(repo + ":" + strings.Replace(second, ":", "-", 1) + ".sig")
	require.NoError(t, err)
	require.NoError(t, remote.Write(dst, sigImg))

	ve := scVerifyFailure(t, repo+":two", a.public)
	assert.Equal(t, supplychain.FailureKeyMismatch, ve.Kind)
	assert.Contains(t, ve.Error(), "invalid or missing digest in claim: "+first)
}

func TestSignAndVerifyErrors(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	a, _ := scKeys(t)

	_, err := supplychain.Sign(ctx, reg.Host+"/apps/dev/missing:latest", a.signing)
	assert.ErrorContains(t, err, "not found")
	_, err = supplychain.Verify(ctx, reg.Host+"/apps/dev/missing:latest", a.public)
	assert.ErrorContains(t, err, "not found")
	_, err = supplychain.Verify(ctx, "UPPER/case", a.public)
	assert.ErrorContains(t, err, `image reference "UPPER/case"`)
	_, err = supplychain.Sign(ctx, reg.Host+"/x:latest", nil)
	assert.ErrorContains(t, err, "no signing key")
	_, err = supplychain.Verify(ctx, reg.Host+"/x:latest", nil)
	assert.ErrorContains(t, err, "no verification key")
	_, err = supplychain.Verify(ctx, reg.Host+"/x:latest", a.public, registry.WithKeychain(nil))
	assert.ErrorContains(t, err, "WithKeychain")
}
