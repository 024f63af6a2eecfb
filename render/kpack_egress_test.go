package render_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/render"
)

// The platform's build network reaches kpack builds as the Image's build env and, for CA bundles and mirror
// credentials, as build services (Secrets kpack mounts at /platform/bindings/<name>); kpack's own validation
// accepts the result.
func TestKpackImageGetsEgress(t *testing.T) {
	objs := renderCase(t, "../examples/apps/java-maven/goldenpath.yaml", "testdata/platform-egress.yaml", render.AppOptions{})
	img := find(objs, "Image")
	require.NotNil(t, img)
	kpackCheck(t, *img)
	env := map[string]any{}
	for _, e := range dig(img.Value, "spec", "build", "env").([]any) {
		m := e.(map[string]any)
		env[m["name"].(string)] = m["value"]
	}
	assert.Equal(t, map[string]any{
		"GOLDENPATH_MIRROR_GO":                "https://nexus.corp.example/repository/go/",
		"GOLDENPATH_MIRROR_MAVEN":             "https://nexus.corp.example/repository/maven-public/",
		"GOLDENPATH_MIRROR_MAVEN_CREDENTIALS": "nexus-credentials",
		"HTTPS_PROXY":                         "http://proxy.corp.example:3128",
		"https_proxy":                         "http://proxy.corp.example:3128",
		"NO_PROXY":                            ".svc,.cluster.local",
		"no_proxy":                            ".svc,.cluster.local",
	}, env)
	assert.Equal(t, []any{
		map[string]any{"apiVersion": "v1", "kind": "Secret", "name": "corp-ca"},
		map[string]any{"apiVersion": "v1", "kind": "Secret", "name": "nexus-credentials"},
	}, dig(img.Value, "spec", "build", "services"))
	assert.NotContains(t, env, "GOLDENPATH_CA_LAUNCH", "launch trust was not asked for")
}
