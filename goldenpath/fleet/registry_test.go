package fleet_test

import (
	"context"
	"encoding/base64"
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

	// The config's entry for another host shows the per-host lookup.
	config := `{"auths": {"` + reg.Host + `": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("ci:s3cret")) +
		`"}, "other.example": {"username": "x", "password": "y"}}}`
	for _, mode := range []string{"", "credentials", "docker config"} {
		auth := mode != ""
		opts := []goldenpath.Option{goldenpath.WithTransport(reg.Transport()), goldenpath.WithRetries(0)}
		switch mode {
		case "credentials":
			opts = append(opts, goldenpath.WithCredentials(reg.Host, "ci", "s3cret"))
		case "docker config":
			creds, err := goldenpath.DockerConfigCredentials([]byte(config))
			require.NoError(t, err)
			assert.Equal(t, goldenpath.RegistryCredential{Username: "x", Password: "y"}, creds["other.example"])
			for h, c := range creds {
				opts = append(opts, goldenpath.WithRegistryCredential(h, c))
			}
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

// A Docker config's credentials: inline entries by host; one that only
// names credential helpers, or a bad entry, is an error that never quotes
// it; a host given twice is refused.
func TestDockerConfigCredentials(t *testing.T) {
	creds, err := goldenpath.DockerConfigCredentials([]byte(`{"auths": {"https://index.docker.io/v1/": {"identitytoken": "tok"},
		"r.example:5000": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("u:p")) + `"}}}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]goldenpath.RegistryCredential{
		"index.docker.io": {IdentityToken: "tok"},
		"r.example:5000":  {Username: "u", Password: "p"},
	}, creds)
	_, err = goldenpath.DockerConfigCredentials([]byte(`{"credsStore": "desktop"}`))
	assert.ErrorContains(t, err, "credential helpers")
	_, err = goldenpath.DockerConfigCredentials([]byte(`{"auths": {"r.example": {"auth": "c2VjcmV0"}}}`))
	assert.EqualError(t, err, "docker config: auths[r.example]: is not the base64 of user:password")
	err = goldenpath.CheckOptions(goldenpath.WithRegistryCredential("r.example", creds["r.example:5000"]), goldenpath.WithCredentials("r.example", "u", "p"))
	assert.EqualError(t, err, "WithCredentials: r.example given twice: give it once")
}
