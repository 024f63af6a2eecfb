//go:build integration

package build_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/build"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// Issue 18: the Dockerfile path publishes with the keychain (it was
// anonymous), over TLS with the registry's CA, and says what to do without
// credentials.
func TestDockerfilePublishUsesTheKeychain(t *testing.T) {
	testenv.RequireDocker(t)
	reg := testregistry.New(t, testregistry.WithTLS(), testregistry.WithBasicAuth("ci", "s3cret"))
	tr := registry.WithTransport(reg.Transport())
	pack, err := build.NewPackBuilder()
	require.NoError(t, err)
	for _, c := range []struct {
		keychain registry.Option
		want     string
	}{
		{registry.WithKeychain(testregistry.Anonymous), "authentication required for " + reg.Host + ": run `docker login " + reg.Host + "`"},
		{registry.WithKeychain(reg.Keychain()), ""},
	} {
		docker, err := build.NewDockerfileBuilder(build.WithDockerfileRegistry(tr, c.keychain))
		require.NoError(t, err)
		var out bytes.Buffer
		spec := dockerfileApp(t, "auth", "FROM goldenpath/probe:busybox\nRUN echo built > /built\n", &out)
		spec.Registry = reg.Host + "/pipeline-arch-it"
		res, err := build.Build(context.Background(), spec, pack, docker)
		if c.want != "" {
			assert.ErrorContains(t, err, c.want)
			continue
		}
		require.NoError(t, err, out.String())
		assert.True(t, strings.HasPrefix(res.Reference, reg.Host+"/pipeline-arch-it/dev/auth@sha256:"), res.Reference)
	}
}
