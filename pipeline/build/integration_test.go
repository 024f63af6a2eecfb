//go:build integration

package build_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/pipeline/build"
)

var samples = []struct{ app, body string }{
	{"go", "hello from goldenpath go app"},
	{"nodejs", "hello from goldenpath nodejs app"},
	{"python", "hello from goldenpath python app"},
	{"dockerfile", "hello from goldenpath dockerfile app"},
}

func localPlatform(t *testing.T) *contract.Platform {
	t.Helper()
	p, err := contract.LoadPlatformFile(filepath.Join(testenv.RepoRoot(t), "examples/platform/local.yaml"))
	require.NoError(t, err)
	return p
}

func sampleSpec(t *testing.T, app string, out *bytes.Buffer) *build.Spec {
	t.Helper()
	root := testenv.RepoRoot(t)
	reqs, err := contract.LoadFile(filepath.Join(root, "examples/apps", app, "goldenpath.yaml"))
	require.NoError(t, err)
	return &build.Spec{Request: reqs[0], Platform: localPlatform(t), SourceDir: root, Output: out}
}

func builders(t *testing.T) (build.Builder, build.Builder) {
	t.Helper()
	pack, err := build.NewPackBuilder()
	require.NoError(t, err)
	docker, err := build.NewDockerfileBuilder()
	require.NoError(t, err)
	return pack, docker
}

// Each sample app is built, published to the real registry, run from the
// registry, and answers HTTP.
func TestBuildPublishRunSamples(t *testing.T) {
	testenv.RequireDocker(t)
	reg := testenv.Registry(t)
	pack, docker := builders(t)
	for _, s := range samples {
		t.Run(s.app, func(t *testing.T) {
			var out bytes.Buffer
			spec := sampleSpec(t, s.app, &out)
			spec.Registry, spec.Publish = reg+"/it", true
			res, err := build.Build(context.Background(), spec, pack, docker)
			require.NoError(t, err, out.String())
			assert.True(t, strings.HasPrefix(res.Reference, reg+"/it/dev/sample-"+s.app+"@sha256:"), res.Reference)
			assert.Contains(t, out.String(), "goldenpath: ", "progress is streamed")
			body := testenv.Get(t, testenv.RunImage(t, res.Reference), 60*time.Second)
			assert.Contains(t, body, s.body)
		})
	}
}

// Building the same source twice gives the same image.
func TestReproducibleBuild(t *testing.T) {
	testenv.RequireDocker(t)
	reg := testenv.Registry(t)
	pack, docker := builders(t)
	var digests []string
	for range 2 {
		var out bytes.Buffer
		spec := sampleSpec(t, "go", &out)
		spec.Registry, spec.Publish = reg+"/repro", true
		res, err := build.Build(context.Background(), spec, pack, docker)
		require.NoError(t, err, out.String())
		digests = append(digests, res.Digest)
	}
	assert.Equal(t, digests[0], digests[1], "two builds of the same source differ")
}

// A source tree no buildpack recognises fails in the detect phase and says
// what each buildpack looks for.
func TestDetectFailureSaysWhatIsLookedFor(t *testing.T) {
	testenv.RequireDocker(t)
	pack, docker := builders(t)
	var out bytes.Buffer
	spec := sampleSpec(t, "go", &out)
	spec.SourceDir = t.TempDir()
	spec.Request.Spec.Source.Git.SubPath = ""
	require.NoError(t, os.WriteFile(filepath.Join(spec.SourceDir, "README.md"), []byte("no code here\n"), 0o644))
	_, err := build.Build(context.Background(), spec, pack, docker)
	var be *build.BuildError
	require.True(t, errors.As(err, &be), "%v", err)
	assert.Equal(t, build.PhaseDetect, be.Phase, err.Error())
	assert.Contains(t, err.Error(), "go looks for go.mod")
	assert.Contains(t, err.Error(), "python looks for requirements.txt or pyproject.toml")
}

// A compile error fails in the build phase, with the compiler's words.
func TestBuildFailureNamesPhaseAndOutput(t *testing.T) {
	testenv.RequireDocker(t)
	pack, docker := builders(t)
	var out bytes.Buffer
	spec := sampleSpec(t, "go", &out)
	dir := t.TempDir()
	spec.SourceDir, spec.Request.Spec.Source.Git.SubPath = dir, ""
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module broken\n\ngo 1.19\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644))
	_, err := build.Build(context.Background(), spec, pack, docker)
	var be *build.BuildError
	require.True(t, errors.As(err, &be), "%v", err)
	assert.Equal(t, build.PhaseBuild, be.Phase, err.Error())
	assert.Contains(t, strings.Join(be.Output, "\n"), "undefined: undefinedThing")
}
