//go:build integration

package cli_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `goldenpath version` of a CLI built by `go build` from a checkout names
// the checkout's commit. The build is made from a clone of this
// repository's HEAD: go build stamps VCS information from a .git folder,
// not from a git worktree's .git file. -trimpath lets the build reuse the
// build cache whatever the clone's folder (cold, it compiles everything
// once: minutes).
func TestVersionOfABuiltCLI(t *testing.T) {
	head := strings.TrimSpace(gitOut(t, "..", "rev-parse", "HEAD"))
	clone := filepath.Join(t.TempDir(), "goldenpath")
	root := strings.TrimSpace(gitOut(t, "..", "rev-parse", "--show-toplevel"))
	gitOut(t, "..", "clone", "--quiet", "--shared", "--no-tags", root, clone)
	require.Equal(t, head, strings.TrimSpace(gitOut(t, clone, "rev-parse", "HEAD")))
	bin := filepath.Join(t.TempDir(), "goldenpath")
	build := exec.Command("go", "build", "-trimpath", "-buildvcs=true", "-o", bin, "./cmd/goldenpath")
	build.Dir = clone
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	version, err := exec.Command(bin, "version").Output()
	require.NoError(t, err)
	line := string(version)
	assert.Regexp(t, `^goldenpath v0\.0\.0-\d{14}-`+head[:12]+` \(revision `+head+`, \d{4}-\d\d-\d\dT[0-9:]+Z; go1\.\d+`, line)
	assert.NotContains(t, line, "modified", "a fresh clone has no local changes")

	flag, err := exec.Command(bin, "--version").Output()
	require.NoError(t, err)
	assert.Equal(t, line, string(flag), "--version prints what version prints")

	js, err := exec.Command(bin, "version", "-o", "json").Output()
	require.NoError(t, err)
	var info struct{ Version, Revision string }
	require.NoError(t, json.Unmarshal(js, &info))
	assert.Equal(t, head, info.Revision)

	// Without VCS information (a module zip, -buildvcs=false), it says so.
	plain := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", bin, "./cmd/goldenpath")
	plain.Dir = clone
	out, err = plain.CombinedOutput()
	require.NoError(t, err, "%s", out)
	version, err = exec.Command(bin, "version").Output()
	require.NoError(t, err)
	assert.Regexp(t, `^goldenpath \(devel\) \(revision unknown; go1\.\d+`, string(version))
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return string(out)
}
