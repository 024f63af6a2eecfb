package supplychain_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// Issue 18: sign, verify, SBOM and provenance use the keychain over TLS
// with the registry's CA, and say what to do when a registry wants
// credentials they lack.
func TestSupplyChainCallsUseTheKeychain(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.WithTLS(), testregistry.WithBasicAuth("ci", "s3cret"))
	tr := registry.WithTransport(reg.Transport())
	with := []registry.Option{tr, registry.WithKeychain(reg.Keychain())}
	without := []registry.Option{tr, registry.WithKeychain(testregistry.Anonymous)}
	want := "authentication required for " + reg.Host + ": run `docker login " + reg.Host + "` (or configure a credential helper)"
	a, _ := scKeys(t)
	tag := reg.Host + "/apps/dev/sample-go:latest"
	digest := reg.Push(t, tag, scCNBImage(t, scSBOMLayer(t, scSampleSBOMFiles), nil))
	byDigest := reg.Host + "/apps/dev/sample-go@" + digest
	r, p := scSampleRequest(t)
	in := supplychain.ProvenanceInput{Request: r, Platform: p, FinishedOn: time.Now()}

	// Without credentials: each call fails, naming the registry and the fix
	// (also for a digest reference, which needs no tag lookup).
	for _, ref := range []string{tag, byDigest} {
		_, err := supplychain.Sign(ctx, ref, a.signing, without...)
		assert.ErrorContains(t, err, want, "sign %s", ref)
		_, err = supplychain.Verify(ctx, ref, a.public, without...)
		assert.ErrorContains(t, err, want, "verify %s", ref)
		_, err = supplychain.ReadSBOM(ctx, ref, without...)
		assert.ErrorContains(t, err, want, "sbom %s", ref)
		_, err = supplychain.NewProvenance(ctx, ref, in, without...)
		assert.ErrorContains(t, err, want, "provenance %s", ref)
		_, err = supplychain.VerifyProvenance(ctx, ref, a.public, without...)
		assert.ErrorContains(t, err, want, "verify provenance %s", ref)
	}

	// With them: the whole chain works.
	_, err := supplychain.Sign(ctx, tag, a.signing, with...)
	require.NoError(t, err)
	_, err = supplychain.Verify(ctx, tag, a.public, with...)
	require.NoError(t, err)
	s, err := supplychain.ReadSBOM(ctx, tag, with...)
	require.NoError(t, err)
	assert.NotEmpty(t, s.Files)
	st, err := supplychain.NewProvenance(ctx, tag, in, with...)
	require.NoError(t, err)
	_, err = supplychain.AttestProvenance(ctx, tag, st, a.signing, without...)
	assert.ErrorContains(t, err, want, "attest")
	_, err = supplychain.AttestProvenance(ctx, tag, st, a.signing, with...)
	require.NoError(t, err)
	_, err = supplychain.VerifyProvenance(ctx, tag, a.public, with...)
	require.NoError(t, err)
}
