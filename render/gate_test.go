package render_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// A platform whose controller verifies signatures (controller.publicKey)
// never runs an image nobody verified: an unpinned Deployment follows
// kpack's (or the pipeline's) mutable tag, which is pushed before the
// verify gate looks at it, so it renders with no replicas until a verified
// digest is pinned. Pinned, it runs the contract's replicas.
func TestUnverifiedImageNeverRuns(t *testing.T) {
	verify := platform(t, "testdata/platform-verify.yaml")
	require.NotEmpty(t, verify.Controller.PublicKey)
	for _, f := range []string{"../examples/contracts/dev/payments-api.yaml", "../contract/testdata/valid-dockerfile.yaml", "../contract/testdata/valid-multi.yaml"} {
		reqs, err := contract.LoadFile(f)
		require.NoError(t, err)
		for _, r := range reqs {
			want := *r.Spec.Runtime.Replicas
			d := find(mustApp(t, r, verify, render.AppOptions{}), "Deployment")
			assert.Equal(t, json.Number("0"), number(dig(d.Value, "spec", "replicas")), "%s %s: unpinned under a verifying platform", f, r.Application)
			ann := dig(d.Value, "metadata", "annotations").(map[string]any)
			assert.Equal(t, json.Number(jsonInt(want)), json.Number(str(ann[render.PinnedReplicasAnnotation])), "%s %s", f, r.Application)
			assert.Contains(t, ann[render.WaitingForPinAnnotation], "waiting for the first verified pin")
			img := str(dig(d.Value, "spec", "template", "spec", "containers", 0, "image"))
			assert.NotContains(t, img, "@sha256:")

			pin := verify.ImageRepository(r) + "@sha256:" + strings.Repeat("ab", 32)
			d = find(mustApp(t, r, verify, render.AppOptions{Image: pin}), "Deployment")
			assert.Equal(t, json.Number(jsonInt(want)), number(dig(d.Value, "spec", "replicas")), "%s %s: pinned", f, r.Application)
			ann = dig(d.Value, "metadata", "annotations").(map[string]any)
			assert.NotContains(t, ann, render.PinnedReplicasAnnotation)
			assert.NotContains(t, ann, render.WaitingForPinAnnotation)

			// Without verification there is nothing to wait for.
			d = find(mustApp(t, r, contract.DefaultPlatform(), render.AppOptions{}), "Deployment")
			assert.Equal(t, json.Number(jsonInt(want)), number(dig(d.Value, "spec", "replicas")), "%s %s: no publicKey", f, r.Application)
			assert.NotContains(t, dig(d.Value, "metadata", "annotations"), render.WaitingForPinAnnotation)
		}
	}
}

// The controller pins the gated file: PinDeployment gives it back the
// contract's replicas, byte for byte what App renders pinned (the general
// equality is TestPinDeploymentEqualsRenderPinned, which covers the
// "verify" case); a file without the replicas annotation that says it
// waits is refused rather than guessed.
func TestPinDeploymentOpensTheGate(t *testing.T) {
	d := find(renderCase(t, "../examples/contracts/dev/payments-api.yaml", "testdata/platform-verify.yaml", render.AppOptions{}), "Deployment")
	file, err := d.YAML()
	require.NoError(t, err)
	require.Contains(t, string(file), "replicas: 0\n")
	pin := "registry.goldenpath.io/apps/dev/payments-api@sha256:" + strings.Repeat("ab", 32)
	got, err := render.PinDeployment(file, pin)
	require.NoError(t, err)
	assert.Contains(t, string(got), "  replicas: 2\n")
	assert.NotContains(t, string(got), render.WaitingForPinAnnotation)

	broken := strings.Replace(string(file), "    "+render.PinnedReplicasAnnotation+": \"2\"\n", "", 1)
	require.NotEqual(t, string(file), broken)
	_, err = render.PinDeployment([]byte(broken), pin)
	assert.ErrorContains(t, err, render.PinnedReplicasAnnotation)
	bad := strings.Replace(string(file), render.PinnedReplicasAnnotation+": \"2\"", render.PinnedReplicasAnnotation+": \"two\"", 1)
	require.NotEqual(t, string(file), bad)
	_, err = render.PinDeployment([]byte(bad), pin)
	assert.ErrorContains(t, err, render.PinnedReplicasAnnotation)
}

func mustApp(t *testing.T, r *contract.AppDeploymentRequest, p *contract.Platform, opts render.AppOptions) []render.Object {
	t.Helper()
	objs, err := render.App(r, p, opts)
	require.NoError(t, err)
	return objs
}

// number reads an integer the way the emitter sees it.
func number(v any) json.Number {
	switch n := v.(type) {
	case int64:
		return json.Number(jsonInt(int32(n)))
	case int32:
		return json.Number(jsonInt(n))
	case json.Number:
		return n
	}
	return json.Number("<" + str(v) + ">")
}

func jsonInt(n int32) string { b, _ := json.Marshal(n); return string(b) }

func str(v any) string { s, _ := v.(string); return s }
