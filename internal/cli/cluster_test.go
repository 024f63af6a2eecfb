package cli_test

import (
	"encoding/json"
	"testing"

	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/stretchr/testify/require"
)

// update-stacks and render --pin-stacks resolve the platform's stack images
// in the registry: a run image patched under the same tag moves the pin.
func TestStackCommands(t *testing.T) {
	f := newRBFleet(t, 0)
	build, err := random.Image(10, 1)
	require.NoError(t, err)
	rbWrite(t, f.host+"/goldenpath/build:test", build)
	platform := f.platformFile(t)

	code, out, errOut := rbRun(t, "", "platform", "update-stacks", "--platform", platform, "--dry-run", "--kubeconfig", "-", "-o", "json")
	require.Equal(t, 0, code, errOut)
	var rep fleet.StackReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.True(t, rep.DryRun)
	run1 := f.host + "/goldenpath/run@" + rbDigest(t, f.runRef)
	require.Equal(t, run1, rep.Images[1].Pinned)

	code, out, errOut = rbRun(t, "", "platform", "render", "--platform", platform, "--pin-stacks")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "image: "+run1)
	require.Contains(t, errOut, "builder default: run image "+f.runRef+" is "+run1)

	f.patch(t)
	run2 := f.host + "/goldenpath/run@" + rbDigest(t, f.runRef)
	require.NotEqual(t, run1, run2)
	code, out, _ = rbRun(t, "", "platform", "render", "--platform", platform, "--pin-stacks")
	require.Equal(t, 0, code)
	require.Contains(t, out, "image: "+run2)
	require.NotContains(t, out, run1)

	// A usage error.
	code, _, errOut = rbRun(t, "", "platform", "update-stacks", "--platform", platform, "--kubeconfig", "-")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "needs --dry-run")
}

func TestStackCommandsNameTheMissingImage(t *testing.T) {
	f := newRBFleet(t, 0) // no build image pushed
	code, _, errOut := rbRun(t, "", "platform", "update-stacks", "--platform", f.platformFile(t), "--dry-run", "--kubeconfig", "-")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "builder default: stack build image: resolving "+f.host+"/goldenpath/build:test")
}
