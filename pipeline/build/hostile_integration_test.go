//go:build integration

package build_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/pipeline/build"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// dockerfileApp writes a Dockerfile app with the given Dockerfile into a
// fresh source folder and returns its spec (publishing under the
// branch's namespace of the test registry).
func dockerfileApp(t *testing.T, app, dockerfile string, out *bytes.Buffer) *build.Spec {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644))
	reqs, err := contract.Load("goldenpath.yaml", []byte(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-0999
environment: dev
owner: platform-team
application: `+app+`
spec:
  source:
    git:
      url: https://github.com/goldenpath-dev/goldenpath
      branch: main
  build:
    type: dockerfile
    dockerfile:
      path: Dockerfile
      context: .
  runtime:
    port: 8080
`))
	require.NoError(t, err)
	return &build.Spec{Request: reqs[0], Platform: localPlatform(t), SourceDir: dir, Output: out,
		Registry: testenv.Registry(t) + "/pipeline-arch-it", Publish: true}
}

// Issue 14 item 1: a valid Dockerfile contract whose context is a link to
// /etc in the source tree must not build an image of the host's files.
func TestBuildRefusesAContextLinkedOutOfTheSource(t *testing.T) {
	testenv.RequireDocker(t)
	pack, docker := builders(t)
	var out bytes.Buffer
	spec := dockerfileApp(t, "leak-etc", "FROM goldenpath/probe:busybox\nCOPY hostname passwd /leaked/\n", &out)
	require.NoError(t, os.Symlink("/etc", filepath.Join(spec.SourceDir, "ctx")))
	spec.Request.Spec.Build.Dockerfile.Context = "ctx"
	_, err := build.Build(context.Background(), spec, pack, docker)
	var be *build.BuildError
	require.True(t, errors.As(err, &be), "%v", err)
	assert.Equal(t, build.PhaseSetup, be.Phase)
	assert.Contains(t, err.Error(), `spec.build.dockerfile.context "ctx" resolves to /etc, outside the source folder`)
	assert.NotContains(t, out.String(), "docker build", "never built")
	tag, err := spec.Tag(mustClient(t))
	require.NoError(t, err)
	_, err = remote.Head(tag)
	assert.Error(t, err, "nothing was published")

	// The Dockerfile itself linked out, and the pack path's subPath.
	spec.Request.Spec.Build.Dockerfile.Context = "."
	require.NoError(t, os.Remove(filepath.Join(spec.SourceDir, "Dockerfile")))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(spec.SourceDir, "Dockerfile")))
	_, err = build.Build(context.Background(), spec, pack, docker)
	assert.ErrorContains(t, err, `spec.build.dockerfile.path "Dockerfile" resolves to /etc/passwd`)

	var pout bytes.Buffer
	pspec := sampleSpec(t, "go", &pout)
	pspec.SourceDir = t.TempDir()
	require.NoError(t, os.Symlink("/etc", filepath.Join(pspec.SourceDir, "app")))
	pspec.Request.Spec.Source.Git.SubPath = "app"
	_, err = build.Build(context.Background(), pspec, pack, docker)
	require.True(t, errors.As(err, &be), "%v", err)
	assert.Equal(t, build.PhaseSetup, be.Phase)
	assert.Contains(t, err.Error(), `spec.source.git.subPath "app" resolves to /etc`)
	assert.NotContains(t, pout.String(), "building", "pack never ran")
}

// A link that stays inside the source folder is fine: the build uses the
// folder it resolves to.
func TestBuildFollowsLinksInsideTheSource(t *testing.T) {
	testenv.RequireDocker(t)
	pack, docker := builders(t)
	var out bytes.Buffer
	spec := dockerfileApp(t, "inside-link", "FROM goldenpath/probe:busybox\nCOPY marker /marker\n", &out)
	require.NoError(t, os.MkdirAll(filepath.Join(spec.SourceDir, "real"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(spec.SourceDir, "real/marker"), []byte("inside\n"), 0o644))
	require.NoError(t, os.Rename(filepath.Join(spec.SourceDir, "Dockerfile"), filepath.Join(spec.SourceDir, "real/Dockerfile")))
	require.NoError(t, os.Symlink("real", filepath.Join(spec.SourceDir, "ctx")))
	spec.Request.Spec.Build.Dockerfile.Context = "ctx"
	spec.Request.Spec.Build.Dockerfile.Path = "ctx/Dockerfile"
	res, err := build.Build(context.Background(), spec, pack, docker)
	require.NoError(t, err, out.String())
	assert.True(t, strings.HasPrefix(res.Reference, spec.Registry+"/dev/inside-link@sha256:"), res.Reference)
}

// Builds get the host network only when the platform asks for it: a RUN
// step reaches the registry on the host's loopback address with
// build.network: host, and not without.
func TestBuildNetworkIsThePlatforms(t *testing.T) {
	testenv.RequireDocker(t)
	pack, docker := builders(t)
	reg := testenv.Registry(t)
	probe := "FROM goldenpath/probe:busybox\nARG PROBE\nRUN if wget -q -T 5 -O /dev/null http://" + reg + "/v2/; then echo \"NET-$PROBE=host\"; else echo \"NET-$PROBE=isolated\"; fi\n"
	for network, want := range map[string]string{"host": "host", "": "isolated"} {
		var out bytes.Buffer
		spec := dockerfileApp(t, "netprobe", probe, &out)
		spec.Publish = false
		p := *spec.Platform
		p.Build.Network = network
		spec.Platform = &p
		id := "x" + strings.ReplaceAll(t.Name()+network, "/", "-") + randomSuffix(t)
		spec.Request.Spec.Build.Dockerfile.Args = map[string]string{"PROBE": id}
		_, err := build.Build(context.Background(), spec, pack, docker)
		require.NoError(t, err, out.String())
		assert.Contains(t, out.String(), "NET-"+id+"="+want, "network %q", network)
	}
}

func randomSuffix(t *testing.T) string {
	t.Helper()
	b, err := exec.Command("od", "-An", "-N4", "-tx4", "/dev/urandom").Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

func mustClient(t *testing.T) *registry.Client {
	t.Helper()
	c, err := registry.New()
	require.NoError(t, err)
	return c
}
