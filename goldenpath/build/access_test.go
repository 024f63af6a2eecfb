package build_test

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
)

// CheckPush and CheckPull with the facade's registry options: the credentials given for the host pass, none fail
// with the login hint the caller set.
func TestCheckPushAndPull(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.WithTLS(), testregistry.WithBasicAuth("ci", "s3cret"))
	img, err := random.Image(64, 1)
	require.NoError(t, err)
	image := reg.Host + "/apps/dev/a:v1"
	reg.Push(t, image, img)
	hint := goldenpath.WithLoginHint(func(r string) string { return "give the tool credentials for " + r })
	tr := goldenpath.WithTransport(reg.Transport())

	want := "authentication required for " + reg.Host + ": give the tool credentials for " + reg.Host
	err = build.CheckPush(ctx, image, tr, hint)
	require.Error(t, err)
	assert.Contains(t, err.Error(), want)
	err = build.CheckPull(ctx, image, tr, hint)
	require.Error(t, err)
	assert.Contains(t, err.Error(), want)

	creds := goldenpath.WithCredentials(reg.Host, "ci", "s3cret")
	assert.NoError(t, build.CheckPush(ctx, reg.Host+"/apps/dev/new", tr, hint, creds))
	assert.NoError(t, build.CheckPull(ctx, image, tr, hint, creds))
	err = build.CheckPull(ctx, reg.Host+"/apps/dev/a:missing", tr, creds)
	assert.ErrorContains(t, err, "reading "+reg.Host+"/apps/dev/a:missing")
	assert.ErrorContains(t, build.CheckPush(ctx, "Not A Ref", tr), `image "Not A Ref"`)
	assert.ErrorContains(t, build.CheckPush(ctx, image, hint, hint), "WithLoginHint")
}
