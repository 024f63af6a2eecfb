package render_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/golden"
	"github.com/goldenpath-dev/goldenpath/internal/manifestcheck"
	"github.com/goldenpath-dev/goldenpath/render"
)

func TestRootGolden(t *testing.T) {
	objs, err := render.Root(contract.DefaultPlatform(), contract.EnvDev, []string{"web", "payments-api", "web"})
	require.NoError(t, err)
	out, err := streamBytes(objs)
	require.NoError(t, err)
	golden.Assert(t, filepath.Join("testdata", "golden", "root-dev.yaml"), out)

	_, err = render.Root(platform(t, "testdata/platform.yaml"), contract.Environment("qa"), nil)
	assert.ErrorContains(t, err, `has no environment "qa"`)
}

// The root Applications and their AppProject pass the real Argo CD CRDs,
// and the root syncs exactly the folder its apps' Applications are in.
func TestRootRealSchemas(t *testing.T) {
	checker, err := manifestcheck.NewFromFS(os.DirFS("testdata/crds"))
	require.NoError(t, err)
	for _, pf := range []string{"", "testdata/platform.yaml"} {
		p := platform(t, pf)
		plat, err := render.Platform(p)
		require.NoError(t, err)
		var project *render.Object
		for i, o := range plat {
			if o.Kind() == "AppProject" && o.Name() == render.ArgoRootProject(p) {
				project = &plat[i]
			}
		}
		require.NotNil(t, project, "platform %q renders no root AppProject", pf)
		for _, err := range checker.Check(project.Value) {
			t.Errorf("%s: %v", project.Path, err)
		}
		for _, env := range p.EnvironmentNames() {
			e := contract.Environment(env)
			objs, err := render.Root(p, e, []string{"a", "b"})
			require.NoError(t, err)
			root := find(objs, "Application")
			require.NotNil(t, root)
			for _, err := range checker.Check(root.Value) {
				t.Errorf("%s: %v", root.Path, err)
			}
			assert.Equal(t, render.ArgoFolder(e), dig(root.Value, "spec", "source", "path"))
			assert.Equal(t, render.ArgoRootProject(p), dig(root.Value, "spec", "project"))
			assert.Equal(t, p.ArgoCD.Namespace, dig(root.Value, "spec", "destination", "namespace"))
			assert.Equal(t, []any{"a.yaml", "b.yaml"}, find(objs, "Kustomization").Value["resources"])
		}
	}
	// The checker refuses a root that is wrong where it can be.
	objs, err := render.Root(contract.DefaultPlatform(), contract.EnvDev, nil)
	require.NoError(t, err)
	root := find(objs, "Application")
	root.Value["spec"].(map[string]any)["syncPolicy"].(map[string]any)["automated"].(map[string]any)["allowEmpty"] = "yes"
	assert.NotEmpty(t, checker.Check(root.Value))
}

// An application's Application lives where the root's kustomization names it.
func TestApplicationInRootFolder(t *testing.T) {
	objs := renderCase(t, "../examples/contracts/dev/payments-api.yaml", "", render.AppOptions{})
	app := find(objs, "Application")
	assert.Equal(t, render.ArgoApplicationPath(contract.EnvDev, "payments-api"), app.Path)
	assert.Equal(t, render.ArgoFolder(contract.EnvDev), filepath.Dir(app.Path))
}
