package render_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// PinDeployment on an unpinned rendered Deployment gives exactly the bytes
// App renders with the image pinned, for every contract the render tests
// use and every sample app: the controller's pin equals `goldenpath
// promote`'s.
func TestPinDeploymentEqualsRenderPinned(t *testing.T) {
	files := []struct{ contract, platform string }{}
	for _, tc := range cases {
		files = append(files, struct{ contract, platform string }{tc.contract, tc.platform})
	}
	apps, err := filepath.Glob("../examples/apps/*/goldenpath.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, apps)
	for _, a := range apps {
		files = append(files, struct{ contract, platform string }{a, "../examples/platform/local.yaml"})
	}
	for _, f := range files {
		reqs, err := contract.LoadFile(f.contract)
		require.NoError(t, err)
		p := platform(t, f.platform)
		for _, r := range reqs {
			plain, err := render.App(r, p, render.AppOptions{})
			require.NoError(t, err)
			d := find(plain, "Deployment")
			repo := p.ImageRepository(r)
			file, err := d.YAML()
			require.NoError(t, err)
			var pinned []byte
			for _, digest := range []string{strings.Repeat("ab", 32), strings.Repeat("cd", 32)} {
				pin := repo + "@sha256:" + digest
				objs, err := render.App(r, p, render.AppOptions{Image: pin})
				require.NoError(t, err)
				want, err := find(objs, "Deployment").YAML()
				require.NoError(t, err)
				got, err := render.PinDeployment(file, pin)
				require.NoError(t, err, "%s %s", f.contract, r.Application)
				assert.Equal(t, string(want), string(got), "%s %s", f.contract, r.Application)
				img, err := render.DeploymentImage(got)
				require.NoError(t, err)
				assert.Equal(t, pin, img)
				if pinned != nil {
					// Pinning a pinned file again moves it to the new digest only.
					again, err := render.PinDeployment(pinned, pin)
					require.NoError(t, err)
					assert.Equal(t, string(want), string(again))
				}
				pinned = got
			}
		}
	}
}

func TestPinDeploymentRefuses(t *testing.T) {
	d := find(renderCase(t, "../examples/contracts/dev/payments-api.yaml", "", render.AppOptions{}), "Deployment")
	file, err := d.YAML()
	require.NoError(t, err)
	_, err = render.PinDeployment(file, "registry.goldenpath.io/apps/dev/payments-api:latest")
	assert.ErrorContains(t, err, "must be pinned by digest")
	svc := find(renderCase(t, "../examples/contracts/dev/payments-api.yaml", "", render.AppOptions{}), "Service")
	data, err := svc.YAML()
	require.NoError(t, err)
	_, err = render.PinDeployment(data, "r.example/a@sha256:"+strings.Repeat("ab", 32))
	assert.ErrorContains(t, err, "not a Deployment but v1 Service")
	_, err = render.PinDeployment([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"), "r.example/a@sha256:"+strings.Repeat("ab", 32))
	assert.ErrorContains(t, err, "was not rendered by goldenpath")
}
