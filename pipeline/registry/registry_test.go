package registry_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// The one plain-HTTP rule: loopback as the Docker engine treats it, other
// hosts only when named, never a name that merely looks like loopback.
func TestPlainHTTP(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:5000": true, "127.0.0.1": true, "127.0.0.1:5111": true, "127.1.2.3:80": true,
		"[::1]:5000": true, "::1": true,
		"127.evil.example:5000": false, "localhost.evil.example": false, "registry.example": false,
		"10.0.0.1:5000": false, "0.0.0.0:5000": false, "[::ffff:7f00:1]:5000": true,
	} {
		assert.Equal(t, want, registry.PlainHTTP(host), host)
	}
	assert.True(t, registry.PlainHTTP("registry.internal:5000", "registry.internal:5000"))
	assert.False(t, registry.PlainHTTP("registry.internal:5001", "registry.internal:5000"), "host:port as named")
	assert.False(t, registry.PlainHTTP("other.internal:5000", "registry.internal:5000"), "only the host named")

	c, err := registry.New(registry.WithInsecureRegistries("registry.internal:5000"))
	require.NoError(t, err)
	for ref, insecure := range map[string]bool{
		"registry.internal:5000/apps/a:1": true, "other.internal/apps/a:1": false,
		"127.0.0.1:5111/apps/a:1": true, "index.docker.io/library/busybox": false, "busybox": false,
	} {
		r, err := c.Parse(ref)
		require.NoError(t, err, ref)
		assert.Equal(t, insecure, r.Context().Registry.Scheme() == "http", ref)
	}
	_, err = registry.New(registry.WithInsecureRegistries("http://registry.internal"))
	assert.Error(t, err, "a URL is not a host")
}

func TestOptionsRejectNonsense(t *testing.T) {
	for _, opt := range []registry.Option{
		registry.WithConcurrency(0), registry.WithRequestTimeout(0), registry.WithRetries(-1),
		registry.WithTransport(nil), registry.WithKeychain(nil), registry.WithCircuitBreaker(-1),
		registry.WithInsecureRegistries(""),
	} {
		_, err := registry.New(opt)
		assert.Error(t, err)
	}
}

// A registry that wants credentials the keychain lacks gives the error that
// says what to do; wrong credentials say so too; right ones work.
func TestAuthErrors(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.WithTLS(), testregistry.WithBasicAuth("ci", "s3cret"))
	img, err := random.Image(64, 2)
	require.NoError(t, err)
	tag := reg.Host + "/apps/dev/a:latest"
	reg.Push(t, tag, img)
	ref, err := name.ParseReference(tag)
	require.NoError(t, err)

	anon, err := registry.New(registry.WithTransport(reg.Transport()), registry.WithKeychain(testregistry.Anonymous))
	require.NoError(t, err)
	_, err = anon.Image(ctx, ref, nil)
	var ae *registry.AuthError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, "authentication required for "+reg.Host+": run `docker login "+reg.Host+"` (or configure a credential helper)", ae.Error())
	_, err = anon.Head(ctx, ref)
	assert.ErrorAs(t, err, &ae)

	bad, err := registry.New(registry.WithTransport(reg.Transport()), registry.WithKeychain(fixedKeychain{authn.FromConfig(authn.AuthConfig{Username: "ci", Password: "wrong"})}))
	require.NoError(t, err)
	_, err = bad.Image(ctx, ref, nil)
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.False(t, ae.Anonymous)
	assert.Contains(t, ae.Error(), "authentication failed for "+reg.Host+" with the credentials found for it")

	good, err := registry.New(registry.WithTransport(reg.Transport()), registry.WithKeychain(reg.Keychain()))
	require.NoError(t, err)
	got, err := good.Image(ctx, ref, nil)
	require.NoError(t, err)
	d, _ := img.Digest()
	assert.Equal(t, d, got.Digest)
	desc, err := good.Head(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, d, desc.Digest)

	// Without the CA the TLS handshake fails: there is no switch that
	// turns verification off.
	noCA, err := registry.New(registry.WithKeychain(reg.Keychain()), registry.WithRetries(0))
	require.NoError(t, err)
	_, err = noCA.Image(ctx, ref, nil)
	assert.ErrorContains(t, err, "certificate")
}

// Requests are counted by kind, and a registry that stops answering opens
// the breaker: requests then fail at once with ErrRegistryDown.
func TestStatsAndBreaker(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	img, err := random.Image(64, 1)
	require.NoError(t, err)
	tag := reg.Host + "/apps/dev/a:latest"
	reg.Push(t, tag, img)
	c, err := registry.New(registry.WithRetries(0), registry.WithCircuitBreaker(3), registry.WithRequestTimeout(5*time.Second))
	require.NoError(t, err)
	ref, err := c.Parse(tag)
	require.NoError(t, err)
	_, err = c.Image(ctx, ref, &v1.Platform{OS: "linux", Architecture: "amd64"})
	require.NoError(t, err)
	s := c.Stats()
	assert.Equal(t, 1, s.Requests["manifest-get"])
	assert.Equal(t, 1, s.Requests["blob-get"])

	reg.SetFault(func(*http.Request) bool { return true })
	for range 3 {
		_, err = c.Image(ctx, ref, nil)
		require.Error(t, err)
	}
	reg.ResetLog()
	_, err = c.Image(ctx, ref, nil)
	assert.ErrorIs(t, err, registry.ErrRegistryDown)
	assert.Empty(t, reg.Requests(), "an open breaker sends nothing")
	after := c.Stats().Sub(s)
	assert.Equal(t, 3, after.Requests["manifest-get"], "every attempt counted, the refused one not")
}

type fixedKeychain struct{ a authn.Authenticator }

func (k fixedKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }
