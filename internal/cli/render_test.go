package cli_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/cli"
	"github.com/goldenpath-dev/goldenpath/internal/treetest"
)

// The README's main job.
func TestRenderExamples(t *testing.T) {
	code, out, errOut := run(t, "render", "../../examples/contracts")
	require.Equal(t, cli.ExitOK, code, errOut)
	for _, want := range []string{"kind: Image", "kind: Deployment", "kind: Service", "kind: Ingress", "kind: ServiceBinding", "kind: Application", "# dev/payments-api/deployment.yaml"} {
		assert.Contains(t, out, want)
	}
	_, again, _ := run(t, "render", "../../examples/contracts")
	assert.Equal(t, out, again, "rendering twice gives the same bytes")
}

func readTree(t *testing.T, dir string) map[string]string { return treetest.Read(t, dir) }

func TestRenderTree(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := run(t, "render", "--out", dir, "../../examples/contracts/dev/payments-api.yaml")
	require.Equal(t, cli.ExitOK, code, errOut)
	tree := readTree(t, dir)
	var names []string
	for k := range tree {
		names = append(names, k)
	}
	sort.Strings(names)
	assert.Equal(t, []string{
		".goldenpath/.gitignore",
		".goldenpath/tree.json",
		"argocd/dev.yaml",
		"argocd/dev/kustomization.yaml",
		"argocd/dev/payments-api.yaml",
		"dev/payments-api/binding-payments-db.yaml",
		"dev/payments-api/deployment.yaml",
		"dev/payments-api/image.yaml",
		"dev/payments-api/ingress.yaml",
		"dev/payments-api/kustomization.yaml",
		"dev/payments-api/service.yaml",
	}, names)
	assert.Contains(t, errOut, "wrote "+dir+"/dev/payments-api/deployment.yaml")

	// Rendering again into the same folder changes nothing.
	code, _, _ = run(t, "render", "--out", dir, "../../examples/contracts/dev/payments-api.yaml")
	require.Equal(t, cli.ExitOK, code)
	assert.Equal(t, tree, readTree(t, dir))
}

func TestRenderPinsDigest(t *testing.T) {
	ref := "registry.goldenpath.io/apps/dev/payments-api@sha256:" + strings.Repeat("0f", 32)
	code, out, errOut := run(t, "render", "--image", ref, "../../examples/contracts/dev/payments-api.yaml")
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, out, "image: "+ref)

	code, _, errOut = run(t, "render", "--image", "other-app="+ref, "../../examples/contracts/dev/payments-api.yaml")
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, `image given for "other-app"`)
}

func TestRenderRefusesInvalidAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := run(t, "render", "--out", dir, "../../examples/contracts", "../../contract/testdata/invalid-quantity-mb.yaml")
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "invalid-quantity-mb.yaml:14:15: spec.runtime.resources.memory")
	assert.Contains(t, errOut, "nothing was rendered")
	assert.Empty(t, readTree(t, dir))
}

func TestPlatformCommands(t *testing.T) {
	code, out, _ := run(t, "platform", "render")
	require.Equal(t, cli.ExitOK, code)
	for _, want := range []string{"kind: ClusterStore", "kind: ClusterStack", "kind: ClusterBuilder", "kind: AppProject", "kind: PrometheusRule", "kind: ServiceAccount"} {
		assert.Contains(t, out, want)
	}
	code, out, _ = run(t, "platform", "default")
	require.Equal(t, cli.ExitOK, code)
	assert.Contains(t, out, "kind: Platform")

	code, _, errOut := run(t, "platform", "render", "--platform", "../../contract/testdata/valid-seed.yaml")
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errOut, "expected kind Platform")
}

func TestBackstageCommand(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := run(t, "backstage", "--out", dir)
	require.Equal(t, cli.ExitOK, code, errOut)
	tree := readTree(t, dir)
	assert.Contains(t, tree["template.yaml"], "publish:github:pull-request")
	assert.Contains(t, tree["skeleton/${{ values.environment }}/${{ values.application }}.yaml"], "kind: AppDeploymentRequest")

	code, _, _ = run(t, "backstage")
	assert.Equal(t, cli.ExitUsage, code)
}
