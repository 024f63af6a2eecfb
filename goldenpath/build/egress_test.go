package build_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
)

// The Dagger module writes these files into the creator's /platform: the same env and bindings pack gets.
func TestPlatformFiles(t *testing.T) {
	p, err := contract.LoadPlatform("platform.yaml", append(contract.DefaultPlatformYAML(), []byte(`egress:
  mirrors:
    npmRegistry: {url: "https://npm.corp.example/"}
  proxy: {httpsProxy: "http://proxy.corp.example:3128", launch: true}
`)...))
	require.NoError(t, err)
	files, err := build.PlatformFiles(p, "default", map[string]string{"BP_GO_TARGET": "./cmd/x", "GOLDENPATH_MIRROR_NPM": "https://elsewhere.example/"}, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{
		"env/BP_GO_TARGET":            []byte("./cmd/x"),
		"env/GOLDENPATH_MIRROR_NPM":   []byte("https://npm.corp.example/"),
		"env/HTTPS_PROXY":             []byte("http://proxy.corp.example:3128"),
		"env/https_proxy":             []byte("http://proxy.corp.example:3128"),
		"env/GOLDENPATH_PROXY_LAUNCH": []byte("true"),
	}, files)
	_, err = build.PlatformFiles(p, "default", nil, [][]byte{[]byte("not a certificate")})
	assert.ErrorContains(t, err, "CA bundle 1: holds no PEM certificate")
}
