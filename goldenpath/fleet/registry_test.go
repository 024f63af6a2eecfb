package fleet_test

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
)

// The facade's registry options reach every registry call of the
// sub-packages: the credentials and CA of a registry that requires them
// over TLS make Rebase, Plan and Sign work; without them each says what
// to do.
func TestFacadeRegistryOptions(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials from the machine
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.WithTLS(), testregistry.WithBasicAuth("ci", "s3cret"))
	img, err := random.Image(64, 1)
	require.NoError(t, err)
	tag := reg.Host + "/apps/dev/plain:latest"
	reg.Push(t, tag, img)
	keys, err := supplychain.GenerateKeys()
	require.NoError(t, err)
	want := "authentication required for " + reg.Host + ": run `docker login " + reg.Host + "`"

	for _, auth := range []bool{false, true} {
		opts := []goldenpath.Option{goldenpath.WithTransport(reg.Transport()), goldenpath.WithRetries(0)}
		if auth {
			opts = append(opts, goldenpath.WithCredentials(reg.Host, "ci", "s3cret"))
		}
		rep, err := fleet.Rebase(ctx, fleet.RebaseRequest{Request: fleet.Request{Images: []string{tag}}}, opts...)
		require.NoError(t, err)
		plan, err := fleet.Plan(ctx, fleet.PlanRequest{Request: fleet.Request{Images: []string{tag}}}, opts...)
		require.NoError(t, err)
		_, signErr := supplychain.Sign(ctx, tag, keys.PrivateKey, opts...)
		if !auth {
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
