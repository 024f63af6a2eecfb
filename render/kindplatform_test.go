package render_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// kindPlatform loads the platform hack/kpack/setup.sh writes for the kind
// cluster, with its placeholders filled in as the script does.
func kindPlatform(t *testing.T) *contract.Platform {
	t.Helper()
	tmpl, err := os.ReadFile("../hack/kpack/platform.yaml.in")
	require.NoError(t, err)
	data := strings.NewReplacer(
		"@REGISTRY@", "172.19.0.1:5111",
		"@LIFECYCLE_IMAGE@", "172.19.0.1:5111/goldenpath/kpack/lifecycle:0.21.0",
		"@RUN_IMAGE@", "172.19.0.1:5111/goldenpath/kpack/run:bookworm",
		"@BUILD_IMAGE@", "172.19.0.1:5111/goldenpath/kpack/build:bookworm",
		"@GITOPS_URL@", "http://172.19.0.1:9480/gitops.git",
	).Replace(string(tmpl))
	require.NotRegexp(t, regexp.MustCompile(`@[A-Z_]+@`), data, "a placeholder hack/kpack/setup.sh does not fill")
	p, err := contract.LoadPlatform("hack/kpack/platform.yaml.in", []byte(data))
	require.NoError(t, err)
	return p
}

// The kind platform's objects are the ones hack/kpack/smoke.sh applies
// unchanged and kpack builds the sample apps with: kpack's webhook must accept
// them, also with the run image pinned by digest (how a patched run image
// reaches the ClusterStack).
func TestKindKpackPlatform(t *testing.T) {
	p := kindPlatform(t)
	objs, err := render.Platform(p)
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, o := range objs {
		if strings.HasPrefix(o.APIVersion(), "kpack.io/") {
			kpackCheck(t, o)
			kinds[o.Kind()]++
		}
	}
	assert.Equal(t, map[string]int{"ClusterBuilder": 1, "ClusterLifecycle": 1, "ClusterStack": 1, "ClusterStore": 1}, kinds)

	b := p.Builders["default"]
	b.Stack.RunImage = "172.19.0.1:5111/goldenpath/kpack/run@sha256:" + strings.Repeat("ab", 32)
	p.Builders["default"] = b
	objs, err = render.Platform(p)
	require.NoError(t, err)
	stack := find(objs, "ClusterStack")
	require.NotNil(t, stack)
	kpackCheck(t, *stack)
	assert.Equal(t, b.Stack.RunImage, dig(stack.Value, "spec", "runImage", "image"))

	for _, lang := range []string{"go", "nodejs", "python"} {
		reqs, err := contract.LoadFile("../examples/apps/" + lang + "/goldenpath.yaml")
		require.NoError(t, err)
		for _, r := range reqs {
			objs, err := render.App(r, p, render.AppOptions{})
			require.NoError(t, err)
			img := find(objs, "Image")
			require.NotNil(t, img, lang)
			kpackCheck(t, *img)
			assert.Equal(t, "172.19.0.1:5111/incluster/dev/"+r.Application, dig(img.Value, "spec", "tag"))
			// kind's host-path volumes cannot be chowned by the build pod: the cache must be an image.
			assert.Equal(t, "172.19.0.1:5111/incluster/dev/"+r.Application+"-cache", dig(img.Value, "spec", "cache", "registry", "tag"))
		}
	}
}
