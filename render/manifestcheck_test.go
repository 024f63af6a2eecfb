package render_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/manifestcheck"
	"github.com/goldenpath-dev/goldenpath/render"
)

// TestRealSchemas checks every rendered object the way the API server and
// kpack's admission webhook would: structural schema validation against the
// real CRDs (kpack, Argo CD, servicebinding.io, Prometheus Operator; see
// testdata/crds/SOURCES.md), kpack's own SetDefaults + Validate, and strict
// decoding plus key semantic checks for built-in kinds.
func TestRealSchemas(t *testing.T) {
	checker, err := manifestcheck.NewFromFS(os.DirFS("testdata/crds"))
	require.NoError(t, err)
	checker.DefaultStorageClass = true
	objs := allRendered(t)
	kinds := map[string]bool{}
	for _, o := range objs {
		if o.Kind() == "Kustomization" {
			continue // a kustomize file, not an API object
		}
		kinds[o.Kind()] = true
		for _, err := range checker.Check(o.Value) {
			t.Errorf("%s: %v", o.Path, err)
		}
	}
	for _, k := range []string{"Image", "ClusterStore", "ClusterStack", "ClusterBuilder", "ClusterLifecycle", "Deployment", "Service",
		"Ingress", "ServiceBinding", "Application", "AppProject", "PrometheusRule", "ServiceAccount", "Namespace"} {
		assert.True(t, kinds[k], "no %s was rendered and checked", k)
	}
}

// The checker must be able to refuse what the renderers could get wrong.
func TestRealSchemasCanFail(t *testing.T) {
	checker, err := manifestcheck.NewFromFS(os.DirFS("testdata/crds"))
	require.NoError(t, err)
	objs := renderCase(t, "../examples/contracts/dev/payments-api.yaml", "", render.AppOptions{})
	app := find(objs, "Application")
	app.Value["spec"].(map[string]any)["project"] = 42
	assert.NotEmpty(t, checker.Check(app.Value))
	d := find(objs, "Deployment")
	d.Value["spec"].(map[string]any)["replica"] = 2
	assert.NotEmpty(t, checker.Check(d.Value))
}
