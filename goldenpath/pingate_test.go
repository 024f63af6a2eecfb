package goldenpath_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/render"
)

// Under a platform that verifies signatures (controller.publicKey), the
// GitOps tree holds an unpinned Deployment with replicas 0 (render's verify
// gate) until the controller pins it; the tree writer's keep-pins must
// carry both states through later renders: the replicas-0 file stays as it
// is, and the controller's pin (render.PinDeployment's bytes, with the
// contract's replicas) stays byte for byte, until --unpin closes the gate
// again.
func TestTreeKeepsTheVerifyGate(t *testing.T) {
	p, err := goldenpath.LoadPlatformFile("../render/testdata/platform-verify.yaml")
	require.NoError(t, err)
	contracts, out := t.TempDir(), filepath.Join(t.TempDir(), "gitops")
	data, err := os.ReadFile("../examples/contracts/dev/payments-api.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(contracts, "payments-api.yaml"), data, 0o644))
	file := filepath.Join(out, "dev/payments-api/deployment.yaml")
	renderTree := func(opts ...goldenpath.Option) (*goldenpath.TreeReport, []byte) {
		t.Helper()
		rep, err := goldenpath.RenderTree(context.Background(), []string{contracts}, out, append(opts, goldenpath.WithPlatform(p))...)
		require.NoError(t, err)
		got, err := os.ReadFile(file)
		require.NoError(t, err)
		return rep, got
	}

	_, waiting := renderTree()
	require.Contains(t, string(waiting), "\n  replicas: 0\n")
	require.Contains(t, string(waiting), render.WaitingForPinAnnotation)
	rep, again := renderTree()
	assert.Equal(t, string(waiting), string(again), "an unpinned, waiting Deployment renders the same")
	assert.Zero(t, rep.PinsKept)

	// The controller pins the file in git.
	pin := p.Registry + "/dev/payments-api@sha256:" + strings.Repeat("cd", 32)
	pinned, err := render.PinDeployment(waiting, pin)
	require.NoError(t, err)
	require.Contains(t, string(pinned), "\n  replicas: 2\n")
	require.NoError(t, os.WriteFile(file, pinned, 0o644))
	rep, kept := renderTree()
	assert.Equal(t, string(pinned), string(kept), "the next render keeps the controller's pin, replicas included")
	assert.Equal(t, 1, rep.PinsKept)
	rep, kept = renderTree()
	assert.Equal(t, string(pinned), string(kept))
	assert.Equal(t, 1, rep.PinsKept)

	rep, unpinned := renderTree(goldenpath.WithUnpin())
	assert.Equal(t, string(waiting), string(unpinned), "unpinned again: no pod runs the tag")
	assert.Len(t, rep.PinsDropped, 1)
}
