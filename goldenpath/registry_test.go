package goldenpath

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// WithRegistry and WithRegistryOptions reach every registry call of the
// facade: the keychain and CA of a registry that requires credentials over
// TLS make Rebase, Plan and Sign work; without them each says what to do.
func TestFacadeRegistryOptions(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.WithTLS(), testregistry.WithBasicAuth("ci", "s3cret"))
	img, err := random.Image(64, 1)
	require.NoError(t, err)
	tag := reg.Host + "/apps/dev/plain:latest"
	reg.Push(t, tag, img)
	keys, err := GenerateKeys(t.TempDir())
	require.NoError(t, err)
	tr := registry.WithTransport(reg.Transport())
	want := "authentication required for " + reg.Host + ": run `docker login " + reg.Host + "`"

	for _, c := range []struct {
		keychain registry.Option
		auth     bool
	}{{registry.WithKeychain(testregistry.Anonymous), false}, {registry.WithKeychain(reg.Keychain()), true}} {
		opt := WithRegistry(tr, c.keychain, registry.WithRetries(0))
		rep, err := Rebase(ctx, RebaseRequest{FleetRequest: FleetRequest{Images: []string{tag}}}, opt)
		require.NoError(t, err)
		plan, err := Plan(ctx, PlanRequest{FleetRequest: FleetRequest{Images: []string{tag}}}, opt)
		require.NoError(t, err)
		_, signErr := Sign(ctx, tag, keys.PrivateKey, WithRegistryOptions(tr, c.keychain))
		if !c.auth {
			assert.Contains(t, rep.Results[0].Error, want)
			assert.Contains(t, plan.Items[0].Error, want)
			assert.ErrorContains(t, signErr, want)
			continue
		}
		// With credentials the registry answers: a plain image is no CNB
		// image to rebase or plan, and it can be signed.
		assert.Contains(t, rep.Results[0].Error, "io.buildpacks.lifecycle.metadata")
		assert.NotContains(t, plan.Items[0].Error, "authentication")
		assert.NoError(t, signErr)
	}
}
