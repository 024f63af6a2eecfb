package contract_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// build.network: host only when the platform says so; never another
// container's namespaces.
func TestPlatformBuildNetwork(t *testing.T) {
	base, err := os.ReadFile("../examples/platform/local.yaml")
	require.NoError(t, err)
	p, err := contract.LoadPlatform("local.yaml", base)
	require.NoError(t, err)
	assert.Equal(t, "host", p.Build.Network, "the local platform pushes to 127.0.0.1 and asks for the host network")

	for network, ok := range map[string]bool{
		"host": true, "bridge": true, "none": true, "goldenpath_builds": true, "my.net-1": true,
		"container:registry": false, "../x": false, "-x": false, "a b": false, strings.Repeat("n", 65): false,
	} {
		data := strings.Replace(string(base), "network: host", "network: \""+network+"\"", 1)
		_, err := contract.LoadPlatform("p.yaml", []byte(data))
		if ok {
			assert.NoError(t, err, network)
		} else {
			assert.ErrorContains(t, err, "build.network", network)
		}
	}
}

// ImageRepositoryOn is the one image-repository rule.
func TestImageRepositoryOn(t *testing.T) {
	p := &contract.Platform{Registry: "registry.example/apps/"}
	r := &contract.AppDeploymentRequest{Application: "api", Environment: "dev"}
	assert.Equal(t, "registry.example/apps/dev/api", p.ImageRepository(r))
	assert.Equal(t, "registry.example/apps/dev/api", p.ImageRepositoryOn("", r))
	assert.Equal(t, "127.0.0.1:5000/ci/dev/api", p.ImageRepositoryOn("127.0.0.1:5000/ci/", r))
}
