package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/cli"
)

const seed = "../../examples/contracts/dev/payments-api.yaml"

// contractAs writes the seed contract, changed by the replacer's pairs,
// into dir/name.
func contractAs(t *testing.T, dir, name string, oldnew ...string) string {
	t.Helper()
	data, err := os.ReadFile(seed)
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(strings.NewReplacer(oldnew...).Replace(string(data))), 0o644))
	return p
}

// Renaming an application, or dropping its ingress, leaves nothing of the
// old render in the tree, and the environment's root lists what is there.
func TestRenderTreePrunes(t *testing.T) {
	contracts, out := t.TempDir(), filepath.Join(t.TempDir(), "gitops")
	contractAs(t, contracts, "app.yaml")
	code, _, errOut := run(t, "render", "--out", out, contracts)
	require.Equal(t, cli.ExitOK, code, errOut)
	require.FileExists(t, filepath.Join(out, "dev/payments-api/ingress.yaml"))

	contractAs(t, contracts, "app.yaml", "payments-api", "billing-api", "  ingress:\n    enabled: true", "  ingress:\n    enabled: false")
	code, _, errOut = run(t, "render", "--out", out, contracts)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, errOut, "removed "+out+"/argocd/dev/payments-api.yaml\n")
	assert.Contains(t, errOut, "removed "+out+"/dev/payments-api/deployment.yaml\n")
	var names []string
	for f := range readTree(t, out) {
		if !strings.HasPrefix(f, ".goldenpath/") {
			names = append(names, f)
		}
	}
	assert.ElementsMatch(t, []string{"argocd/dev.yaml", "argocd/dev/kustomization.yaml", "argocd/dev/billing-api.yaml",
		"dev/billing-api/binding-payments-db.yaml", "dev/billing-api/deployment.yaml", "dev/billing-api/image.yaml",
		"dev/billing-api/kustomization.yaml", "dev/billing-api/service.yaml"}, names)
	assert.NoDirExists(t, filepath.Join(out, "dev/payments-api"))
	assert.Contains(t, readTree(t, out)["argocd/dev/kustomization.yaml"], "resources:\n- billing-api.yaml\n")
	assert.Contains(t, errOut, out+": 8 files (7 written, 7 removed, 1 unchanged)\n")
}

// --out at a file: one clear error, not one per file.
func TestRenderOutIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gitops")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	code, _, errOut := run(t, "render", "--out", file, seed)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Equal(t, 1, strings.Count(errOut, file), errOut)
	assert.Contains(t, errOut, "is a file, not a folder")
	code, _, errOut = run(t, "render", "--out", filepath.Join(file, "sub"), seed)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Equal(t, 1, strings.Count(errOut, "not a directory"), errOut)
}

// A folder that is not a goldenpath tree is refused, and taken over with
// --adopt without touching what was there.
func TestRenderRefusesForeignFolder(t *testing.T) {
	out := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(out, "README.md"), []byte("the repo"), 0o644))
	code, _, errOut := run(t, "render", "--out", out, seed)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, out+" is not empty (it holds README.md) and is not a goldenpath tree")
	assert.Equal(t, map[string]string{"README.md": "the repo"}, readTree(t, out))

	code, _, errOut = run(t, "render", "--out", out, "--adopt", seed)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Equal(t, "the repo", readTree(t, out)["README.md"])
	code, _, errOut = run(t, "render", "--out", out, seed)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, errOut, ": 9 files (0 written, 0 removed, 9 unchanged)")
}

// The tree may live inside the folder of contracts: it is never read back
// as contracts, however often it is rendered. A tree holding the
// contracts is refused.
func TestRenderOutInsideInput(t *testing.T) {
	contracts := t.TempDir()
	contractAs(t, contracts, "dev/app.yaml")
	out := filepath.Join(contracts, "gitops")
	for range 2 {
		code, _, errOut := run(t, "render", "--out", out, contracts)
		require.Equal(t, cli.ExitOK, code, errOut)
	}
	code, stdout, errOut := run(t, "validate", contracts)
	require.Equal(t, cli.ExitOK, code, stdout+errOut)
	assert.Contains(t, stdout, "1 file, 1 valid request")

	code, _, errOut = run(t, "render", "--out", contracts, filepath.Join(contracts, "dev"))
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errOut, "holds the input")
}

// Nothing is written through a link in the tree (out/dev -> ../outside).
func TestRenderRefusesLinks(t *testing.T) {
	base := t.TempDir()
	out, outside := filepath.Join(base, "out"), filepath.Join(base, "outside")
	require.NoError(t, os.Mkdir(outside, 0o755))
	code, _, errOut := run(t, "render", "--out", out, seed)
	require.Equal(t, cli.ExitOK, code, errOut)
	require.NoError(t, os.RemoveAll(filepath.Join(out, "dev")))
	require.NoError(t, os.Symlink("../outside", filepath.Join(out, "dev")))
	code, _, errOut = run(t, "render", "--out", out, seed)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, filepath.Join(out, "dev")+" is a symbolic link (to ../outside)")
	entries, _ := os.ReadDir(outside)
	assert.Empty(t, entries)

	// The Backstage writer shares the rule.
	bs := filepath.Join(base, "backstage")
	code, _, errOut = run(t, "backstage", "--out", bs)
	require.Equal(t, cli.ExitOK, code, errOut)
	require.NoError(t, os.RemoveAll(filepath.Join(bs, "skeleton")))
	require.NoError(t, os.Symlink("../outside", filepath.Join(bs, "skeleton")))
	code, _, errOut = run(t, "backstage", "--out", bs)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "is a symbolic link")
	entries, _ = os.ReadDir(outside)
	assert.Empty(t, entries)
}

// Rendering keeps the pins promote and build --out wrote; --unpin drops
// them; --image wins.
func TestRenderKeepsPins(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gitops")
	pin := "registry.goldenpath.io/apps/dev/payments-api@sha256:" + strings.Repeat("0f", 32)
	code, _, errOut := run(t, "render", "--out", out, "--image", pin, seed)
	require.Equal(t, cli.ExitOK, code, errOut)
	deployment := func() string { return readTree(t, out)["dev/payments-api/deployment.yaml"] }
	require.Contains(t, deployment(), "image: "+pin)

	code, _, errOut = run(t, "render", "--out", out, seed)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, deployment(), "image: "+pin, "a plain render keeps the pin")
	assert.Contains(t, errOut, "1 pin kept")

	other := "registry.goldenpath.io/apps/dev/payments-api@sha256:" + strings.Repeat("1e", 32)
	code, _, errOut = run(t, "render", "--out", out, "--image", "payments-api="+other, seed)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, deployment(), "image: "+other)

	code, _, errOut = run(t, "render", "--out", out, "--unpin", seed)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, errOut, "unpinned dev/payments-api (was "+other+"): rendered unpinned, as asked")
	assert.Contains(t, deployment(), "image: registry.goldenpath.io/apps/dev/payments-api\n")
	code, _, errOut = run(t, "render", "--out", out, seed)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, deployment(), "image: registry.goldenpath.io/apps/dev/payments-api\n", "unpinned stays unpinned")

	code, _, errOut = run(t, "render", "--unpin", seed)
	assert.Equal(t, cli.ExitUsage, code, errOut)
}

func TestPlatformRenderTree(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gitops")
	code, _, errOut := run(t, "render", "--out", out, seed)
	require.Equal(t, cli.ExitOK, code, errOut)
	code, _, errOut = run(t, "platform", "render", "--out", out)
	require.Equal(t, cli.ExitOK, code, errOut)
	tree := readTree(t, out)
	assert.Contains(t, tree, "platform/argocd/appproject-root.yaml")
	assert.Contains(t, tree, "dev/payments-api/deployment.yaml", "the platform leaves the applications alone")
	code, _, errOut = run(t, "render", "--out", out, seed)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, readTree(t, out), "platform/argocd/appproject-root.yaml", "the applications leave the platform alone")
}

// An error half-way (a file where an application's folder goes) writes
// nothing, not even the Applications, which come first in path order.
func TestRenderErrorWritesNothing(t *testing.T) {
	contracts, out := t.TempDir(), filepath.Join(t.TempDir(), "gitops")
	contractAs(t, contracts, "a.yaml")
	code, _, errOut := run(t, "render", "--out", out, contracts)
	require.Equal(t, cli.ExitOK, code, errOut)
	contractAs(t, contracts, "b.yaml", "payments-api", "web", "APP-0001", "APP-0002")
	require.NoError(t, os.WriteFile(filepath.Join(out, "dev", "web"), []byte("in the way"), 0o644))
	before := readTree(t, out)
	code, _, errOut = run(t, "render", "--out", out, contracts)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "cannot write the folder dev/web: "+filepath.Join(out, "dev/web")+" is a file; move it away")
	assert.Equal(t, before, readTree(t, out))
	assert.NoFileExists(t, filepath.Join(out, "argocd/dev/web.yaml"))
}
