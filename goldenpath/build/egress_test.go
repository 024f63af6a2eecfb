package build_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
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

// A platform naming CA files with no bundle contents given fails at once, naming the files and the flag
// (dagger-langs' finding: the module built without the CA and failed late on the mirror's certificate).
func TestPlatformFilesWithoutTheCABundles(t *testing.T) {
	p, err := contract.LoadPlatform("platform.yaml", append(contract.DefaultPlatformYAML(), []byte(`egress:
  caCertificates:
    bundles:
      - file: /etc/ssl/corp/mirror-ca.pem
      - file: /etc/ssl/corp/npm-ca.pem
`)...))
	require.NoError(t, err)
	_, err = build.PlatformFiles(p, "default", nil, nil)
	var cae *build.CABundlesError
	require.ErrorAs(t, err, &cae)
	assert.Equal(t, []string{"/etc/ssl/corp/mirror-ca.pem", "/etc/ssl/corp/npm-ca.pem"}, cae.Files)
	assert.EqualError(t, err, `the platform names CA bundle files /etc/ssl/corp/mirror-ca.pem, /etc/ssl/corp/npm-ca.pem `+
		`(egress.caCertificates.bundles[].file, builder "default"), which a build in the Dagger engine cannot read from `+
		`your machine: pass each with --ca-bundle (--ca-bundle=/etc/ssl/corp/mirror-ca.pem --ca-bundle=/etc/ssl/corp/npm-ca.pem)`)

	// With the contents the files are bindings.
	ca, err := os.ReadFile(testregistry.New(t, testregistry.WithTLS()).CAFile(t))
	require.NoError(t, err)
	files, err := build.PlatformFiles(p, "default", nil, [][]byte{ca})
	require.NoError(t, err)
	assert.NotEmpty(t, files)
}
