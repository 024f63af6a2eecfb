package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/internal/cli"
	"github.com/goldenpath-dev/goldenpath/render"
)

// renderSteps are the goldenpath commands of the render-and-commit
// example's Render step, with its paths replaced.
func renderSteps(t *testing.T, paths map[string]string) [][]string {
	t.Helper()
	data, err := os.ReadFile("../../examples/github-actions/render-and-commit.yaml")
	require.NoError(t, err)
	var wf struct {
		Jobs map[string]struct {
			Steps []struct{ Name, Run string }
		}
	}
	require.NoError(t, yaml.Unmarshal(data, &wf))
	var cmds [][]string
	for _, s := range wf.Jobs["render"].Steps {
		if s.Name != "Render" {
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(s.Run), "\n") {
			fields := strings.Fields(line)
			require.Equal(t, "goldenpath", fields[0], line)
			for i, f := range fields {
				if p, ok := paths[f]; ok {
					fields[i] = p
				}
			}
			cmds = append(cmds, fields[1:])
		}
	}
	require.Len(t, cmds, 2)
	return cmds
}

// The example re-renders on every merge: it must keep the pins promote
// wrote (promote writes them with goldenpath.UpdateTree, as here).
func TestRenderAndCommitKeepsPromotedPins(t *testing.T) {
	base := t.TempDir()
	contracts, out := filepath.Join(base, "contracts"), filepath.Join(base, "gitops")
	contractAs(t, contracts, "dev/payments-api.yaml")
	steps := renderSteps(t, map[string]string{"platform.yaml": "../../contract/platform-default.yaml", "gitops/": out, "contracts/": contracts})
	renderAll := func() {
		for _, args := range steps {
			code, _, errOut := run(t, args...)
			require.Equal(t, cli.ExitOK, code, "%v: %s", args, errOut)
		}
	}
	renderAll()

	pin := "registry.goldenpath.io/apps/dev/payments-api@sha256:" + strings.Repeat("ab", 32)
	reqs, err := goldenpath.LoadRequests(context.Background(), []string{contracts})
	require.NoError(t, err)
	objs, err := goldenpath.RenderRequests(reqs, goldenpath.WithImages(map[string]string{"dev/payments-api": pin}))
	require.NoError(t, err)
	_, err = goldenpath.UpdateTree(out, objs)
	require.NoError(t, err)
	require.Contains(t, readTree(t, out)["dev/payments-api/deployment.yaml"], "image: "+pin)

	renderAll()
	tree := readTree(t, out)
	assert.Contains(t, tree["dev/payments-api/deployment.yaml"], "image: "+pin, "the merge's render keeps promote's pin")
	assert.Contains(t, tree, "platform/argocd/appproject-root.yaml")
	assert.Contains(t, tree, "argocd/dev.yaml")
}

// The in-cluster controller pins by committing render.PinDeployment's
// output into the Deployment file (not through goldenpath's index): the
// next render keeps that pin too, and says nothing was overwritten.
func TestRenderKeepsControllerPins(t *testing.T) {
	contracts, out := t.TempDir(), filepath.Join(t.TempDir(), "gitops")
	contractAs(t, contracts, "dev/payments-api.yaml")
	code, _, errOut := run(t, "render", "--out", out, contracts)
	require.Equal(t, cli.ExitOK, code, errOut)
	file := filepath.Join(out, "dev/payments-api/deployment.yaml")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	pin := "registry.goldenpath.io/apps/dev/payments-api@sha256:" + strings.Repeat("cd", 32)
	pinned, err := render.PinDeployment(data, pin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, pinned, 0o644))

	code, _, errOut = run(t, "render", "--out", out, contracts)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.NotContains(t, errOut, "overwrote")
	assert.Contains(t, errOut, "1 pin kept")
	assert.Contains(t, readTree(t, out)["dev/payments-api/deployment.yaml"], "image: "+pin)
	assert.Contains(t, readTree(t, out)[".goldenpath/tree.json"], `"pin":"`+pin+`"`)

	// A pin of another repository is not kept.
	other, err := render.PinDeployment(pinned, "attacker.example/x@sha256:"+strings.Repeat("ef", 32))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, other, 0o644))
	code, _, errOut = run(t, "render", "--out", out, contracts)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, errOut, "not an image of the application's repository")
	assert.Contains(t, readTree(t, out)["dev/payments-api/deployment.yaml"], "image: registry.goldenpath.io/apps/dev/payments-api\n")
}
