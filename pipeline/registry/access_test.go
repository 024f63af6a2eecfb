package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// CheckPush asks the registry for an upload: refused without credentials or with wrong ones (the AuthError, with
// the login hint when one is set), granted with the right ones; and it writes nothing.
func TestCheckPushAndLoginHint(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.WithTLS(), testregistry.WithBasicAuth("ci", "s3cret"))
	repo, err := name.NewRepository(reg.Host + "/apps/dev/a")
	require.NoError(t, err)
	hint := func(r string) string { return "pass --docker-config with an auths entry for " + r }

	anon, err := registry.New(registry.WithTransport(reg.Transport()), registry.WithKeychain(testregistry.Anonymous))
	require.NoError(t, err)
	err = anon.CheckPush(ctx, repo)
	var ae *registry.AuthError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.True(t, ae.Anonymous)
	assert.Contains(t, err.Error(), "authentication required for "+reg.Host+": run `docker login "+reg.Host+"`")

	hinted, err := registry.New(registry.WithTransport(reg.Transport()), registry.WithKeychain(testregistry.Anonymous), registry.WithLoginHint(hint))
	require.NoError(t, err)
	err = hinted.CheckPush(ctx, repo)
	assert.EqualError(t, err, "checking push access to "+repo.String()+": authentication required for "+reg.Host+": pass --docker-config with an auths entry for "+reg.Host)
	_, err = hinted.Head(ctx, repo.Tag("latest"))
	assert.EqualError(t, err, "authentication required for "+reg.Host+": pass --docker-config with an auths entry for "+reg.Host, "every call's AuthError has the hint")

	wrong, err := registry.New(registry.WithTransport(reg.Transport()), registry.WithLoginHint(hint),
		registry.WithKeychain(fixedKeychain{authn.FromConfig(authn.AuthConfig{Username: "ci", Password: "wrong"})}))
	require.NoError(t, err)
	err = wrong.CheckPush(ctx, repo)
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.False(t, ae.Anonymous)
	assert.Contains(t, err.Error(), "authentication failed for "+reg.Host+" with the credentials found for it")
	assert.Contains(t, err.Error(), hint(reg.Host))

	good, err := registry.New(registry.WithTransport(reg.Transport()), registry.WithKeychain(reg.Keychain()))
	require.NoError(t, err)
	reg.ResetLog()
	require.NoError(t, good.CheckPush(ctx, repo))
	assert.Positive(t, reg.Count("POST", "/v2/apps/dev/a/blobs/uploads/"), "an upload was asked for")
	assert.Zero(t, reg.Count("PUT", "/v2/apps/dev/a/"), "nothing was written")
	_, err = registry.New(registry.WithLoginHint(nil))
	assert.EqualError(t, err, "WithLoginHint: nil hint")
}
