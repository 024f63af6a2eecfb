package goldenpath_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/internal/treetest"
	"github.com/goldenpath-dev/goldenpath/render"
)

var inputs = []string{"../examples/contracts", "../contract/testdata/valid-multi.yaml", "../contract/testdata/valid-dockerfile.yaml"}

func readDir(t *testing.T, dir string) map[string]string { return treetest.Read(t, dir) }

// The tree in memory (the Dagger module's) is the tree on disk, index
// included; WriteTree of Render's objects is RenderTree.
func TestTreeFilesIsTheTreeOnDisk(t *testing.T) {
	ctx := context.Background()
	objs, err := goldenpath.Render(ctx, inputs)
	require.NoError(t, err)
	tf, err := goldenpath.TreeFiles(objs)
	require.NoError(t, err)
	files := map[string]string{}
	for p, data := range tf {
		files[p] = string(data)
	}
	dir := filepath.Join(t.TempDir(), "gitops")
	rep, err := goldenpath.RenderTree(ctx, inputs, dir)
	require.NoError(t, err)
	assert.Equal(t, files, readDir(t, dir))
	assert.Equal(t, len(files)-2, rep.Files)
	assert.Contains(t, files, "argocd/test.yaml")

	other := filepath.Join(t.TempDir(), "gitops")
	_, err = goldenpath.WriteTree(other, objs)
	require.NoError(t, err)
	assert.Equal(t, files, readDir(t, other))
}

// The stream holds the objects Render gives, request by request.
func TestRenderStreamIsRender(t *testing.T) {
	ctx := context.Background()
	objs, err := goldenpath.Render(ctx, inputs)
	require.NoError(t, err)
	var stream bytes.Buffer
	require.NoError(t, goldenpath.RenderStream(ctx, inputs, &stream))
	docs := func(s string) []string {
		d := strings.Split(s, "---\n")
		sort.Strings(d)
		return d
	}
	var whole bytes.Buffer
	require.NoError(t, render.Stream(&whole, objs))
	assert.Equal(t, docs(whole.String()), docs(stream.String()))
	last := stream.String()[strings.LastIndex(stream.String(), "---\n# "):]
	assert.True(t, strings.HasPrefix(last, "---\n# argocd/staging/kustomization.yaml\n"), "the roots come last: %s", last)

	// Nothing is written when a request has a problem.
	stream.Reset()
	err = goldenpath.RenderStream(ctx, append(inputs, "../contract/testdata/invalid-quantity-mb.yaml"), &stream)
	require.Error(t, err)
	assert.Empty(t, stream.String())
}

// UpdateTree writes some applications and leaves the others; the root
// lists them all. WriteTree makes the given applications the tree's.
func TestUpdateTreeAndWriteTree(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "gitops")
	_, err := goldenpath.RenderTree(ctx, []string{"../contract/testdata/valid-multi.yaml"}, dir)
	require.NoError(t, err)
	before := readDir(t, dir)
	objs, err := goldenpath.Render(ctx, []string{"../examples/contracts"})
	require.NoError(t, err)
	rep, err := goldenpath.UpdateTree(dir, objs)
	require.NoError(t, err)
	assert.Empty(t, rep.Removed)
	after := readDir(t, dir)
	for p, c := range before {
		if !strings.HasPrefix(p, ".goldenpath/") && !strings.HasSuffix(p, "kustomization.yaml") {
			assert.Equal(t, c, after[p], p)
		}
	}
	assert.Contains(t, after, "dev/payments-api/deployment.yaml")
	assert.Contains(t, after["argocd/dev/kustomization.yaml"], "- payments-api.yaml\n")

	rep, err = goldenpath.WriteTree(dir, objs)
	require.NoError(t, err)
	assert.NotEmpty(t, rep.Removed)
	for p := range readDir(t, dir) {
		assert.True(t, strings.HasPrefix(p, ".goldenpath/") || strings.HasPrefix(p, "argocd/") || strings.HasPrefix(p, "dev/payments-api/"), p)
	}
	// The roots of environments that lost their applications stay, listing none.
	assert.Contains(t, readDir(t, dir)["argocd/staging/kustomization.yaml"], "resources: []\n")
}

func TestWritePlatformTree(t *testing.T) {
	objs, err := goldenpath.RenderPlatform()
	require.NoError(t, err)
	dir := t.TempDir()
	rep, err := goldenpath.WritePlatformTree(dir, objs)
	require.NoError(t, err)
	assert.Contains(t, rep.Written, "platform/argocd/appproject-root.yaml")
	apps, err := goldenpath.Render(context.Background(), []string{"../examples/contracts"})
	require.NoError(t, err)
	_, err = goldenpath.WritePlatformTree(dir, apps)
	assert.ErrorContains(t, err, "is not a platform object's file")
}

// Folders holding a tree are not walked for contracts.
func TestTreesAreNotContracts(t *testing.T) {
	contracts := t.TempDir()
	data, err := os.ReadFile("../examples/contracts/dev/payments-api.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(contracts, "app.yaml"), data, 0o644))
	out := filepath.Join(contracts, "deploy", "gitops")
	for range 2 {
		_, err := goldenpath.RenderTree(context.Background(), []string{contracts}, out)
		require.NoError(t, err)
	}
	assert.True(t, goldenpath.IsTree(out))
	files, err := goldenpath.ExpandPaths([]string{contracts})
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(contracts, "app.yaml")}, files)
}
